"""What makes the re-planning autopilot re-plan: drift beyond the threshold, breakdowns,
orders; not the floor's routine chatter."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openfab.autopilot.replanning import DRIFT_MINUTES, affects_plan
from openfab.store.events import EventMessage


def message(type_: str, **payload: object) -> EventMessage:
    return EventMessage(
        seq=1,
        event_id="e1",
        type=type_,
        tenant_id=None,
        entity_type="x",
        entity_id="x",
        payload=dict(payload),
        actor="system:test",
        occurred_at=datetime(2026, 1, 5, tzinfo=UTC),
    )


@pytest.mark.parametrize("kind", ["operation.started", "operation.finished"])
def test_an_operation_running_behind_plan_beyond_the_threshold_triggers(kind: str) -> None:
    assert affects_plan(message(kind, late_minutes=DRIFT_MINUTES + 0.1))
    assert not affects_plan(message(kind, late_minutes=DRIFT_MINUTES))
    assert not affects_plan(message(kind, late_minutes=-120.0))  # early is no drift
    assert not affects_plan(message(kind))  # never planned: nothing to drift from


def test_breakdowns_and_orders_trigger_running_and_idle_do_not() -> None:
    assert affects_plan(message("machine.state_changed", state="Down"))
    assert not affects_plan(message("machine.state_changed", state="Running"))
    assert affects_plan(message("order.placed"))
    assert not affects_plan(message("order.status_changed", to="Planned"))
    assert affects_plan(message("order.status_changed", to="Cancelled"))
