"""Repairing a schedule after events: history stays, the frozen horizon stays, little moves."""

from __future__ import annotations

import time

import pytest

from openfab.errors import InvalidInput
from openfab.planning import (
    MachineDown,
    MaterialLate,
    Mode,
    Operation,
    OrderAdded,
    OrderCancelled,
    ProblemData,
    Schedule,
    WorkOrder,
    apply_events,
    assert_valid,
    reschedule,
    solve,
)
from tests.planning.shops import random_shop


@pytest.fixture(scope="module")
def shop() -> ProblemData:
    return random_shop(orders=8, machines=4, seed=11)


@pytest.fixture(scope="module")
def plan(shop: ProblemData) -> Schedule:
    return solve(shop, time_limit=5, work_limit=0.3)


def _fixed_part(schedule: Schedule, now: int) -> dict[str, tuple[str, int, int]]:
    return {s.operation: (s.machine, s.start, s.end) for s in schedule.operations if s.start < now}


def test_breakdown_keeps_started_operations_fixed(shop: ProblemData, plan: Schedule) -> None:
    now = plan.makespan // 3
    running = [s for s in plan.operations if s.start < now < s.end]
    victim = next(s.machine for s in plan.operations if s.start >= now)
    event = MachineDown(victim, now, now + 60)
    repaired = reschedule(shop, plan, [event], now=now, time_limit=2, work_limit=0.3)
    assert_valid(apply_events(shop, [event]), repaired)
    after = repaired.by_operation()
    for op_id, (machine, start, end) in _fixed_part(plan, now).items():
        if any(r.operation == op_id and r.machine == victim for r in running):
            continue  # interrupted by the breakdown: restarts after it
        assert (after[op_id].machine, after[op_id].start, after[op_id].end) == (machine, start, end)
    for s in repaired.operations:
        if s.operation not in _fixed_part(plan, now):
            assert s.start >= now
            assert s.reason is not None
            assert s.reason.kind != "fixed"
        if s.machine == victim and s.start >= now:
            assert s.start >= now + 60 or s.end <= now


def test_frozen_horizon_stays_put(shop: ProblemData, plan: Schedule) -> None:
    now, frozen = 10, 80
    first: dict[str, int] = {}
    for s in plan.operations:
        first[s.order] = min(first.get(s.order, s.start), s.start)
    job = max(first, key=lambda order: first[order])  # not started yet: its material can be late
    late = MaterialLate(job, release=plan.makespan // 2)
    repaired = reschedule(shop, plan, [late], now=now, frozen=frozen, work_limit=0.3)
    assert_valid(apply_events(shop, [late]), repaired)
    before, after = plan.by_operation(), repaired.by_operation()
    for op_id, s in before.items():
        if s.start < now + frozen and not op_id.startswith(f"{job}-"):
            assert (after[op_id].start, after[op_id].machine) == (s.start, s.machine)


def test_nothing_happened_nothing_moves(shop: ProblemData, plan: Schedule) -> None:
    repaired = reschedule(shop, plan, [], now=20, work_limit=0.3)
    assert repaired.moved == 0
    assert repaired.makespan <= plan.makespan


def test_rush_order_and_cancellation(shop: ProblemData, plan: Schedule) -> None:
    rush = WorkOrder(
        "RUSH", (Operation("RUSH-1", (Mode("M0", 15), Mode("M1", 20))),), due=60, weight=10
    )
    events = [OrderAdded(rush), OrderCancelled("J0")]
    repaired = reschedule(shop, plan, events, now=30, objective="mix", work_limit=0.3)
    assert_valid(apply_events(shop, events), repaired)
    ops = repaired.by_operation()
    assert "RUSH-1" in ops
    assert not any(k.startswith("J0-") for k in ops)


def test_unknown_event_targets_are_invalid(shop: ProblemData, plan: Schedule) -> None:
    with pytest.raises(InvalidInput, match="M99"):
        reschedule(shop, plan, [MachineDown("M99", 0, 10)], now=0)
    with pytest.raises(InvalidInput, match="NOPE"):
        reschedule(shop, plan, [OrderCancelled("NOPE")], now=0)


def test_rescheduling_500_operations_respects_its_budget() -> None:
    shop = random_shop(orders=50, machines=10, seed=5, ops=10)
    plan = solve(shop, time_limit=3)
    now = plan.makespan // 4
    event = MachineDown("M3", now, now + 120)
    clock = time.monotonic()
    repaired = reschedule(shop, plan, [event], now=now, time_limit=2.0)
    # A guard against ignoring the budget, not a speed measurement (see benchmarks/scheduling).
    assert time.monotonic() - clock < 2.0 + 5.0
    assert_valid(apply_events(shop, [event]), repaired)
