"""The optimizer finds known optima within a budget (fixed seeds), spreads a Pareto front,
learns where runs fail, and says why when the input is bad."""

from __future__ import annotations

import math

import pytest

from openfab.errors import InvalidInput
from openfab.lab.experiments import Experiment
from openfab.lab.modelling import pareto_front
from openfab.lab.optimizer import Optimizer
from openfab.lab.study import Study, parse_study
from tests.lab.conftest import BRANIN_MIN, branin


def test_finds_the_branin_minimum_within_24_evaluations(branin_study: Study) -> None:
    optimizer = Optimizer(branin_study, seed=1, num_restarts=4, raw_samples=128, mc_samples=64)
    experiments: list[Experiment] = []
    while len(experiments) < 24:
        for d in optimizer.suggest(experiments, 3).designs:
            f = branin(float(d["x1"]), float(d["x2"]))
            experiments.append(Experiment(d, {"f": f}))
    best = min(e.results["f"] for e in experiments)
    assert best <= BRANIN_MIN + 0.1, best
    sobol_only = min(e.results["f"] for e in experiments[:3])
    assert best < sobol_only


def test_two_objectives_give_a_front_and_failed_runs_are_avoided() -> None:
    """Maximize a and b on a line trade-off; runs with x > 0.8 fail (unknown to the optimizer
    at the start). Later batches should mostly avoid the failing corner."""
    study = parse_study(
        {
            "parameters": [
                {"name": "x", "type": "continuous", "low": 0, "high": 1},
                {"name": "y", "type": "continuous", "low": 0, "high": 1},
            ],
            "objectives": [{"name": "a"}, {"name": "b"}],
        }
    )
    optimizer = Optimizer(
        study, seed=2, initial_points=6, num_restarts=2, raw_samples=64, mc_samples=32
    )
    experiments: list[Experiment] = []
    strategies = []
    for _ in range(4):
        suggestion = optimizer.suggest(experiments, 4)
        strategies.append(suggestion.strategy)
        for d in suggestion.designs:
            x, y = float(d["x"]), float(d["y"])
            if x > 0.8:
                experiments.append(Experiment(d, failed=True))
            else:
                experiments.append(Experiment(d, {"a": x + 0.1 * y, "b": 1 - x + 0.1 * y}))
    assert strategies[-1] == "qLogNEHVI"
    front = pareto_front(study, experiments)
    assert len(front) >= 3
    late = experiments[8:]
    assert sum(e.failed for e in late) <= 2, [e.design for e in late]


def test_outcome_constraint_steers_away_from_violations() -> None:
    study = parse_study(
        {
            "parameters": [{"name": "x", "type": "continuous", "low": 0, "high": 1}],
            "objectives": [{"name": "gain"}],
            "constraints": [{"type": "outcome", "property": "margin", "min": 0.0}],
        }
    )
    optimizer = Optimizer(study, seed=0, initial_points=4, num_restarts=2, raw_samples=64)
    experiments: list[Experiment] = []
    for _ in range(4):
        for d in optimizer.suggest(experiments, 2).designs:
            x = float(d["x"])
            experiments.append(Experiment(d, {"gain": x, "margin": 0.6 - x}))
    late = [float(e.design["x"]) for e in experiments[4:]]
    best_ok = max(float(e.design["x"]) for e in experiments if 0.6 - float(e.design["x"]) >= 0)
    assert best_ok > 0.45  # pushes toward the boundary x = 0.6 ...
    assert sum(x > 0.7 for x in late) <= 1  # ... without wandering far past it


@pytest.mark.parametrize(
    ("results", "loc"),
    [
        ({"f": math.nan}, "row 1.f"),  # not a finite number
        ({}, "row 1.f"),  # missing, and not marked failed
        ({"f": "high"}, "row 1.f"),  # not numeric
    ],
)
def test_bad_results_are_refused_with_the_reason(
    branin_study: Study, results: dict[str, object], loc: str
) -> None:
    bad = Experiment({"x1": 0.0, "x2": 1.0}, results)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as caught:
        Optimizer(branin_study).suggest([bad], 2)
    assert [p.loc for p in caught.value.problems] == [loc]


def test_same_seed_same_suggestions(branin_study: Study) -> None:
    first = Optimizer(branin_study, seed=4).suggest([], 3).designs
    assert Optimizer(branin_study, seed=4).suggest([], 3).designs == first
    assert Optimizer(branin_study, seed=5).suggest([], 3).designs != first


def test_the_warp_is_monotone_and_inverts() -> None:
    """Skewed objective values (a few runs far worse than the rest) are warped before the GP
    sees them; the order of runs, and so which design is best, stays as measured."""
    import numpy as np

    from openfab.lab.optimizer import Warp

    rng = np.random.default_rng(0)
    y = -np.abs(rng.standard_cauchy(40)) * 50  # maximized; a long tail of bad runs
    warp = Warp.fit(y)
    assert warp.lam != 1.0
    t = warp(y)
    assert np.all(np.diff(t[np.argsort(y)]) > 0)
    assert np.allclose(warp.inverse(t), y)
    assert np.std(t) < np.std(y) / 10  # the tail is pulled in
    flat = Warp.fit(np.array([1.0, 1.0, 2.0]))  # too few distinct values: left alone
    assert flat == Warp.identity()


def test_suggesting_leaves_torchs_thread_count_as_it_was(branin_study: Study) -> None:
    import torch

    before = torch.get_num_threads()
    experiments = [
        Experiment({"x1": x1, "x2": x2}, {"f": branin(x1, x2)})
        for x1, x2 in ((0.0, 0.0), (5.0, 5.0), (-3.0, 12.0), (9.0, 2.0))
    ]
    suggestion = Optimizer(branin_study, seed=0).suggest(experiments, 2)
    assert suggestion.strategy == "qLogNEI + posterior mean"
    assert torch.get_num_threads() == before
