"""Small shops named for what they are, shared by the planning tests."""

from __future__ import annotations

import pytest

from openfab.planning import (
    Machine,
    Mode,
    Operation,
    Precedence,
    ProblemData,
    Window,
    WorkOrder,
)
from tests.planning.shops import random_shop


@pytest.fixture
def paint_shop() -> ProblemData:
    """Two paint lines with colour changeovers, a day shift, a maintenance stop, due dates,
    and a sub-assembly that must finish before its final assembly."""
    changeover = {("white", "black"): 30, ("black", "white"): 60}
    shift = (Window(0, 480), Window(600, 1080))
    machines = (
        Machine("paint-1", shifts=shift, setup_times=changeover, initial_family="white"),
        Machine("paint-2", shifts=shift, downtime=(Window(120, 180),), setup_times=changeover),
        Machine("assembly", downtime=(Window(300, 360),)),
    )
    orders = (
        WorkOrder(
            "WO-1",
            (
                Operation("WO-1/paint", (Mode("paint-1", 90), Mode("paint-2", 100)), "white"),
                Operation("WO-1/assemble", (Mode("assembly", 60),)),
            ),
            due=300,
            weight=3,
        ),
        WorkOrder(
            "WO-2",
            (
                Operation("WO-2/paint", (Mode("paint-1", 80), Mode("paint-2", 70)), "black"),
                Operation("WO-2/assemble", (Mode("assembly", 45),)),
            ),
            release=30,
            due=400,
        ),
        WorkOrder(
            "WO-3",
            (
                Operation("WO-3/paint", (Mode("paint-2", 120),), "white", release=60),
                Operation("WO-3/assemble", (Mode("assembly", 90),)),
            ),
            due=700,
        ),
        WorkOrder("SUB-1", (Operation("SUB-1/weld", (Mode("assembly", 40),)),)),
    )
    return ProblemData(machines, orders, (Precedence("SUB-1/weld", "WO-3/assemble"),))


@pytest.fixture
def flat_shop() -> ProblemData:
    """A 10 × 5 flexible job shop (fixed pseudo-random data) without calendars."""
    return random_shop(orders=10, machines=5, seed=7)
