"""Planning open orders of the shared plant: promise dates from the schedule, Gantt views
per tenant and customer, and the autopilot re-planning on events by itself."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy import select

from openfab.autopilot.replanning import ReplanningAutopilot
from openfab.orders.schemas import OrderCreate, OrderTransition
from openfab.orders.states import OrderStatus
from openfab.planning.orm import ScheduledOperationRow
from openfab.planning.schemas import DowntimeCreate, GanttRow
from openfab.platform import Platform
from openfab.store import EventRecord
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow
from tests.conftest import PLANT, Following, TenantPeople
from tests.orders.test_service import cheapest


def place(platform: Platform, tenant: TenantPeople, who: str = "alice") -> str:
    actor = getattr(tenant, who)
    body = OrderCreate(product="fridge", choices=cheapest(platform, tenant))
    return platform.orders.place(actor, body).id


def test_planning_moves_orders_to_planned_with_the_schedules_promise(
    platform: Platform, tenant: TenantPeople
) -> None:
    order_id = place(platform, tenant)
    summary = platform.planning.plan(PLANT, time_limit=2)
    order = platform.orders.get(tenant.planner, order_id)
    assert order.status == OrderStatus.PLANNED
    with platform.db.unit(Scope.tenant(tenant.tenant_id), actor="t", readonly=True) as uow:
        ops = uow.session.scalars(
            select(ScheduledOperationRow).where(
                ScheduledOperationRow.run_id == summary.run.id,
                ScheduledOperationRow.order_id == order_id,
            )
        ).all()
    routing = platform.orders.get(tenant.planner, order_id).configured["routing"]
    assert len(ops) == len(routing)
    ordered = sorted(ops, key=lambda o: o.sequence)
    for before, after in itertools.pairwise(ordered):
        assert before.end_at <= after.start_at  # the routing's order is kept
    assert order.promise_date > max(o.end_at for o in ops)
    steps = [s.status for s in platform.orders.track(tenant.alice, order_id).steps]
    assert steps == ["Received", "Planned"]


def test_gantt_shows_only_the_callers_orders(
    platform: Platform, tenant: TenantPeople, other_tenant: TenantPeople
) -> None:
    mine = place(platform, tenant, "alice")
    bobs = place(platform, tenant, "bob")
    theirs = place(platform, other_tenant, "alice")
    platform.planning.plan(PLANT, time_limit=2)

    def orders_in(gantt_rows: list[GanttRow]) -> set[str]:
        return {bar.order_id for row in gantt_rows for bar in row.bars}

    staff_view = orders_in(platform.planning.gantt(tenant.planner).rows)
    assert {mine, bobs} <= staff_view
    assert theirs not in staff_view
    alice_view = orders_in(platform.planning.gantt(tenant.alice, by="order").rows)
    assert alice_view == {mine}  # not Bob's, not the other tenant's


def test_the_autopilot_replans_after_orders_and_cancellations(
    platform: Platform, tenant: TenantPeople
) -> None:
    autopilot = Following(platform, ReplanningAutopilot(platform.planning, time_limit=2))
    first = place(platform, tenant)
    second = place(platform, tenant)
    [summary] = autopilot.poll()  # two orders, one plan
    assert "order.placed" in summary.run.trigger
    assert autopilot.poll() == []  # nothing new happened (its own plan is no trigger)
    platform.orders.transition(tenant.alice, second, OrderTransition(status=OrderStatus.CANCELLED))
    [again] = autopilot.poll()
    assert "order.status_changed" in again.run.trigger
    assert platform.orders.get(tenant.alice, first).status == OrderStatus.PLANNED
    with platform.db.unit(Scope.plant(), actor="t", readonly=True) as uow:
        decisions = uow.session.scalars(
            select(EventRecord).where(EventRecord.type == "schedule.planned")
        ).all()
    assert any(d.payload["trigger"].startswith("autopilot:") for d in decisions)


def test_a_step_longer_than_a_shift_is_split_into_sub_lots(
    platform: Platform, tenant: TenantPeople
) -> None:
    body = OrderCreate(product="fridge", choices=cheapest(platform, tenant), quantity=400)
    order_id = platform.orders.place(tenant.planner, body).id
    platform.planning.plan(PLANT, time_limit=3)
    bars = [
        bar
        for row in platform.planning.gantt(tenant.planner, by="order").rows
        for bar in row.bars
        if bar.order_id == order_id
    ]
    routing = platform.orders.get(tenant.planner, order_id).configured["routing"]
    assert len(bars) > len(routing)  # some steps ran as several sub-lots
    assert {b.sequence for b in bars} == {int(op["sequence"]) for op in routing}
    for bar in bars:
        assert (bar.end_at - bar.start_at).total_seconds() <= 24 * 3600


def test_a_machine_down_is_planned_around_by_the_autopilot(
    platform: Platform, tenant: TenantPeople
) -> None:
    place(platform, tenant)
    first = platform.planning.plan(PLANT, time_limit=2)
    with platform.db.unit(Scope.plant(), actor="t", readonly=True) as uow:
        busiest = uow.session.scalars(
            select(ScheduledOperationRow.machine).where(
                ScheduledOperationRow.run_id == first.run.id
            )
        ).first()
    assert busiest is not None
    now = utcnow()
    window = (now - timedelta(hours=1), now + timedelta(days=2))
    autopilot = Following(platform, ReplanningAutopilot(platform.planning, time_limit=2))
    platform.planning.report_downtime(
        PLANT,
        DowntimeCreate(machine=busiest, start_at=window[0], end_at=window[1]),
    )
    [summary] = autopilot.poll()
    assert "machine.down" in summary.run.trigger
    with platform.db.unit(Scope.plant(), actor="t", readonly=True) as uow:
        on_it = uow.session.scalars(
            select(ScheduledOperationRow).where(
                ScheduledOperationRow.run_id == summary.run.id,
                ScheduledOperationRow.machine == busiest,
            )
        ).all()
    assert all(op.end_at <= window[0] or op.start_at >= window[1] for op in on_it)


def test_replanning_keeps_started_operations_where_they_are(
    platform: Platform, tenant: TenantPeople
) -> None:
    place(platform, tenant)
    first = platform.planning.plan(PLANT, time_limit=2)

    def operations(run_id: str) -> dict[tuple[str, int, datetime], tuple[str, datetime]]:
        with platform.db.unit(Scope.plant(), actor="t", readonly=True) as uow:
            rows = uow.session.scalars(
                select(ScheduledOperationRow).where(ScheduledOperationRow.run_id == run_id)
            ).all()
        return {(r.order_id, r.sequence, r.start_at): (r.machine, r.end_at) for r in rows}

    before = operations(first.run.id)
    later = min(start for _, _, start in before) + timedelta(minutes=30)
    started = {key: where for key, where in before.items() if key[2] < later}
    assert started
    place(platform, tenant)  # a new order arrives while the first operations run
    again = platform.planning.plan(PLANT, time_limit=2, now=later)
    after = operations(again.run.id)
    assert len(after) > len(before)
    for key, where in started.items():
        assert after.get(key) == where  # same order step, start, machine and end


def test_the_gantt_keeps_its_bars_through_events_that_do_not_change_them(
    platform: Platform, tenant: TenantPeople
) -> None:
    order_id = place(platform, tenant)
    platform.planning.plan(PLANT, time_limit=2)
    start, end = utcnow() - timedelta(hours=2), utcnow() + timedelta(days=60)

    def bars() -> list[object]:
        return list(platform.planning.window(PLANT, start, end, order=order_id).bars)

    first = bars()
    assert first
    with platform.db.unit(Scope.plant(), actor="t") as uow:  # the floor's chatter
        uow.record("machine.state_changed", "machine", "press-1", {"state": "Idle"})
    assert all(a is b for a, b in zip(bars(), first, strict=True))  # kept, not rebuilt
    place(platform, tenant)  # an order event: rebuilt
    assert not any(a is b for a, b in zip(bars(), first, strict=True))
