"""Maintenance plans itself: a machine whose failure is near gets a maintenance order with
its evidence, booked into the plan as planned downtime before the predicted failure, at the
cheapest gap the plan leaves; entering maintenance closes the order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from openfab.autopilot.maintenance import STOP, MaintenanceAutopilot, choose_window
from openfab.maintenance.schemas import MachineHealthPublic
from openfab.planning.mrp.schemas import MoveCreate, MoveKind
from openfab.platform import Platform
from openfab.store.events import EventMessage
from openfab.store.types import utcnow
from openfab.twin.results import MachineStatus
from tests.conftest import PLANT
from tests.maintenance.telemetry import own, store, wearing_readings

pytestmark = pytest.mark.xdist_group("maintenance")
__all__ = ["own"]
MACHINE = "paint_line-2"


def event(type_: str, payload: dict[str, object], entity: str = "machines") -> EventMessage:
    return EventMessage(
        seq=1, event_id=uuid.uuid4().hex, type=type_, tenant_id=None, entity_type="machine",
        entity_id=entity, payload=payload, actor="system:test", occurred_at=datetime.now(UTC),
    )  # fmt: skip


def health(rul: float, lower: float, p: float = 0.5) -> MachineHealthPublic:
    return MachineHealthPublic(
        machine=MACHINE, work_center="paint_line", assessed_at=utcnow(), health=0.9, drift=0.4,
        alarm=True, rul_hours=rul, rul_lower=lower, rul_upper=rul * 1.5, failure_probability=p,
        windows=80, readings=5000, cleaning={},
    )  # fmt: skip


def test_the_order_lands_in_the_plan_before_the_predicted_failure(own: Platform) -> None:
    start = utcnow() - timedelta(hours=40)
    store(own, wearing_readings(MACHINE, start, 40, wear_to=0.95, seed=7))
    pilot = MaintenanceAutopilot(own.maintenance, own.planning, own.catalog)
    done = own.maintenance.assess()
    assert MACHINE in done.at_risk
    opened = pilot.handle([event("maintenance.assessed", {"at_risk": done.at_risk})])
    assert opened >= 1
    order = next(o for o in own.maintenance.orders(PLANT) if o.machine == MACHINE)
    assert order.status == "Planned" and order.downtime_id
    assert order.window_start is not None and order.window_end is not None
    assert order.evidence["windows"] > 0 and "failure risk" in order.reason
    assert order.spare_parts == "spare parts to MRP: 1 x spare_kit_paint_line"
    health_now = own.maintenance.latest(MACHINE)
    assert health_now is not None and health_now.rul_lower is not None
    predicted = health_now.assessed_at + timedelta(hours=max(health_now.rul_lower, 0))
    assert order.window_end <= max(predicted, order.window_start + STOP)
    booked = own.planning.downtime_since(utcnow() - timedelta(minutes=1))
    window = next(d for d in booked if d.id == order.downtime_id)
    assert window.machine == MACHINE and "predictive maintenance" in window.reason
    # one order per machine at a time
    assert pilot.handle([event("maintenance.assessed", {"at_risk": [MACHINE]})]) == 0
    # the machine is maintained: the order is done
    maintained = event("machine.state_changed", {"state": "Maintenance",
                                                 "at": utcnow().isoformat()}, MACHINE)  # fmt: skip
    assert pilot.handle([maintained]) == 1
    assert own.maintenance.orders(PLANT, status="Done")[0].machine == MACHINE


def test_spare_parts_go_through_mrp_and_are_taken_when_the_machine_is_maintained(
    own: Platform,
) -> None:
    """The order's kit is independent demand in the next MRP run (a purchase is planned when
    the stock will not cover it) and is consumed from stock at the maintenance."""
    store(own, wearing_readings(MACHINE, utcnow() - timedelta(hours=40), 40, wear_to=0.95, seed=7))
    own.materials.install_sample_suppliers(PLANT)
    pilot = MaintenanceAutopilot(own.maintenance, own.planning, own.catalog, own.materials)
    own.maintenance.assess()
    [assessed] = own.audit.list_events(PLANT, type_prefix="maintenance.assessed").data
    assert (
        assessed.payload["calls"][MACHINE]["chance"]
        >= assessed.payload["calls"][MACHINE]["threshold"]
    )
    assert pilot.handle([event("maintenance.assessed", assessed.payload)]) == 1
    [order] = own.maintenance.orders(PLANT)
    assert "passes the break-even" in order.reason and order.evidence["call"]
    own.materials.run(PLANT, trigger="test")
    planned = own.materials.purchase_orders(PLANT).data
    assert [(p.material, p.quantity) for p in planned] == [("spare_kit_paint_line", 1)]
    receipt = MoveCreate(kind=MoveKind.RECEIVE, material="spare_kit_paint_line", lot="KIT-1",
                         quantity=Decimal(2), unit="pcs")  # fmt: skip
    own.materials.move(PLANT, receipt)
    own.materials.run(PLANT, trigger="test")
    assert own.materials.purchase_orders(PLANT).data == []  # the shelf covers it
    maintained = event("machine.state_changed", {"state": "Maintenance",
                                                 "at": utcnow().isoformat()}, MACHINE)  # fmt: skip
    assert pilot.handle([maintained]) == 1
    assert pilot.handle([maintained]) == 0  # redelivered: nothing closed, nothing taken twice
    [stock] = own.materials.stock(PLANT, "spare_kit_paint_line")
    assert stock.on_hand == 1
    assert own.maintenance.spare_part_demand() == []


def test_the_cheapest_window_is_a_gap_in_the_plan_before_the_failure() -> None:
    now = datetime(2026, 3, 2, 8, tzinfo=UTC)
    h = timedelta(hours=1)
    bars = [(now, now + 3 * h), (now + 5 * h, now + 9 * h), (now + 9.25 * h, now + 20 * h)]
    start, cost, _ = choose_window(health(rul=14, lower=10), bars, now)
    assert start == now + 3 * h  # the two-hour idle gap: nothing displaced
    assert cost < 60
    # the failure is due before the gap: stop now, whatever it displaces
    start, _, _ = choose_window(health(rul=1.5, lower=1.0, p=0.99), bars, now)
    assert start < now + h


def test_a_healthy_plant_opens_no_order(own: Platform) -> None:
    store(own, wearing_readings(MACHINE, utcnow() - timedelta(hours=24), 24, wear_from=0.1,
                                wear_to=0.1, seed=8))  # fmt: skip
    pilot = MaintenanceAutopilot(own.maintenance, own.planning, own.catalog)
    done = own.maintenance.assess()
    assert pilot.handle([event("maintenance.assessed", {"at_risk": done.at_risk})]) == 0
    assert own.maintenance.orders(PLANT) == []


def test_the_demo_crew_stops_the_machine_in_the_window_the_autopilot_booked(
    own: Platform,
) -> None:
    """The demo's OpenFab maintenance end to end on the event log: an assessment on its
    cadence, the autopilot's booked order, the crew's stop for the twin in its minutes."""
    from openfab.demo.upkeep import PredictiveUpkeep

    store(own, wearing_readings(MACHINE, utcnow() - timedelta(hours=40), 40, wear_to=0.95, seed=7))
    origin = utcnow() - timedelta(days=1)
    upkeep = PredictiveUpkeep(own, start=utcnow() - timedelta(hours=9), ceiling_hours=None)
    [window] = [w for w in upkeep.windows(utcnow(), TwinClock(origin)) if w.machine == MACHINE]
    [order] = [o for o in own.maintenance.orders(PLANT) if o.machine == MACHINE]
    assert order.window_start is not None and order.window_end is not None
    assert window.start == pytest.approx(TwinClock(origin).minutes(order.window_start))
    assert window.end - window.start == pytest.approx(STOP.total_seconds() / 60)
    assert upkeep.windows(utcnow(), TwinClock(origin)) == []  # not due again, nothing new
    upkeep.close()


@dataclass
class TwinClock:
    """The twin as upkeep reads it: minutes since ``origin`` (no hour meters needed here)."""

    origin: datetime

    @property
    def now(self) -> float:
        return self.minutes(utcnow())

    def minutes(self, moment: datetime) -> float:
        return (moment - self.origin).total_seconds() / 60

    def machine_status(self) -> dict[str, MachineStatus]:
        return {}


def test_a_healthy_machine_at_the_service_ceiling_is_booked_within_the_next_chance(
    own: Platform,
) -> None:
    """Predictions do not stretch the plant's service ceiling: a healthy machine that has run
    100 h since its last maintenance is due at a 90-h ceiling; its order says why and is
    booked before the next chance to stop passes. A sibling that ran less is not due."""
    from tests.maintenance.test_service import _states

    now = utcnow()
    sibling = "paint_line-3"
    for machine, hours in ((MACHINE, 100), (sibling, 60)):
        renewed = now - timedelta(hours=hours)
        _states(own, machine, [("Maintenance", renewed - timedelta(hours=1)), ("Running", renewed)])
        store(own, wearing_readings(machine, now - timedelta(hours=24), 24, wear_from=0.1,
                                    wear_to=0.1, seed=9, prefix=f"c{hours}"))  # fmt: skip
    assert own.maintenance.assess(now=now).at_risk == []  # no ceiling: healthy, not due
    done = own.maintenance.assess(now=now, ceiling_hours=90)
    assert done.at_risk == [MACHINE]
    assessed = own.audit.list_events(PLANT, type_prefix="maintenance.assessed").data
    call = next(e for e in assessed if e.payload["at_risk"]).payload["calls"][MACHINE]
    assert call["by_ceiling"] and call["ceiling_hours"] == 90 and call["chance"] < call["threshold"]
    pilot = MaintenanceAutopilot(own.maintenance, own.planning, own.catalog)
    assert pilot.plan_maintenance(MACHINE, now=now, call=call) == 1
    [order] = own.maintenance.orders(PLANT)
    assert "service ceiling of 90 h" in order.reason
    assert order.window_start is not None
    assert order.window_start <= now + timedelta(hours=call["next_chance_hours"])
    booked = own.planning.downtime_since(now - timedelta(minutes=1))
    assert next(d for d in booked if d.id == order.downtime_id).reason.startswith("service ceiling")


def test_machines_never_seen_serviced_fall_due_at_their_turn(own: Platform) -> None:
    """A plant taken over without service records: each machine's first service falls at its
    own share of the ceiling, counted in the running hours since it was first seen."""
    from openfab.maintenance.machine_health import first_service_hours
    from tests.maintenance.test_service import _states

    now = utcnow()
    late, early = MACHINE, "paint_line-4"
    for machine, hours in ((late, first_service_hours(late, 90) + 2),
                           (early, first_service_hours(early, 90) - 2)):  # fmt: skip
        _states(own, machine, [("Running", now - timedelta(hours=hours))])
        store(own, wearing_readings(machine, now - timedelta(hours=12), 12, wear_from=0.1,
                                    wear_to=0.1, seed=10, prefix="f"))  # fmt: skip
    assert own.maintenance.assess(now=now, ceiling_hours=90).at_risk == [late]
    [last] = own.audit.list_events(PLANT, type_prefix="maintenance.assessed").data
    assert "never seen serviced" in last.payload["calls"][late]["why"]
