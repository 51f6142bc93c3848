"""The wiring the demo uses: twin sink → transport → ingest → database, for each transport."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from openfab.connect.bus import InProcessBus
from openfab.connect.pipeline import TRANSPORTS, Transport, open_bus, open_pipeline
from openfab.connect.topics import EquipmentPath
from openfab.store import Database

from .conftest import make_readings, stored_ids


def dead_letters_on(db: Database) -> list[str | None]:
    with db.engine.connect() as conn:
        return [row[0] for row in conn.exec_driver_sql("SELECT topic FROM dead_letter")]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_every_reading_sent_is_stored(transport: Transport, tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'pipe.db'}")
    db.migrate()
    site = f"pipe{uuid.uuid4().hex[:8]}"
    name = f"test-{site}"
    pipeline = open_pipeline(db, transport, name=name)
    sent = make_readings(300, EquipmentPath.machine_path(site, "a", "l", "m"))
    for reading in sent:
        pipeline(reading)
    stats = pipeline.close(timeout=60)
    assert stats.written == 300
    # The MQTT ingest takes all of openfab/#: the shared broker may carry other work's
    # messages (dead-lettered as not telemetry); none of this test's may be among them.
    assert not [d for d in dead_letters_on(db) if site in (d or "")]
    assert sorted(stored_ids(db)) == sorted(r.message_id for r in sent)
    if transport == "nats":  # leave the shared server as it was
        from openfab.connect.nats import NatsIngestSource, NatsTelemetryPublisher

        NatsIngestSource(pipeline.ingest, durable=f"{name}-ingest").delete_consumer()
        publisher = NatsTelemetryPublisher()
        publisher.purge(f"openfab.telemetry.{site}.>")
        publisher.close()
    db.engine.dispose()


def test_unknown_transports_are_refused(tmp_path: Path) -> None:
    assert isinstance(open_bus("inprocess"), InProcessBus)
    with pytest.raises(ValueError, match="unknown transport"):
        open_bus("carrier-pigeon")  # type: ignore[arg-type]
