"""A machine that runs slow makes the plan stale: the MES reports the operation finishing
late, and the re-planning autopilot re-plans on it (on time it does not)."""

from __future__ import annotations

from datetime import timedelta

from openfab.autopilot.replanning import DRIFT_MINUTES, ReplanningAutopilot
from openfab.execution.schemas import OperationFinish, OperationStart
from openfab.platform import Platform
from tests.conftest import Following, TenantPeople
from tests.execution.conftest import TWIN, machine_for, message, scheduled


def test_a_slow_machine_triggers_a_replan_an_on_time_one_does_not(
    platform: Platform, tenant: TenantPeople
) -> None:
    work_order = scheduled(platform, tenant)
    first, second = work_order.operations[:2]
    assert first.planned_start and first.planned_end and second.planned_end
    autopilot = Following(platform, ReplanningAutopilot(platform.planning, time_limit=2))
    try:
        on_time = first.planned_end + timedelta(minutes=DRIFT_MINUTES / 2)
        with platform.execution.floor(TWIN, tenant_id=tenant.tenant_id) as floor:
            machine = first.planned_machine or machine_for(platform, first.work_centers)
            start = OperationStart(
                message_id=message(), machine=machine, started_at=first.planned_start
            )
            floor.start_operation(work_order.number, first.sequence, start)
            done = OperationFinish(message_id=message(), quantity_good=1, finished_at=on_time)
            floor.finish_operation(work_order.number, first.sequence, done)
        assert autopilot.poll() == []  # within the threshold: the plan still holds

        slow = second.planned_end + timedelta(minutes=DRIFT_MINUTES * 3)  # a slowed machine
        with platform.execution.floor(TWIN, tenant_id=tenant.tenant_id) as floor:
            machine = second.planned_machine or machine_for(platform, second.work_centers)
            start = OperationStart(message_id=message(), machine=machine, started_at=on_time)
            floor.start_operation(work_order.number, second.sequence, start)
            done = OperationFinish(message_id=message(), quantity_good=1, finished_at=slow)
            floor.finish_operation(work_order.number, second.sequence, done)
        [summary] = autopilot.poll()
        assert "operation.finished" in summary.run.trigger
    finally:
        autopilot.relay.close()
