"""Machine telemetry written the way the ingest writes it (through the TelemetryStore), with
wear that grows towards a failure, and the states the machine reported."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import numpy as np
import pytest

from openfab.connect.store import TelemetryStore
from openfab.connect.telemetry import Reading
from openfab.connect.topics import EquipmentPath
from openfab.platform import Platform
from openfab.settings import Settings
from tests.conftest import PLANT


def wearing_readings(
    machine: str,
    start: datetime,
    hours: float,
    *,
    wear_from: float = 0.05,
    wear_to: float = 0.9,
    seed: int = 0,
    every_minutes: float = 2.0,
    prefix: str = "t",
) -> list[Reading]:
    """Vibration, temperature and current of a running machine whose wear grows linearly
    (the twin's physics: vibration with wear squared, heat and current linear)."""
    rng = np.random.default_rng(seed)
    path = EquipmentPath(("plant1", "hall", "line", machine))
    n = int(hours * 60 / every_minutes)
    out = []
    for i in range(n):
        w = wear_from + (wear_to - wear_from) * i / max(n - 1, 1)
        at = start + timedelta(minutes=i * every_minutes)
        values = {
            "vibration": 2.2 * (1 + 2.5 * w * w) + rng.normal(0, 0.15),
            "temperature": 24 + 18 * (1 + 0.8 * w) + rng.normal(0, 0.4),
            "current": 20 * (1 + 0.35 * w) + rng.normal(0, 0.3),
        }
        for signal, value in values.items():
            out.append(Reading(f"{prefix}-{machine}-{i}-{signal}", path, signal, value, at))
    return out


def store(platform: Platform, readings: list[Reading]) -> int:
    return TelemetryStore(platform.db.engine).write(readings)


@pytest.fixture
def own(fresh_database_url: str) -> Iterator[Platform]:
    """A platform of its own with the sample plant's machines: telemetry, states and the
    plan are plant-wide, so these tests must not see each other's."""
    settings = Settings(
        database_url=fresh_database_url, jwt_secret="test-secret-not-for-production-0123456789"
    )
    opened = Platform.open(fresh_database_url, settings=settings)
    opened.catalog.install_reference_data(PLANT)
    yield opened
    opened.close()
