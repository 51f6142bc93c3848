"""Writing a solved plan: the solver runs outside any transaction, so the open orders may
change before the plan is written; and orders move only through the order state machine."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from openfab.orders.schemas import OrderCreate
from openfab.orders.states import OrderStatus
from openfab.planning.orm import ScheduledOperationRow
from openfab.planning.schedule import Schedule
from openfab.planning.service import PlanningService
from openfab.platform import Platform
from openfab.store import EventRecord
from openfab.store.tenancy import Scope
from tests.conftest import PLANT, TenantPeople
from tests.orders.test_service import cheapest


def place(platform: Platform, tenant: TenantPeople, who: str = "alice") -> str:
    actor = getattr(tenant, who)
    body = OrderCreate(product="fridge", choices=cheapest(platform, tenant))
    return platform.orders.place(actor, body).id


def test_an_order_cancelled_while_the_solver_runs_is_dropped_and_the_plan_kept(
    platform: Platform, tenant: TenantPeople, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The solver runs outside any transaction, so an order may leave the open set before
    the plan is written: its operations are dropped (and counted in the plan's event), the
    other orders' plan is written, and the cancelled order stays cancelled."""
    kept = place(platform, tenant, "alice")
    cancelled = place(platform, tenant, "bob")
    solve = PlanningService._solve

    def cancel_then_solve(*args: Any, **kwargs: Any) -> Schedule:
        platform.orders.cancel(tenant.bob, cancelled, note="changed my mind")
        return solve(*args, **kwargs)

    monkeypatch.setattr(PlanningService, "_solve", staticmethod(cancel_then_solve))
    summary = platform.planning.plan(PLANT, time_limit=2)

    assert summary.dropped_orders == 1
    with platform.db.unit(Scope.tenant(tenant.tenant_id), actor="t", readonly=True) as uow:
        planned = set(
            uow.session.scalars(
                select(ScheduledOperationRow.order_id).where(
                    ScheduledOperationRow.run_id == summary.run.id
                )
            )
        )
    assert kept in planned
    assert cancelled not in planned
    assert platform.orders.get(tenant.planner, kept).status == OrderStatus.PLANNED
    steps = [s.status for s in platform.orders.track(tenant.bob, cancelled).steps]
    assert steps == ["Received", "Cancelled"]
    with platform.db.unit(Scope.plant(), actor="t", readonly=True) as uow:
        event = uow.session.scalars(
            select(EventRecord).where(
                EventRecord.type == "schedule.planned", EventRecord.entity_id == summary.run.id
            )
        ).one()
    assert event.payload["dropped_orders"] == 1
    assert event.payload["operations"] == summary.run.operations


def test_planning_moves_orders_only_through_the_order_state_machine(
    platform: Platform, tenant: TenantPeople
) -> None:
    """A received order becomes Planned with one status event that carries its new promise
    date (the order service's transition, not a bare assignment)."""
    order_id = place(platform, tenant)
    platform.planning.plan(PLANT, time_limit=2)
    with platform.db.unit(Scope.tenant(tenant.tenant_id), actor="t", readonly=True) as uow:
        changes = uow.session.scalars(
            select(EventRecord).where(
                EventRecord.type == "order.status_changed", EventRecord.entity_id == order_id
            )
        ).all()
    assert [(e.payload["from"], e.payload["to"]) for e in changes] == [("Received", "Planned")]
    promise = platform.orders.get(tenant.planner, order_id).promise_date
    assert changes[0].payload["promise_date"] == promise.isoformat()
