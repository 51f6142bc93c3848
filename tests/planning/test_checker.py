"""The checker is only worth something if it catches each kind of mistake: one case each."""

from __future__ import annotations

from dataclasses import replace

import pytest

from openfab.planning import ProblemData, Schedule, ScheduledOperation, solve, violations


@pytest.fixture
def valid(paint_shop: ProblemData) -> Schedule:
    schedule = solve(paint_shop, time_limit=5)
    assert violations(paint_shop, schedule) == []
    return schedule


def _edit(schedule: Schedule, op_id: str, **changes: object) -> Schedule:
    rows = tuple(replace(s, **changes) if s.operation == op_id else s for s in schedule.operations)  # type: ignore[arg-type]
    return replace(schedule, operations=rows)


def _shift(schedule: Schedule, op_id: str, start: int) -> Schedule:
    row = schedule.by_operation()[op_id]
    return _edit(schedule, op_id, start=start, end=start + row.end - row.start)


CASES = [
    # an operation left out
    (lambda s: replace(s, operations=s.operations[1:]), "not scheduled"),
    # an operation placed twice
    (lambda s: replace(s, operations=(*s.operations, s.operations[0])), "twice"),
    # a machine that cannot do the operation (WO-3 paints only on paint-2)
    (lambda s: _edit(s, "WO-3/paint", machine="paint-1"), "not eligible"),
    # a processing time that does not match the machine
    (lambda s: _edit(s, "SUB-1/weld", end=s.by_operation()["SUB-1/weld"].end + 5), "lasts"),
    # a start before the material arrives (WO-3/paint is released at 60)
    (lambda s: _shift(s, "WO-3/paint", 0), "release"),
    # assembly before its sub-assembly is welded
    (lambda s: _shift(s, "WO-3/assemble", 0), "before"),
    # across the evening break of the paint lines (shift ends at 480)
    (lambda s: _shift(s, "WO-1/paint", 470), "shift"),
    # during the assembly machine's maintenance [300, 360)
    (lambda s: _shift(s, "SUB-1/weld", 290), "downtime"),
]


@pytest.mark.parametrize(("spoil", "words"), CASES)
def test_checker_catches(paint_shop: ProblemData, valid: Schedule, spoil, words: str) -> None:  # type: ignore[no-untyped-def]
    found = violations(paint_shop, spoil(valid))
    assert any(words in v for v in found), found


def test_overlap_and_setup_are_caught(paint_shop: ProblemData) -> None:
    base = solve(paint_shop, time_limit=5)
    rows = [
        ScheduledOperation("WO-1/paint", "WO-1", "paint-1", 0, 90),
        ScheduledOperation("WO-2/paint", "WO-2", "paint-1", 60, 140),
    ]
    overlap = replace(
        base,
        operations=tuple(rows)
        + tuple(
            s for s in base.operations if "/paint" not in s.operation or s.operation == "WO-3/paint"
        ),
    )
    assert any("overlaps WO-1/paint" in v for v in violations(paint_shop, overlap))
    rows[1] = ScheduledOperation("WO-2/paint", "WO-2", "paint-1", 100, 180)
    no_setup = replace(overlap, operations=tuple(rows) + overlap.operations[2:])
    assert any("30-minute setup" in v for v in violations(paint_shop, no_setup))
