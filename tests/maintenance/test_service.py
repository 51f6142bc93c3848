"""The maintenance service on telemetry stored the way the ingest stores it: the health
index rises before an injected failure, RUL comes with an interval, bad telemetry is
cleaned or counted (never a crash), telemetry of unknown machines is counted, and MTBF /
MTTR follow the machine's reported stops; plant staff only."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest

from openfab.errors import Forbidden, NotFound
from openfab.execution.schemas import MachineStateReport
from openfab.maintenance.orm import MachineHealthRow
from openfab.maintenance.service import machine_life
from openfab.platform import Platform
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow
from tests.conftest import PLANT, TenantPeople
from tests.maintenance.telemetry import own, store, wearing_readings

pytestmark = pytest.mark.xdist_group("maintenance")
MACHINE = "paint_line-1"
__all__ = ["own"]


def test_the_health_index_rises_before_an_injected_failure(own: Platform) -> None:
    """A machine wears for two days towards a breakdown; assessed every 6 hours, its health
    index climbs and the chance of failure passes the risk line before the failure."""
    failure = utcnow() - timedelta(minutes=1)
    start = failure - timedelta(hours=48)
    readings = wearing_readings(MACHINE, start, 48, seed=1)
    assert store(own, readings) == len(readings)
    seen = []
    for hours in (12, 24, 36, 46):
        now = start + timedelta(hours=hours)
        own.maintenance.assess(now=now, lookback=timedelta(hours=hours))
        health = own.maintenance.latest(MACHINE)
        assert health is not None and health.windows > 0
        seen.append(health)
    indexes = [h.drift for h in seen]
    assert indexes == sorted(indexes) and indexes[-1] > 3 * indexes[0]
    assert seen[-1].health > 0.5 and seen[-1].alarm
    last = seen[-1]
    assert last.rul_hours is not None and last.rul_lower is not None
    assert last.rul_lower <= last.rul_hours <= (last.rul_upper or 0)
    assert last.failure_probability > seen[0].failure_probability


def test_a_healthy_machine_is_not_at_risk(own: Platform) -> None:
    start = utcnow() - timedelta(hours=24)
    store(own, wearing_readings(MACHINE, start, 24, wear_from=0.1, wear_to=0.1, seed=2))
    done = own.maintenance.assess()
    assert MACHINE not in done.at_risk
    health = own.maintenance.latest(MACHINE)
    assert health is not None and health.failure_probability < 0.2 and not health.alarm


def test_bad_telemetry_is_cleaned_and_counted_never_a_crash(own: Platform) -> None:
    """Gaps, spikes, a stuck sensor, a unit change and a machine the plant does not have."""
    start = utcnow() - timedelta(hours=30)
    readings = wearing_readings(MACHINE, start, 30, seed=3)
    bad = []
    for k, r in enumerate(readings):
        minute = (r.timestamp - start).total_seconds() / 60
        if 300 <= minute < 540:
            continue  # a four-hour gap
        if r.signal == "vibration" and k % 301 == 0:
            r = dataclasses.replace(r, value=r.value * 40)  # spikes
        if r.signal == "current" and 900 <= minute < 1300:
            r = dataclasses.replace(r, value=21.0)  # a stuck sensor
        if r.signal == "temperature" and minute >= 1500:
            r = dataclasses.replace(r, value=r.value + 273.15)  # now in kelvin
        bad.append(r)
    stranger = wearing_readings("ghost-9", start, 2, seed=4, prefix="x")
    store(own, bad + stranger)
    done = own.maintenance.assess()
    assert done.unknown_machines == 1
    health = own.maintenance.latest(MACHINE)
    assert health is not None and health.windows > 0
    assert health.cleaning.get("missing_cycles", 0) > 0
    assert health.cleaning.get("unit_changes", 0) >= 1 or health.cleaning.get("spikes", 0) > 0
    assert own.maintenance.latest("ghost-9") is None


def test_too_little_telemetry_is_unknown_not_an_error(own: Platform) -> None:
    store(own, wearing_readings(MACHINE, utcnow() - timedelta(hours=1), 1, seed=5))
    done = own.maintenance.assess()
    assert done.assessed == 0 and done.unknown >= 1
    health = own.maintenance.latest(MACHINE)
    assert health is not None and health.windows < 12 and health.rul_hours is None


def test_mtbf_and_mttr_come_from_the_reported_stops(own: Platform) -> None:
    t0 = utcnow() - timedelta(hours=100)
    states = [
        ("Running", 0), ("Down", 20), ("Idle", 22), ("Running", 23), ("Maintenance", 50),
        ("Idle", 51.5), ("Running", 52), ("Down", 80), ("Running", 84),
    ]  # fmt: skip
    own.execution.report_machine_states(
        PLANT,
        [
            (MACHINE, MachineStateReport(state=s, at=t0 + timedelta(hours=h), message_id=f"m{i}"))
            for i, (s, h) in enumerate(states)
        ],
    )
    history = own.maintenance.history(PLANT, MACHINE)
    assert (history.failures, history.maintenances) == (2, 1)
    assert history.mttr_hours == pytest.approx(3.0, abs=0.01)  # (2 h + 4 h) / 2
    assert history.maintenance_hours == pytest.approx(1.5, abs=0.01)
    running = 100 - 2 - 4 - 1.5
    assert history.mtbf_hours == pytest.approx(running / 2, abs=0.05)
    assert [s.kind for s in history.stops] == ["Down", "Maintenance", "Down"]
    with pytest.raises(NotFound):
        own.maintenance.history(PLANT, "ghost-9")


def test_brands_cannot_read_maintenance(platform: Platform, tenant: TenantPeople) -> None:
    platform.catalog.install_reference_data(PLANT)
    for who in ("admin", "planner"):
        actor = getattr(tenant, who)
        with pytest.raises(Forbidden):
            platform.maintenance.health(actor)
        with pytest.raises(Forbidden):
            platform.maintenance.orders(actor)
        with pytest.raises(Forbidden):
            platform.maintenance.history(actor, MACHINE)


def _states(own: Platform, machine: str, states: list[tuple[str, datetime]]) -> None:
    own.execution.report_machine_states(
        PLANT,
        [
            (machine, MachineStateReport(state=s, at=at, message_id=f"{machine}-{i}"))
            for i, (s, at) in enumerate(states)
        ],
    )


def test_a_machine_is_judged_from_its_healthy_level_after_its_last_maintenance(
    own: Platform,
) -> None:
    """Maintained five days ago (beyond the lookback), worn since: its drift is measured from
    the level it had just after the maintenance, not from the first (already worn) readings
    of the lookback; its age counts the running hours since."""
    now = utcnow()
    renewed = now - timedelta(days=5)
    _states(own, MACHINE, [("Maintenance", renewed - timedelta(hours=2)), ("Running", renewed)])
    store(own, wearing_readings(MACHINE, renewed, 12, wear_from=0.05, wear_to=0.06, seed=4))
    for machine in (MACHINE, "paint_line-7"):  # the same wear, no history for the other
        store(own, wearing_readings(machine, now - timedelta(hours=30), 30, wear_from=0.6,
                                    wear_to=0.7, seed=5, prefix="late"))  # fmt: skip
    own.maintenance.assess(now=now)
    health, unknown_past = own.maintenance.latest(MACHINE), own.maintenance.latest("paint_line-7")
    assert health is not None and unknown_past is not None
    assert health.drift > 0.15 and health.drift > 3 * unknown_past.drift
    [assessed] = own.audit.list_events(PLANT, type_prefix="maintenance.assessed").data
    call = assessed.payload["calls"].get(MACHINE)
    assert call is None or call["age_hours"] == pytest.approx(120, abs=1)


def test_machine_life_counts_running_hours_since_the_last_maintenance() -> None:
    t = utcnow()
    h = timedelta(hours=1)
    changes = [("Running", t), ("Down", t + 10 * h), ("Running", t + 12 * h),
               ("Maintenance", t + 20 * h), ("Running", t + 22 * h),
               ("Idle", t + 30 * h)]  # fmt: skip
    life = machine_life(changes, t + 40 * h)
    assert life.renewed_at == t + 22 * h and life.age_hours == pytest.approx(8)
    assert machine_life(changes[:3], t + 14 * h) == (None, pytest.approx(12))
    assert machine_life([], t) == (None, None)


def test_the_failure_level_is_learned_from_the_plants_own_lives(own: Platform) -> None:
    """Three lives that ended in a breakdown at a drift near 0.9 and one maintained at 0.5
    (censored): the fitted median drift at failure is near 0.9 and the engine uses it."""
    t0 = utcnow() - timedelta(days=4)
    ends = {"paint_line-3": ("Down", 0.85), "paint_line-4": ("Down", 0.9),
            "paint_line-5": ("Down", 0.95), "paint_line-6": ("Maintenance", 0.5)}  # fmt: skip
    with own.db.unit(Scope.plant(), actor="test") as uow:
        for machine, (_, last) in ends.items():
            for k in range(10):
                drift = 0.05 + (last - 0.05) * k / 9
                uow.session.add(_snapshot(machine, t0 + timedelta(hours=2 * k), drift))
    for machine, (stop, _) in ends.items():
        _states(
            own, machine, [("Running", t0 - timedelta(hours=1)), (stop, t0 + timedelta(hours=19))]
        )
    level = own.maintenance.failure_level()
    assert level is not None and (level.failures, level.lives) == (3, 4)
    assert 0.8 < level.median < 1.0
    options = own.maintenance.options_for_plant()
    assert options.fail_drift == level.median and options.fail_shape == level.shape


def _snapshot(machine: str, at: datetime, drift: float) -> MachineHealthRow:
    return MachineHealthRow(
        machine=machine, work_center="paint_line", assessed_at=at, health=drift, drift=drift,
        alarm=False, rul_hours=None, rul_lower=None, rul_upper=None, failure_probability=0.0,
        windows=40, readings=1000, cleaning="{}",
    )  # fmt: skip
