"""The plant's energy samples become site-level telemetry, stored like every other reading,
so the dashboard can read energy and solar share after the demo is gone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openfab.connect.store import TelemetryStore
from openfab.connect.topics import EquipmentPath, parse_mqtt_topic
from openfab.demo.telemetry import ENERGY_SIGNALS, energy_readings, readings
from openfab.platform import Platform
from openfab.twin import EnergySample
from openfab.twin.topics import site_topic

AT = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)  # outside any dashboard window


def plant_sample(message_id: str = "run1-42", **changes: object) -> EnergySample:
    values: dict[str, object] = {
        "message_id": message_id,
        "time": AT,
        "topic": site_topic("plant-1", "energy"),
        "machine": None,
        "period_minutes": 15.0,
        "consumed_kwh": 120.0,
        "solar_kwh": 30.0,
        "pv_kwh": 45.0,
    }
    values.update(changes)
    return EnergySample(**values)  # type: ignore[arg-type]


def test_a_plant_sample_is_three_site_level_readings() -> None:
    out = energy_readings(plant_sample())
    assert [r.signal for r in out] == list(ENERGY_SIGNALS)
    assert [r.value for r in out] == [120.0, 30.0, 45.0]
    assert {r.path for r in out} == {EquipmentPath(("plant-1",))}
    assert {r.machine for r in out} == {"plant-1"}  # a site path's "machine" is the site
    assert len({r.message_id for r in out}) == 3  # each its own idempotency key
    assert all(r.timestamp == AT for r in out)
    for r in out:  # the Unified-Namespace topic of a plant-wide signal round-trips
        assert parse_mqtt_topic(f"openfab/{r.path}/{r.signal}") == (r.path, r.signal)


def test_readings_dispatches_energy_samples() -> None:
    assert readings(plant_sample(), {}) == energy_readings(plant_sample())


def test_a_machine_sample_is_not_plant_energy() -> None:
    with pytest.raises(ValueError, match="not plant-level"):
        energy_readings(plant_sample(machine="m1"))


def test_stored_once_even_when_sent_twice(platform: Platform) -> None:
    store = TelemetryStore(platform.db.engine)
    sample = plant_sample(message_id=f"test-{id(platform)}-{datetime.now(UTC).timestamp()}")
    assert store.write(energy_readings(sample)) == 3
    assert store.write(energy_readings(sample)) == 0  # a re-sent sample is a no-op
