"""Benchmark problems: standard test functions, a constrained mixture, and the virtual cell.

Each problem is a study plus a function from a design to measured results, and the best
known value of its score (the objective, or the hypervolume for the two-objective cell).
The cell problems run on an emulator: one Gaussian process per property fitted to DFN
evaluations of a Sobol design (``cell_samples.py``), its posterior mean the oracle.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from openfab.lab.experiments import Experiment, read_results_csv
from openfab.lab.modelling import hypervolume
from openfab.lab.sampling import feasible_points
from openfab.lab.space import Design
from openfab.lab.study import Study, parse_study
from openfab.lab.surrogate import GaussianProcess

HERE = Path(__file__).parent
Measure = Callable[[Design], dict[str, float]]


@dataclass
class Problem:
    name: str
    study: Study
    measure: Measure
    best_known: float
    maximize: bool
    hypervolume_ref: list[float] | None = None

    def score(self, experiments: list[Experiment]) -> float:
        """Best feasible objective so far (or the dominated hypervolume)."""
        if self.hypervolume_ref is not None:
            return hypervolume(self.study, experiments, self.hypervolume_ref)
        obj = self.study.objectives[0]
        ok = [
            e.results[obj.name]
            for e in experiments
            if not e.failed
            and all(c.holds(e.results[c.name]) for c in self.study.outcome_constraints)
        ]
        if not ok:
            return -math.inf if self.maximize else math.inf
        return max(ok) if self.maximize else min(ok)

    def reached(self, value: float) -> bool:
        """Within 1 % of the best known value (relative to its magnitude)."""
        gap = 0.01 * abs(self.best_known)
        return value >= self.best_known - gap if self.maximize else value <= self.best_known + gap


def _continuous(names_bounds: list[tuple[str, float, float]]) -> list[dict[str, object]]:
    return [{"name": n, "type": "continuous", "low": lo, "high": hi} for n, lo, hi in names_bounds]


def branin() -> Problem:
    def f(d: Design) -> dict[str, float]:
        x1, x2 = float(d["x1"]), float(d["x2"])
        b, c = 5.1 / (4 * math.pi**2), 5 / math.pi
        value = (
            (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10
        )
        return {"f": value}

    study = parse_study(
        {
            "name": "branin",
            "parameters": _continuous([("x1", -5, 10), ("x2", 0, 15)]),
            "objectives": [{"name": "f", "goal": "minimize"}],
        }
    )
    return Problem("Branin (2-D, min)", study, f, 0.397887, maximize=False)


HARTMANN_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
HARTMANN_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
HARTMANN_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6() -> Problem:
    names = [f"x{i}" for i in range(1, 7)]

    def f(d: Design) -> dict[str, float]:
        x = np.array([float(d[n]) for n in names])
        inner = np.sum(HARTMANN_A * (x - HARTMANN_P) ** 2, axis=1)
        return {"f": float(-np.sum(HARTMANN_ALPHA * np.exp(-inner)))}

    study = parse_study(
        {
            "name": "hartmann6",
            "parameters": _continuous([(n, 0, 1) for n in names]),
            "objectives": [{"name": "f", "goal": "minimize"}],
        }
    )
    return Problem("Hartmann-6 (6-D, min)", study, f, -3.32237, maximize=False)


def mixture() -> Problem:
    """A five-part formulation (Scheffé quadratic blending model with two synergies and an
    antagonism) plus a process temperature; bounds on every part and a linear limit."""
    parts = ["a", "b", "c", "d", "e"]
    linear = np.array([3.0, 5.0, 4.0, 2.0, 6.0])
    pairs = {("a", "b"): 12.0, ("c", "e"): 9.0, ("b", "e"): -14.0, ("a", "d"): 4.0}

    def f(d: Design) -> dict[str, float]:
        x = {p: float(d[p]) for p in parts}
        value = float(linear @ np.array([x[p] for p in parts]))
        value += sum(w * x[i] * x[j] for (i, j), w in pairs.items())
        t = float(d["temp"])
        value -= 0.0008 * (t - 60 - 40 * x["e"]) ** 2
        return {"yield": value}

    study = parse_study(
        {
            "name": "mixture",
            "parameters": [
                {"name": "a", "type": "continuous", "low": 0.05, "high": 0.6},
                {"name": "b", "type": "continuous", "low": 0.05, "high": 0.6},
                {"name": "c", "type": "continuous", "low": 0.0, "high": 0.5},
                {"name": "d", "type": "continuous", "low": 0.0, "high": 0.4},
                {"name": "e", "type": "continuous", "low": 0.0, "high": 0.3},
                {"name": "temp", "type": "continuous", "low": 20, "high": 120},
            ],
            "objectives": [{"name": "yield", "goal": "maximize"}],
            "constraints": [
                {"type": "mixture", "parameters": parts, "total": 1.0},
                {"type": "linear", "coefficients": {"b": 1.0, "e": 1.0}, "max": 0.55},
            ],
        }
    )
    return Problem(
        "constrained mixture (6-D, max)", study, f, _best_by_polish(study, f, "yield"), True
    )


def _best_by_polish(study: Study, f: Measure, prop: str) -> float:
    """Best known value: the best of 4096 feasible Sobol points, polished by SLSQP."""
    space = study.space
    x0 = feasible_points(space, 4096, seed=99)
    values = [f(d)[prop] for d in space.decode(x0)]
    equalities, inequalities = space.encoded_constraints()
    cons = [{"type": "eq", "fun": _lin(i, c, r)} for i, c, r in equalities]
    cons += [{"type": "ineq", "fun": _lin(i, c, r)} for i, c, r in inequalities]
    best = max(values)
    for start in np.argsort(values)[-8:]:
        res = minimize(
            lambda u: -f(space.decode(np.clip(u, 0, 1))[0])[prop],
            x0[start],
            method="SLSQP",
            bounds=[(0, 1)] * space.dim,
            constraints=cons,
        )
        design = space.fixed(space.decode(np.clip(res.x, 0, 1))[0])
        if not space.violations(design):
            best = max(best, f(design)[prop])
    return float(best)


def _lin(idx: list[int], coef: list[float], rhs: float) -> Callable[[np.ndarray], float]:
    return lambda u: float(np.dot(u[idx], coef) - rhs)


# -- the virtual cell, emulated -----------------------------------------------------------------
class Emulator:
    """GP posterior means fitted to the DFN table: a smooth, cheap stand-in for the cell."""

    def __init__(self, study: Study) -> None:
        path = HERE / "data" / "cell_dfn_sobol.csv"
        runs = [e for e in read_results_csv(study, path.read_text()) if not e.failed]
        x = study.space.encode([e.design for e in runs])
        self.study = study
        self.models = {
            prop: GaussianProcess(study.space, x, np.array([e.results[prop] for e in runs]))
            for prop in study.properties
        }

    def __call__(self, d: Design) -> dict[str, float]:
        return self.many([d])[0]

    def many(self, designs: list[Design]) -> list[dict[str, float]]:
        u = self.study.space.encode(designs)
        means = {prop: m.predict(u).mean for prop, m in self.models.items()}
        return [{prop: float(v[i]) for prop, v in means.items()} for i in range(len(designs))]


def cell_single() -> Problem:
    from openfab.lab.cell import cell_study

    study = cell_study(objectives=("energy_density",))
    full = cell_study()
    measure = Emulator(full)
    best = _best_cell(study, measure)
    return Problem("virtual cell: Wh/kg, plating margin >= 0 (8-D)", study, measure, best, True)


def cell_pareto() -> Problem:
    from openfab.lab.cell import THRESHOLDS, cell_study

    study = cell_study()
    measure = Emulator(study)
    ref = [THRESHOLDS["energy_density"], THRESHOLDS["fast_charge"]]
    designs = study.space.decode(feasible_points(study.space, 8192, seed=7))
    dense = [Experiment(d, r) for d, r in zip(designs, measure.many(designs), strict=True)]
    best = hypervolume(study, dense, ref)
    return Problem(
        "virtual cell: hypervolume Wh/kg × 2C acceptance (8-D)",
        study,
        measure,
        best,
        True,
        hypervolume_ref=ref,
    )


def _best_cell(study: Study, measure: Emulator) -> float:
    designs = study.space.decode(feasible_points(study.space, 8192, seed=7))
    ok = measure.many(designs)
    return max(r["energy_density"] for r in ok if r["plating_margin"] >= 0)


PROBLEMS: dict[str, Callable[[], Problem]] = {
    "branin": branin,
    "hartmann6": hartmann6,
    "mixture": mixture,
    "cell": cell_single,
    "cell-pareto": cell_pareto,
}
