"""OPC UA: a machine served by OpenFab, and OpenFab ingesting from an OPC UA server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from openfab.connect.ingest import TelemetryIngest
from openfab.connect.opcua import OpcUaIngestSource, OpcUaMachineServer
from openfab.connect.telemetry import Reading
from openfab.connect.topics import EquipmentPath
from openfab.store import Database

from .conftest import free_port, stored_ids, wait_for

PATH = EquipmentPath.machine_path("plant1", "stamping", "line1", "press-7")


@pytest.fixture(scope="module")
def machine_server() -> Iterator[OpcUaMachineServer]:
    """One server for the module: asyncua takes seconds to build its address space."""
    server = OpcUaMachineServer(
        PATH, ["temperature", "vibration"], endpoint=f"opc.tcp://127.0.0.1:{free_port()}/openfab/"
    ).start()
    yield server
    server.stop()


def test_subscription_ingests_every_change_with_its_source_time(
    database: Database, ingest: TelemetryIngest, machine_server: OpcUaMachineServer
) -> None:
    source = OpcUaIngestSource(ingest.start(), machine_server.endpoint, period_ms=20).start()
    try:
        wait_for(lambda: ingest.stats.received >= 2, what="the initial values")
        t0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
        sent = []
        for i in range(10):
            reading = Reading(f"r{i}", PATH, "vibration", 1.0 + i, t0 + timedelta(seconds=i))
            machine_server(reading)  # the twin's sink interface
            sent.append(reading)
            wait_for(lambda n=i: source.changes >= 3 + n, what=f"change {i}")
        assert ingest.drain(10)
    finally:
        source.stop()
    with database.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT path, signal, value FROM telemetry_reading WHERE signal = 'vibration' "
            "AND value >= 1 ORDER BY value"
        ).all()
    assert [(r[0], r[1], r[2]) for r in rows] == [(str(PATH), "vibration", r.value) for r in sent]


def test_a_resubscription_stores_nothing_twice(
    database: Database, ingest: TelemetryIngest, machine_server: OpcUaMachineServer
) -> None:
    machine_server.update("temperature", 55.5, datetime(2026, 11, 26, 10, tzinfo=UTC))
    for _ in range(2):  # connect, read the current values, disconnect — twice
        source = OpcUaIngestSource(ingest.start(), machine_server.endpoint).start()
        wait_for(lambda s=source: s.changes >= 2, what="the current values")
        source.stop()
    assert ingest.drain(10)
    assert len(stored_ids(database)) == 2  # temperature and vibration, once each
    assert ingest.stats.duplicates == 2


def test_unknown_signals_are_refused(machine_server: OpcUaMachineServer) -> None:
    with pytest.raises(KeyError):
        machine_server.update("pressure", 1.0)
