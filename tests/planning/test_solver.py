"""``solve`` returns a valid, explained schedule within its budget, the same one every run."""

from __future__ import annotations

import time

from openfab.planning import ProblemData, assert_valid, solve


def test_paint_shop_schedule_is_valid_and_optimal(paint_shop: ProblemData) -> None:
    schedule = solve(paint_shop, time_limit=5)
    assert_valid(paint_shop, schedule)
    assert schedule.optimal
    assert schedule.makespan == schedule.lower_bound


def test_every_operation_is_explained(paint_shop: ProblemData) -> None:
    """Each operation says what holds it back: a predecessor, the machine, the calendar..."""
    schedule = solve(paint_shop, time_limit=5)
    rows = schedule.by_operation()
    assert all(s.reason is not None for s in schedule.operations)
    weld, assemble = rows["SUB-1/weld"], rows["WO-3/assemble"]
    reason = assemble.reason
    assert reason is not None
    if reason.kind == "precedence" and reason.slack == 0:
        assert assemble.start == max(rows[reason.other or ""].end, weld.end)
    kinds = {s.reason.kind for s in schedule.operations if s.reason}
    assert kinds <= {"origin", "release", "precedence", "machine", "calendar"}


def test_tardiness_objective_favours_the_heavy_order(paint_shop: ProblemData) -> None:
    by_tardiness = solve(paint_shop, time_limit=5, objective="tardiness")
    by_makespan = solve(paint_shop, time_limit=5, objective="makespan")
    assert_valid(paint_shop, by_tardiness)
    assert by_tardiness.weighted_tardiness <= by_makespan.weighted_tardiness
    mix = solve(paint_shop, time_limit=5, objective="mix")
    assert mix.objective == mix.makespan + mix.weighted_tardiness


def test_same_seed_same_schedule(flat_shop: ProblemData) -> None:
    """With a work limit the search is repeatable however busy the machine is."""
    first = solve(flat_shop, time_limit=20, work_limit=0.3, seed=3)
    second = solve(flat_shop, time_limit=20, work_limit=0.3, seed=3)
    assert first.operations == second.operations


def test_time_limit_is_respected(flat_shop: ProblemData) -> None:
    clock = time.monotonic()
    schedule = solve(flat_shop, time_limit=1.0)
    # A guard against ignoring the budget (a hang), not a speed measurement: speed is
    # measured in benchmarks/scheduling.
    assert time.monotonic() - clock < 1.0 + 4.0
    assert_valid(flat_shop, schedule)


def test_schedule_views(paint_shop: ProblemData) -> None:
    schedule = solve(paint_shop, time_limit=5)
    rows = schedule.by_machine()
    assert set(rows) <= {"paint-1", "paint-2", "assembly"}
    for row in rows.values():
        assert [s.start for s in row] == sorted(s.start for s in row)
    data = schedule.to_dict()
    assert len(data["operations"]) == paint_shop.num_operations  # type: ignore[arg-type]
    assert set(schedule.by_order()) == {o.id for o in paint_shop.orders}


def test_the_lead_time_objective_lets_short_orders_go_first() -> None:
    """Makespan alone does not care which of three orders waits; lead time does: shortest
    first minimises how long customers wait in total (and the makespan stays optimal)."""
    from openfab.planning import Machine, Mode, Objective, Operation, WorkOrder

    lengths = {"long": 60, "mid": 20, "short": 5}
    orders = tuple(
        WorkOrder(name, (Operation(f"{name}/press", (Mode("press", minutes),)),))
        for name, minutes in lengths.items()
    )
    shop = ProblemData((Machine("press"),), orders)
    schedule = solve(shop, time_limit=5, objective="lead-time")
    assert_valid(shop, schedule)
    ends = {s.operation.split("/")[0]: s.end for s in schedule.operations}
    assert ends["short"] < ends["mid"] < ends["long"]
    assert schedule.makespan == 85
    flow = sum(ends.values())
    assert schedule.objective == Objective.named("lead-time").makespan * 85 + flow
