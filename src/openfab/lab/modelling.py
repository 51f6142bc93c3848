"""Study-level views of the data: surrogate reports per property, the Pareto front, the
hypervolume it dominates, and the best feasible run."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from openfab.lab.experiments import Experiment, check_experiments
from openfab.lab.study import Study
from openfab.lab.surrogate import ModelReport, report, require_points


def feasible(study: Study, experiments: Sequence[Experiment]) -> list[Experiment]:
    """Successful runs that meet every outcome constraint."""
    return [
        e
        for e in experiments
        if not e.failed and all(c.holds(e.results[c.name]) for c in study.outcome_constraints)
    ]


def property_reports(
    study: Study, experiments: Sequence[Experiment], *, seed: int = 0
) -> list[ModelReport]:
    """One surrogate report per measured property (too few points: the reason, per property)."""
    check_experiments(study, experiments)
    ok = [e for e in experiments if not e.failed]
    for prop in study.properties:
        require_points(prop, len(ok))
    x = study.space.encode([e.design for e in ok])
    return [
        report(
            study.space,
            prop,
            x,
            np.array([e.results[prop] for e in ok]),
            kind=study.surrogate,
            seed=seed,
        )
        for prop in study.properties
    ]


def signed(study: Study, experiments: Sequence[Experiment]) -> NDArray[np.float64]:
    """Objective values turned to maximization, one row per experiment."""
    return np.array(
        [[o.sign * e.results[o.name] for o in study.objectives] for e in experiments], dtype=float
    ).reshape(len(experiments), len(study.objectives))


def pareto_front(study: Study, experiments: Sequence[Experiment]) -> list[Experiment]:
    """Feasible runs no other feasible run beats in every objective."""
    runs = feasible(study, experiments)
    y = signed(study, runs)
    keep = []
    for i in range(len(runs)):
        dominated = np.any(np.all(y >= y[i], axis=1) & np.any(y > y[i], axis=1))
        if not dominated:
            keep.append(runs[i])
    first = study.objectives[0]
    return sorted(keep, key=lambda e: -first.sign * e.results[first.name])


def hypervolume(
    study: Study, experiments: Sequence[Experiment], reference: Sequence[float]
) -> float:
    """Volume the feasible runs dominate above ``reference`` (signed objective values)."""
    import torch
    from botorch.utils.multi_objective.hypervolume import Hypervolume

    y = signed(study, feasible(study, experiments))
    ref = torch.as_tensor(np.asarray(reference, dtype=float))
    if not len(y):
        return 0.0
    pts = torch.as_tensor(y)
    pts = pts[(pts > ref).all(dim=-1)]
    if not len(pts):
        return 0.0
    return float(Hypervolume(ref_point=ref).compute(pts))


def best(study: Study, experiments: Sequence[Experiment]) -> Experiment | None:
    """The feasible run with the best first objective."""
    runs = feasible(study, experiments)
    if not runs:
        return None
    first = study.objectives[0]
    return max(runs, key=lambda e: first.sign * e.results[first.name])


def reference_point(study: Study, experiments: Sequence[Experiment]) -> list[float]:
    """Signed objective thresholds where the study gives them, else a little below the worst
    successful run (the hypervolume's origin)."""
    y = signed(study, [e for e in experiments if not e.failed])
    ref = []
    for j, obj in enumerate(study.objectives):
        if obj.threshold is not None:
            ref.append(obj.sign * obj.threshold)
        elif len(y):
            span = float(y[:, j].max() - y[:, j].min())
            ref.append(float(y[:, j].min()) - 0.1 * (span or 1.0))
        else:
            ref.append(0.0)
    return ref
