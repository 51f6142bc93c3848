"""A problem checks itself when built: each way to be wrong is one case, raising InvalidInput."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from openfab.errors import InvalidInput
from openfab.planning import (
    Machine,
    Mode,
    Objective,
    Operation,
    Precedence,
    ProblemData,
    Window,
    WorkOrder,
)

M = (Machine("M1"),)


def _op(op_id: str = "A/1", machine: str = "M1", duration: int = 5) -> Operation:
    return Operation(op_id, (Mode(machine, duration),))


CASES: list[tuple[str, Callable[[], object]]] = [
    # a window must have a positive length
    ("window", lambda: Window(10, 10)),
    # windows start at or after the horizon origin
    ("window", lambda: Window(-5, 10)),
    # a processing time must be positive
    ("duration", lambda: Mode("M1", 0)),
    # a changeover cannot be negative
    ("setup", lambda: Machine("M1", setup_times={("a", "b"): -1})),
    # machines need a name
    ("id", lambda: Machine("")),
    # two machines with the same id
    ("duplicate", lambda: ProblemData((Machine("M1"), Machine("M1")), ())),
    # two operations with the same id (ids are global, they name the operation in messages)
    ("duplicate", lambda: ProblemData(M, (WorkOrder("A", (_op("x"), _op("x"))),))),
    # two work orders with the same id
    ("duplicate", lambda: ProblemData(M, (WorkOrder("A", ()), WorkOrder("A", ())))),
    # a mode on a machine that does not exist
    ("unknown machine", lambda: ProblemData(M, (WorkOrder("A", (_op(machine="M9"),)),))),
    # the same machine listed twice for one operation
    (
        "listed twice",
        lambda: ProblemData(
            M, (WorkOrder("A", (Operation("A/1", (Mode("M1", 3), Mode("M1", 4))),)),)
        ),
    ),
    # a precedence that names an unknown operation
    (
        "unknown operation",
        lambda: ProblemData(M, (WorkOrder("A", (_op(),)),), (Precedence("A/1", "B/1"),)),
    ),
    # an operation cannot precede itself
    ("itself", lambda: ProblemData(M, (WorkOrder("A", (_op(),)),), (Precedence("A/1", "A/1"),))),
    # release dates cannot be negative
    ("release", lambda: ProblemData(M, (WorkOrder("A", (_op(),), release=-1),))),
    # due dates cannot be negative
    ("due", lambda: ProblemData(M, (WorkOrder("A", (_op(),), due=-1),))),
    # weights (priorities) cannot be negative
    ("weight", lambda: ProblemData(M, (WorkOrder("A", (_op(),), weight=-2),))),
    # an objective needs some weight
    ("objective", lambda: Objective(0, 0)),
    # only the named objectives exist
    ("objective", lambda: Objective.named("fastest")),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("words", "build"), CASES)
def test_bad_input_is_rejected_with_its_reason(words: str, build: Callable[[], object]) -> None:
    with pytest.raises(InvalidInput) as info:
        build()
    assert words in str(info.value)


def test_every_problem_is_reported_at_once() -> None:
    """A user fixes all mistakes in one go: the error lists every one of them."""
    with pytest.raises(InvalidInput) as info:
        ProblemData(M, (WorkOrder("A", (_op(machine="X"), _op("A/2", machine="Y")), release=-1),))
    assert len(info.value.problems) == 3
