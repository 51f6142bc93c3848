"""Studies and design spaces: the minimal YAML form, and every way to be wrong answered with
the reason."""

from __future__ import annotations

from typing import Any

import pytest

from openfab.errors import Infeasible, InvalidInput
from openfab.lab.study import parse_study, study_to_dict

MINIMAL = {
    "parameters": [
        {"name": "x1", "type": "continuous", "low": 0.0, "high": 1.0},
        {"name": "solvent", "type": "categorical", "values": ["A", "B"]},
    ],
    "objectives": [{"name": "energy_density", "goal": "maximize"}],
    "constraints": [{"type": "mixture", "parameters": ["x1", "x2", "x3"], "total": 1.0}],
}


def test_minimal_form_declares_undeclared_mixture_components() -> None:
    study = parse_study(MINIMAL)
    assert study.space.names == ["x1", "solvent", "x2", "x3"]
    x2 = study.space.parameter("x2")
    assert (x2.kind, x2.low, x2.high) == ("continuous", 0.0, 1.0)
    assert parse_study(study_to_dict(study)) == study  # the stored document reads back


def _with(**changes: Any) -> dict[str, Any]:
    return {**MINIMAL, **changes}


def _params(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [*MINIMAL["parameters"], *extra]  # type: ignore[misc]


@pytest.mark.parametrize(
    ("document", "error", "where"),
    [
        # low above high
        (
            _with(parameters=_params({"name": "t", "low": 5, "high": 1})),
            InvalidInput,
            "parameters.t",
        ),
        # an integer range with no integer in it
        (
            _with(parameters=_params({"name": "n", "type": "integer", "low": 1.2, "high": 1.8})),
            InvalidInput,
            "parameters.n",
        ),
        # bounds that are not numbers
        (
            _with(parameters=_params({"name": "t", "low": "hot", "high": 1})),
            InvalidInput,
            "parameters.t.low",
        ),
        # the components' lower bounds already exceed the total
        (
            _with(
                parameters=[
                    {"name": "x1", "low": 0.6, "high": 1.0},
                    {"name": "x2", "low": 0.5, "high": 1.0},
                ],
                constraints=[{"type": "mixture", "parameters": ["x1", "x2"], "total": 1.0}],
            ),
            Infeasible,
            "constraints.mixture0",
        ),
        # the upper bounds cannot reach the total
        (
            _with(
                parameters=[
                    {"name": "x1", "low": 0.0, "high": 0.3},
                    {"name": "x2", "low": 0.0, "high": 0.3},
                ],
                constraints=[{"type": "mixture", "parameters": ["x1", "x2"], "total": 1.0}],
            ),
            Infeasible,
            "constraints.mixture0",
        ),
        # each constraint is satisfiable alone, not together (found by the LP)
        (
            _with(
                constraints=[
                    {"type": "mixture", "parameters": ["x1", "x2", "x3"], "total": 1.0},
                    {"type": "linear", "coefficients": {"x1": 1, "x2": 1}, "min": 1.2},
                ]
            ),
            Infeasible,
            "constraints.linear1",
        ),
        # a constraint on a parameter that does not exist
        (
            _with(constraints=[{"type": "linear", "coefficients": {"ghost": 1}, "max": 1}]),
            InvalidInput,
            "constraints.linear0",
        ),
        # a constraint on a categorical parameter
        (
            _with(constraints=[{"type": "linear", "coefficients": {"solvent": 1}, "max": 1}]),
            InvalidInput,
            "constraints.linear0",
        ),
        # no objective
        (_with(objectives=[]), InvalidInput, "objectives"),
        # an unknown goal
        (_with(objectives=[{"name": "e", "goal": "maximise!"}]), InvalidInput, "objectives.e.goal"),
        # a typo at the top
        (_with(paramters=[]), InvalidInput, "paramters"),
    ],
)
def test_bad_study_is_answered_with_the_reason(
    document: dict[str, Any], error: type[Exception], where: str
) -> None:
    with pytest.raises(error) as caught:
        parse_study(document)
    locs = [p.loc for p in caught.value.problems]  # type: ignore[attr-defined]
    assert any(loc.startswith(where) for loc in locs), locs
