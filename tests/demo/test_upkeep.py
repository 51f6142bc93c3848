"""The demo's maintenance practices: the baseline's hour-meter stops and the crew that
carries out the windows OpenFab's maintenance autopilot booked."""

from __future__ import annotations

from datetime import UTC, datetime

from openfab.connect.bus import EventMessage
from openfab.demo.upkeep import MaintenanceCrew, PreventiveUpkeep
from openfab.twin import MachineState, MaintenanceWindow
from openfab.twin.results import MachineStatus

T0 = datetime(2026, 1, 5, 6, tzinfo=UTC)


def status(hours: float) -> MachineStatus:
    return MachineStatus(MachineState.IDLE, 0.1, 0.0, 0, 0, {}, running_hours=hours)


def test_preventive_stops_each_machine_every_interval_of_running_hours() -> None:
    """Two machines, staggered: press-1 starts a fresh cycle, press-2 half-way through."""
    upkeep = PreventiveUpkeep(interval_hours=90, stop_minutes=90)
    assert upkeep.due({"press-1": status(0), "press-2": status(0)}, 0) == []
    assert upkeep.due({"press-1": status(44), "press-2": status(44)}, 600) == []
    due = upkeep.due({"press-1": status(46), "press-2": status(46)}, 660)
    assert due == [MaintenanceWindow("press-2", 660, 750)]
    due = upkeep.due({"press-1": status(90.5), "press-2": status(50)}, 700)
    assert due == [MaintenanceWindow("press-1", 700, 790)]
    assert upkeep.due({"press-1": status(150), "press-2": status(120)}, 720) == []
    assert [w.machine for w in upkeep.due({"press-1": status(181)}, 800)] == ["press-1"]


def message(payload: dict[str, object], seq: int = 1) -> EventMessage:
    return EventMessage(
        seq=seq,
        event_id=f"e{seq}",
        type="maintenance.order_opened",
        tenant_id=None,
        entity_type="maintenance_order",
        entity_id=f"mo-{seq}",
        payload=payload,
        actor="system:maintenance-autopilot",
        occurred_at=T0,
    )


def test_the_crew_takes_each_booked_window_once_and_skips_orders_without_one() -> None:
    crew = MaintenanceCrew()
    start, end = T0.replace(hour=8), T0.replace(hour=9, minute=30)
    crew.handle(
        [
            message(
                {
                    "machine": "press-1",
                    "window_start": start.isoformat(),
                    "window_end": end.isoformat(),
                }
            ),
            message({"machine": "press-2", "window_start": None, "window_end": None}, 2),
        ]
    )
    assert crew.take() == [("press-1", start, end)]
    assert crew.take() == []
