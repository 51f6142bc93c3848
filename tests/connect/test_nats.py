"""NATS JetStream against the real server: round trips, replay, and a server restart."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from openfab.connect.bus import EventMessage
from openfab.connect.ingest import TelemetryIngest
from openfab.connect.nats import NatsBus, NatsIngestSource, NatsSettings, NatsTelemetryPublisher
from openfab.connect.topics import EquipmentPath
from openfab.store import Database

from .conftest import BrokerProcess, IngestProcess, count_rows, make_readings, stored_ids, wait_for


def test_readings_round_trip_through_jetstream(database: Database, ingest: TelemetryIngest) -> None:
    site = f"site{uuid.uuid4().hex[:8]}"
    path = EquipmentPath.machine_path(site, "stamping", "line1", "press-1")
    sent = make_readings(300, path)
    publisher = NatsTelemetryPublisher()
    publisher.publish_many(sent[:250])
    publisher.publish_batch(sent[250:])
    publisher.publish_many(sent[:10])  # re-sent within the window: JetStream stores them once
    source = NatsIngestSource(
        ingest.start(), durable=f"test-{site}", subject=f"openfab.telemetry.{site}.>"
    ).start()
    try:
        wait_for(lambda: len(stored_ids(database)) >= 300, what="300 stored readings")
        assert ingest.drain(10)
        assert sorted(stored_ids(database)) == sorted(r.message_id for r in sent)
        assert source.messages == 251  # 250 single readings + one batch message
    finally:
        source.stop()
        NatsIngestSource(ingest, durable=f"test-{site}").delete_consumer()
        publisher.purge(f"openfab.telemetry.{site}.>")  # leave the shared stream as it was
        publisher.close()


def test_event_bus_over_jetstream_and_replay_from_a_sequence() -> None:
    bus = NatsBus()
    got: list[EventMessage] = []
    arrived = threading.Event()

    def handler(message: EventMessage) -> None:
        got.append(message)
        if message.type == "order.shipped":
            arrived.set()

    tag = uuid.uuid4().hex
    unsubscribe = bus.subscribe("order.*", handler)
    now = datetime.now(UTC)
    kinds = ("order.placed", "machine.down", "order.shipped")
    events = [
        EventMessage(i, f"{tag}-{i}", kind, "t1", "order", "o1", {"i": i}, "test", now)
        for i, kind in enumerate(kinds)
    ]
    for event in events:
        bus.publish(event)
    bus.publish(events[0])  # a re-send of the same event id is stored once
    assert arrived.wait(10)
    mine = [m for m in got if m.event_id.startswith(tag)]
    assert [m.type for m in mine] == ["order.placed", "order.shipped"]
    unsubscribe()
    stored = [(seq, e) for seq, e in bus.replay(1, pattern="*") if e.event_id.startswith(tag)]
    assert [e for _, e in stored] == events  # everything, once, in order
    first_seq = stored[1][0]
    replayed = [e for _, e in bus.replay(first_seq) if e.event_id.startswith(tag)]
    assert replayed == events[1:]
    bus.close()


@pytest.mark.slow
@pytest.mark.xdist_group("broker-restart")
def test_restart_nats_mid_stream_loses_and_duplicates_nothing(
    database: Database, ingest: TelemetryIngest, private_nats: BrokerProcess
) -> None:
    settings = NatsSettings(url=f"nats://127.0.0.1:{private_nats.port}", ack_timeout=1.0)
    publisher = NatsTelemetryPublisher(settings)
    source = NatsIngestSource(ingest.start(), settings, durable="ingest-restart", batch=100)
    source.start()
    sent = make_readings(1500)
    done = threading.Event()

    def stream() -> None:
        for i in range(0, len(sent), 50):
            publisher.publish_many(sent[i : i + 50])  # returns once stored: re-sends if not
            time.sleep(0.05)
        done.set()

    producer = threading.Thread(target=stream)
    producer.start()
    wait_for(lambda: ingest.stats.received >= 300, what="the stream to be flowing")
    assert not done.is_set()  # the restart lands in the middle of the stream
    private_nats.restart()
    producer.join(120)
    assert done.is_set()
    wait_for(lambda: len(stored_ids(database)) >= 1500, 60, "1500 stored readings")
    assert ingest.drain(30)
    source.stop()
    publisher.close()
    ids = stored_ids(database)
    assert len(ids) == len(set(ids)) == 1500  # none lost, none twice
    assert set(ids) == {r.message_id for r in sent}


@pytest.mark.slow
def test_kill_9_of_the_nats_ingest_mid_stream_loses_and_duplicates_nothing(
    sqlite_file: Database, private_nats: BrokerProcess, tmp_path: Path
) -> None:
    """Each message is acknowledged once stored: what the killed process held comes again."""
    url = f"nats://127.0.0.1:{private_nats.port}"
    publisher = NatsTelemetryPublisher(NatsSettings(url=url))
    sent = make_readings(4000)
    done = threading.Event()

    def stream() -> None:
        for i in range(0, len(sent), 100):
            publisher.publish_many(sent[i : i + 100])
            time.sleep(0.02)
        done.set()

    producer = threading.Thread(target=stream)
    argv = ["nats", "--db", str(sqlite_file.engine.url), "--url", url, "--durable", "kill"]
    argv += ["--ack-wait", "2"]  # what the killed process held comes again after 2 s
    ingest = IngestProcess(argv, tmp_path / "i.log")
    ingest.start()
    producer.start()
    try:
        wait_for(lambda: count_rows(sqlite_file) >= 800, 20, "readings to be stored")
        ingest.kill()
        assert count_rows(sqlite_file) < len(sent)
        ingest.start()
        producer.join(30)
        assert done.is_set()
        wait_for(lambda: count_rows(sqlite_file) >= len(sent), 30, "every reading")
        time.sleep(0.5)  # a late duplicate would show up now
        assert ingest.terminate() == 0
    finally:
        ingest.close()
        publisher.close()
    ids = stored_ids(sqlite_file)
    assert len(ids) == len(set(ids)) == len(sent)
    assert set(ids) == {r.message_id for r in sent}


class _EmptyFetches:
    """A subscription whose fetches come back empty, as nats-py's can, then stop the loop."""

    def __init__(self, source: NatsIngestSource, empties: int) -> None:
        self.source, self.left = source, empties

    async def fetch(self, batch: int, timeout: float) -> list[Any]:
        if self.left == 0:
            self.source._stop.set()
        self.left -= 1
        return []


def test_empty_fetches_and_timeouts_keep_the_consumer_going(
    database: Database, ingest: TelemetryIngest
) -> None:
    site = f"site{uuid.uuid4().hex[:8]}"
    source = NatsIngestSource(
        ingest.start(), durable=f"test-{site}", subject=f"openfab.telemetry.{site}.>"
    )
    publisher = NatsTelemetryPublisher()
    try:
        source.client.loop.run(source._consume(_EmptyFetches(source, 3)), timeout=5)
        source.start()
        time.sleep(1.2)  # fetches time out with nothing to fetch
        sent = make_readings(50, EquipmentPath.machine_path(site, "a", "l", "m"))
        publisher.publish_many(sent)
        wait_for(lambda: len(stored_ids(database)) >= 50, 10, "50 stored readings")
        assert sorted(stored_ids(database)) == sorted(r.message_id for r in sent)
    finally:
        source.stop()
        NatsIngestSource(ingest, durable=f"test-{site}").delete_consumer()
        publisher.purge(f"openfab.telemetry.{site}.>")
        publisher.close()


def test_nats_settings_become_connect_options() -> None:
    from openfab.settings import Settings

    settings = NatsSettings.from_settings(
        Settings(
            nats_url="tls://a:4222, tls://b:4222",
            nats_user="ingest",
            nats_password="s3cret",  # type: ignore[arg-type]
            nats_ca_file="/etc/ssl/certs/ca-certificates.crt",
        )
    )
    options = settings.connect_options()
    assert options["servers"] == ["tls://a:4222", "tls://b:4222"]
    assert (options["user"], options["password"]) == ("ingest", "s3cret")
    assert options["tls"] is not None and "token" not in options
    assert "s3cret" not in repr(settings)
    token = NatsSettings.from_settings(Settings(nats_token="t0k"))  # type: ignore[arg-type]
    assert token.connect_options()["token"] == "t0k"
    assert "tls" not in token.connect_options()


def test_credentials_reach_the_connection_and_the_anonymous_server_accepts_them() -> None:
    from nats.aio.client import Client

    from openfab.connect.nats import NatsClient

    client = NatsClient(NatsSettings(user="ingest", password="s3cret"))
    try:
        nc: Client = client.nc
        assert nc.is_connected
        assert (nc.options["user"], nc.options["password"]) == ("ingest", "s3cret")
    finally:
        client.close()


def test_a_wrong_nats_tls_setup_is_a_clear_error() -> None:
    from openfab.connect.nats import NatsClient

    with pytest.raises(ConnectionError, match="NATS TLS set-up failed"):
        NatsClient(NatsSettings(url="tls://127.0.0.1:4222", ca_file="/nonexistent/ca.pem"))
