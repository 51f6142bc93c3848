"""Property: every suggested design satisfies the bounds, mixture and linear constraints,
whatever the space (Sobol start) and after the model takes over (BO)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openfab.errors import Infeasible
from openfab.lab.experiments import Experiment
from openfab.lab.optimizer import Optimizer
from openfab.lab.sampling import feasible_points
from openfab.lab.study import Study, parse_study
from tests.lab.conftest import capacity


@st.composite
def spaces(draw: st.DrawFn) -> dict[str, Any]:
    """A mixture of 2-6 parts with random bounds, an extra process parameter, and a random
    linear inequality over two parts."""
    n = draw(st.integers(2, 6))
    total = draw(st.sampled_from([1.0, 100.0]))
    params = []
    for i in range(n):
        low = draw(st.floats(0, 0.3)) * total / n
        high = low + draw(st.floats(0.05, 1.0)) * total
        params.append({"name": f"c{i}", "type": "continuous", "low": low, "high": high})
    params.append({"name": "temp", "type": "continuous", "low": 20, "high": 90})
    coef = draw(st.lists(st.floats(-3, 3).filter(lambda c: abs(c) > 0.1), min_size=2, max_size=2))
    limit = draw(st.floats(-0.5, 1.5)) * total
    return {
        "parameters": params,
        "objectives": [{"name": "y"}],
        "constraints": [
            {"type": "mixture", "parameters": [p["name"] for p in params[:n]], "total": total},
            {"type": "linear", "coefficients": {"c0": coef[0], "c1": coef[1]}, "max": limit},
        ],
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=spaces(), k=st.integers(1, 12), seed=st.integers(0, 1000))
def test_space_filling_designs_hold_every_constraint(
    document: dict[str, Any], k: int, seed: int
) -> None:
    try:
        study = parse_study(document)
    except Infeasible:
        return  # a random space may have no feasible point: that is answered, not sampled
    designs = study.space.decode(feasible_points(study.space, k, seed=seed))
    assert len(designs) == k
    for design in designs:
        assert study.space.violations(study.space.fixed(design)) == []


def _run(study: Study, rounds: int, k: int) -> tuple[list[Experiment], set[str]]:
    experiments: list[Experiment] = []
    strategies = set()
    optimizer = Optimizer(
        study, seed=5, initial_points=4, num_restarts=2, raw_samples=64, mc_samples=32
    )
    for _ in range(rounds):
        suggestion = optimizer.suggest(experiments, k)
        strategies.add(suggestion.strategy)
        for design in suggestion.designs:
            assert study.space.violations(design) == [], design
            total = sum(float(design[n]) for n in ("binder", "carbon", "active"))
            assert abs(total - 1.0) <= 1e-6
            assert float(design["binder"]) - float(design["carbon"]) <= 0.08 + 1e-6
            assert isinstance(design["minutes"], int)
            experiments.append(Experiment(design, {"capacity": capacity(design)}))
    return experiments, strategies


def test_bayesian_suggestions_hold_mixture_and_linear_constraints(recipe_study: Study) -> None:
    experiments, strategies = _run(recipe_study, rounds=3, k=3)
    assert len(experiments) == 9
    # k = 3 on one objective: two by qLogNEI, one where the model expects the best
    assert strategies == {"initial design (Sobol)", "qLogNEI + posterior mean"}
