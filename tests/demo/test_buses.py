"""The demo across real servers: the plant's shop-floor messages and telemetry over MQTT or
NATS JetStream into the gateway and PostgreSQL, every message applied and every reading stored
once."""

from __future__ import annotations

import pytest

from openfab.demo.run import DemoConfig, run_demo
from openfab.platform import Platform
from tests.conftest import scratch_database
from tests.execution.conftest import TWIN


@pytest.mark.postgres
@pytest.mark.xdist_group("floor-broker")  # the plant's machine topics on the one local broker
@pytest.mark.parametrize("bus", ["mqtt", "nats"])
def test_the_demo_runs_over_a_real_bus_into_postgresql(bus: str, postgres_url: str) -> None:
    with scratch_database("openfab_demo_bus") as url:
        platform = Platform.open(url)
        try:
            config = DemoConfig(days=0.1, orders_per_day=60, bus=bus, telemetry_minutes=30)
            result = run_demo(platform, config)
            started = platform.execution.list_work_orders(TWIN, limit=500).data
        finally:
            platform.close()
    assert result.floor_messages > 100
    assert result.refused == 0
    assert any(w.started_at is not None for w in started)  # the MES heard the machines
    assert result.kpis.orders > 0
    assert result.telemetry > 0
    assert result.telemetry_written == result.telemetry  # none lost, none twice
    assert result.audit_ok
