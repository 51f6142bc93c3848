"""The quality loop closes by itself: an SPC alarm re-centres the parameter and, if that does
not hold, stops the machine for maintenance; a lot behind the defects is quarantined; rising
rejects tighten inspection; each decision once per cool-down, with its reasons; on both
databases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from openfab.autopilot.quality import ACTOR, FLOOR, QualityAutopilot
from openfab.platform import Platform
from openfab.quality.schemas import CausePublic
from openfab.store import EventRecord
from openfab.store.events import EventMessage
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow
from tests.conftest import PLANT
from tests.execution.conftest import in_stores

pytestmark = pytest.mark.xdist_group("quality")


@pytest.fixture(autouse=True)
def plant(platform: Platform) -> None:
    platform.catalog.install_reference_data(PLANT)  # the sample plant's machines and materials


def pilot(platform: Platform) -> QualityAutopilot:
    return QualityAutopilot(platform.quality, platform.spc, platform.planning, platform.materials)


def alarm(
    machine: str, characteristic: str = "paint.film_thickness_um", value: float = 93.2
) -> EventMessage:
    return EventMessage(
        seq=1,
        event_id=uuid.uuid4().hex,
        type="quality.spc_alarm",
        tenant_id=None,
        entity_type="characteristic",
        entity_id=characteristic,
        payload={
            "characteristic": characteristic,
            "rule": "nelson-1",
            "value": value,
            "machine": machine,
            "message": f"point 41 ({value}) is above the limit 86.1",
        },
        actor="system:quality-spc",
        occurred_at=datetime.now(UTC),
    )


def cause(factor: str, level: str) -> CausePublic:
    return CausePublic(
        rank=1, suspect=f"{factor} {level}", factor=factor, level=level, low=None, high=None,
        sentence=f"Units {factor} {level} failed 9 of 12 (75 %) vs 0 of 12 elsewhere.",
        confidence="high", test="Fisher exact", p_value=1e-4, q_value=1e-3,
        effect="risk ratio", effect_size=19.0, ci_low=2.1, ci_high=170.0,
        exposed_units=12, exposed_defects=9, other_units=12, other_defects=0, inseparable=[],
    )  # fmt: skip


def test_an_alarm_recentres_then_a_second_one_beyond_spec_stops_the_machine(
    platform: Platform,
) -> None:
    machine = "paint_line-1"
    assert machine in platform.execution.machines()
    loop = pilot(platform)
    assert loop.handle([alarm(machine)]) == 1
    first = platform.quality.decisions(PLANT, 5)[0]
    assert first.event_type == "quality.setpoint_requested" and machine in first.subject
    assert "nelson-1" in first.reason
    assert loop.handle([alarm(machine, value=85.0)]) == 0  # within spec (80 ± 12): no stop
    assert loop.handle([alarm(machine)]) == 1  # beyond spec again: re-centring did not hold
    second = platform.quality.decisions(PLANT, 5)[0]
    assert (second.event_type, second.subject) == ("quality.maintenance_requested", machine)
    booked = platform.planning.downtime_since(utcnow() - timedelta(minutes=5))
    assert any(d.machine == machine and "quality" in d.reason for d in booked)
    assert loop.handle([alarm(machine)]) == 0  # one stop per cool-down


def test_a_setpoint_aims_at_the_machines_own_work_center_setting(platform: Platform) -> None:
    """Screw torque is 4.5 N·m on one line and 2.2 on another: re-centring a machine aims
    at its own line's setting, never at the other's (that would make every unit defective);
    a machine without the parameter gets no setpoint."""
    own = platform.gateway.directory.machine_specs
    targets = {
        own[m]["screw_torque_nm"].target: m for m in sorted(own) if "screw_torque_nm" in own[m]
    }
    assert len(targets) >= 2, "the sample plant sets screw torque differently on two lines"
    loop = pilot(platform)
    for target, machine in sorted(targets.items()):
        assert loop.handle([alarm(machine, "assemble.screw_torque_nm")]) == 1
        decision = platform.quality.decisions(PLANT, 5)[0]
        with platform.db.unit(Scope.plant(), actor="t", readonly=True) as uow:
            payload = uow.session.scalars(
                select(EventRecord.payload).where(EventRecord.entity_id == decision.id)
            ).one()
        assert (payload["machine"], payload["target"]) == (machine, target)
    without = next(m for m in sorted(own) if "screw_torque_nm" not in own[m])
    assert loop.handle([alarm(without, "assemble.screw_torque_nm")]) == 0


def started(machine: str, settings: dict[str, float]) -> EventMessage:
    return EventMessage(
        seq=1,
        event_id=uuid.uuid4().hex,
        type="operation.started",
        tenant_id="some-brand",
        entity_type="work_order_operation",
        entity_id=uuid.uuid4().hex,
        payload={"work_order": "WO-1", "sequence": 10, "machine": machine, "parameters": settings},
        actor="system:twin",
        occurred_at=datetime.now(UTC),
    )


def test_run_to_run_control_recentres_a_machine_from_its_operations_settings(
    platform: Platform,
) -> None:
    """Each operation's settings feed the run-to-run controller: inside the dead band
    nothing happens; past it the machine is sent its own line's target, as its own kind of
    decision (an SPC re-centring after it is not one that "did not hold")."""
    own = platform.gateway.directory.machine_specs
    machine = next(m for m in sorted(own) if "screw_torque_nm" in own[m])
    spec = own[machine]["screw_torque_nm"]
    loop = pilot(platform)
    assert loop.handle([started(machine, {"screw_torque_nm": spec.target})]) == 0
    off = spec.target + 0.9 * spec.tolerance  # smoothed: 0.45 tolerances off
    assert loop.handle([started(machine, {"screw_torque_nm": off})]) == 1
    decision = platform.quality.decisions(PLANT, 5)[0]
    assert (decision.kind, decision.event_type) == ("run-to-run", "quality.setpoint_requested")
    assert decision.subject == f"{machine}/screw_torque_nm" and "run-to-run" in decision.reason
    with platform.db.unit(Scope.plant(), actor="t", readonly=True) as uow:
        payload = uow.session.scalars(
            select(EventRecord.payload).where(EventRecord.entity_id == decision.id)
        ).one()
    assert (payload["machine"], payload["target"], payload["observed"]) == (
        machine,
        spec.target,
        off,
    )


def test_a_lot_behind_the_defects_is_quarantined_and_no_longer_available(
    platform: Platform,
) -> None:
    lot = f"LOT-Q-{uuid.uuid4().hex[:8]}"
    in_stores(platform, lot)
    before = platform.materials.available(["steel_coil_dc01"])["steel_coil_dc01"].available
    loop = pilot(platform)
    assert loop._act_on(cause("steel_coil_dc01 lot", lot), "9 of the last 60 rejected") == 1
    after = platform.materials.available(["steel_coil_dc01"])["steel_coil_dc01"].available
    assert before - after == 1000
    decision = platform.quality.decisions(PLANT, 1)[0]
    assert decision.event_type == "quality.lot_quarantined" and lot in decision.subject
    assert loop._act_on(cause("steel_coil_dc01 lot", lot), "again") == 0


def test_tightening_lowers_the_limit_once_and_never_below_the_floor(
    platform: Platform,
) -> None:
    from tests.quality.test_inline_inspection import QUALITY, trained_model

    platform.quality.install_model(QUALITY, trained_model(), name="tighten-test", product="")
    loop = pilot(platform)
    limits = {m.name: m.threshold for m in platform.quality.models(PLANT) if m.active}
    assert loop._tighten("9 of the last 60 rejected") == 1
    tightened = {m.name: m.threshold for m in platform.quality.models(PLANT) if m.active}
    assert all(tightened[n] < limits[n] for n in limits)
    assert loop._tighten("again") == 0  # once per cool-down
    for _ in range(30):  # a planner-less plant cannot tighten without end
        platform.quality.tighten(ACTOR, factor=0.5, floor=FLOOR)
    floor = {m.name: m.threshold for m in platform.quality.models(PLANT) if m.active}
    assert all(floor[n] >= FLOOR * limits[n] - 1e-6 for n in limits)
