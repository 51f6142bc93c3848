"""Lab fixtures: small studies, and torch kept to one thread (the machines are shared)."""

from __future__ import annotations

import math

import pytest
import torch

from openfab.lab.study import Study, parse_study

torch.set_num_threads(1)


def branin(x1: float, x2: float) -> float:
    """The Branin function; its minimum is 0.397887 at three points."""
    b, c = 5.1 / (4 * math.pi**2), 5 / math.pi
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10


BRANIN_MIN = 0.397887


@pytest.fixture
def branin_study() -> Study:
    return parse_study(
        {
            "parameters": [
                {"name": "x1", "type": "continuous", "low": -5.0, "high": 10.0},
                {"name": "x2", "type": "continuous", "low": 0.0, "high": 15.0},
            ],
            "objectives": [{"name": "f", "goal": "minimize"}],
        }
    )


@pytest.fixture
def recipe_study() -> Study:
    """A slurry recipe: three-part mixture with bounds, a linear limit, a temperature, an
    integer mixing time and a supplier."""
    return parse_study(
        {
            "name": "slurry",
            "parameters": [
                {"name": "binder", "type": "continuous", "low": 0.02, "high": 0.2},
                {"name": "carbon", "type": "continuous", "low": 0.01, "high": 0.1},
                {"name": "active", "type": "continuous", "low": 0.7, "high": 0.97},
                {"name": "temp", "type": "continuous", "low": 20, "high": 80, "unit": "°C"},
                {"name": "minutes", "type": "integer", "low": 5, "high": 60},
                {"name": "supplier", "type": "categorical", "values": ["A", "B", "C"]},
            ],
            "objectives": [{"name": "capacity", "goal": "maximize", "unit": "mAh/g"}],
            "constraints": [
                {"type": "mixture", "parameters": ["binder", "carbon", "active"], "total": 1.0},
                {"type": "linear", "coefficients": {"binder": 1.0, "carbon": -1.0}, "max": 0.08},
            ],
        }
    )


def capacity(d: dict[str, object]) -> float:
    """A made-up response with an interior optimum (supplier B is best)."""
    active, binder = float(d["active"]), float(d["binder"])  # type: ignore[arg-type]
    temp, minutes = float(d["temp"]), float(d["minutes"])  # type: ignore[arg-type]
    bonus = {"A": 0.0, "B": 8.0, "C": -4.0}[str(d["supplier"])]
    return (
        150 * active
        - 400 * (binder - 0.05) ** 2
        - 0.01 * (temp - 55) ** 2
        - 0.02 * (minutes - 30) ** 2
        + bonus
    )
