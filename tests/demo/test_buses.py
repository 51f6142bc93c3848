"""The demo across real servers: telemetry over MQTT or NATS JetStream into PostgreSQL,
every reading the twin sent stored once."""

from __future__ import annotations

import pytest

from openfab.demo.run import DemoConfig, run_demo
from openfab.platform import Platform
from tests.conftest import scratch_database


@pytest.mark.postgres
@pytest.mark.parametrize("bus", ["mqtt", "nats"])
def test_the_demo_runs_over_a_real_bus_into_postgresql(bus: str, postgres_url: str) -> None:
    with scratch_database("openfab_demo_bus") as url:
        platform = Platform.open(url)
        try:
            config = DemoConfig(days=0.1, orders_per_day=60, bus=bus, telemetry_minutes=30)
            result = run_demo(platform, config)
        finally:
            platform.close()
    assert result.kpis.orders > 0
    assert result.telemetry > 0
    assert result.telemetry_written == result.telemetry  # none lost, none twice
    assert result.audit_ok
