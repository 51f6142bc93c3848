"""Actual against plan: an operation's started and finished events say how late it was, so
the re-planning autopilot can re-plan when the drift passes its threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from openfab.execution.orm import OperationRow
from openfab.execution.schemas import OperationFinish, OperationStart
from openfab.execution.service import late_minutes
from openfab.platform import Platform
from openfab.store import EventRecord
from openfab.store.tenancy import Scope
from tests.conftest import TenantPeople
from tests.execution.conftest import TWIN, machine_for, message, released, scheduled


def payloads(
    platform: Platform, tenant: TenantPeople, work_order_id: str, sequence: int
) -> dict[str, dict[str, Any]]:
    """The operation's events by type."""
    with platform.db.unit(Scope.tenant(tenant.tenant_id), actor="t", readonly=True) as uow:
        op_id = uow.session.scalar(
            select(OperationRow.id).where(
                OperationRow.work_order_id == work_order_id, OperationRow.sequence == sequence
            )
        )
        rows = uow.session.execute(
            select(EventRecord.type, EventRecord.payload).where(EventRecord.entity_id == op_id)
        ).all()
    return {str(type_): payload for type_, payload in rows}


def test_late_minutes_is_actual_minus_plan_to_a_tenth() -> None:
    plan = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert late_minutes(plan + timedelta(minutes=7, seconds=14), plan) == 7.2
    assert late_minutes(plan - timedelta(seconds=90), plan) == -1.5
    assert late_minutes(plan + timedelta(seconds=2), plan) == 0.0  # never -0.0
    assert str(late_minutes(plan - timedelta(seconds=2), plan)) == "0.0"


def test_started_and_finished_events_carry_the_drift_from_plan_and_the_settings(
    platform: Platform, tenant: TenantPeople
) -> None:
    work_order = scheduled(platform, tenant)
    op = work_order.operations[0]
    assert op.planned_start is not None and op.planned_end is not None
    machine = op.planned_machine or machine_for(platform, op.work_centers)
    started = op.planned_start + timedelta(minutes=12, seconds=20)  # 12.3 minutes late
    finished = op.planned_end - timedelta(minutes=4, seconds=30)  # 4.5 minutes early
    settings = {"oven_temperature_c": 193.5}
    start = OperationStart(
        message_id=message(), machine=machine, started_at=started, parameters=settings
    )
    done = OperationFinish(message_id=message(), quantity_good=1, finished_at=finished)
    with platform.execution.floor(TWIN, tenant_id=tenant.tenant_id) as floor:
        assert floor.start_operation(work_order.number, op.sequence, start) is not None
        assert floor.finish_operation(work_order.number, op.sequence, done) is not None
    events = payloads(platform, tenant, work_order.id, op.sequence)
    assert events["operation.started"]["late_minutes"] == 12.3
    assert events["operation.started"]["parameters"] == settings  # what run-to-run control reads
    assert events["operation.finished"]["late_minutes"] == -4.5


def test_no_plan_no_drift(platform: Platform, tenant: TenantPeople) -> None:
    work_order = released(platform, tenant)  # released by hand: no schedule, no planned times
    op = work_order.operations[0]
    assert op.planned_start is None and op.planned_end is None
    machine = machine_for(platform, op.work_centers)
    start = OperationStart(message_id=message(), machine=machine)
    platform.execution.start_operation(TWIN, work_order.number, op.sequence, start)
    done = OperationFinish(message_id=message(), quantity_good=1)
    platform.execution.finish_operation(TWIN, work_order.number, op.sequence, done)
    events = payloads(platform, tenant, work_order.id, op.sequence)
    assert set(events) == {"operation.started", "operation.finished"}
    assert all("late_minutes" not in p for p in events.values())
