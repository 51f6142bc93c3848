"""Ingest on SQLite and PostgreSQL: batched, idempotent, never crashing, never losing."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence

import psycopg
import pytest

from openfab.connect.ingest import Backoff, TelemetryIngest
from openfab.connect.store import DeadLetter, TelemetryStore
from openfab.connect.telemetry import Reading, encode
from openfab.connect.topics import EquipmentPath
from openfab.store import Database
from openfab.store.tenancy import Scope

from .conftest import PRESS, dead_letters, make_readings, stored_ids


def test_readings_are_stored_in_batches(database: Database, ingest: TelemetryIngest) -> None:
    sent = make_readings(1200)
    ingest.submit(sent)
    ingest.flush()
    assert sorted(stored_ids(database)) == sorted(r.message_id for r in sent)
    stats = ingest.stats
    assert (stats.received, stats.written, stats.duplicates, stats.buffered) == (1200, 1200, 0, 0)
    assert stats.batches == 3  # batch_size 500


def test_values_and_times_round_trip(database: Database, ingest: TelemetryIngest) -> None:
    from sqlalchemy import select

    from openfab.connect.orm import TelemetryReadingRow

    sent = make_readings(3)
    ingest.submit(sent)
    ingest.flush()
    with database.unit(Scope.plant(), actor="test", readonly=True) as uow:
        rows = uow.session.scalars(select(TelemetryReadingRow)).all()
        got = {r.message_id: (r.path, r.machine, r.signal, r.value, r.ts) for r in rows}
    assert got == {
        r.message_id: (str(PRESS), "press-1", r.signal, r.value, r.timestamp) for r in sent
    }


def test_duplicates_are_stored_once_and_counted(
    database: Database, ingest: TelemetryIngest
) -> None:
    sent = make_readings(300)
    ingest.submit(sent + sent[:50])  # a re-send inside one batch
    ingest.flush()
    ingest.submit(sent[100:200])  # and a re-send in a later batch
    ingest.flush()
    assert len(stored_ids(database)) == 300
    stats = ingest.stats
    assert (stats.received, stats.written, stats.duplicates) == (450, 300, 150)


def test_out_of_order_readings_are_accepted(database: Database, ingest: TelemetryIngest) -> None:
    sent = make_readings(200)
    shuffled = random.Random(5).sample(sent, len(sent))
    for r in shuffled:
        ingest(r)  # the twin's sink interface: one at a time
    ingest.flush()
    assert sorted(stored_ids(database)) == sorted(r.message_id for r in sent)


def test_malformed_messages_go_to_the_dead_letter_table(
    database: Database, ingest: TelemetryIngest
) -> None:
    good = make_readings(2)
    messages = [
        b"{oops",
        b'{"message_id":"x","timestamp":"2026-11-26T08:00:00Z"}',
        b'{"message_id":"x","timestamp":"2026-11-26T08:00:00Z","value":"hot"}',
        b'{"message_id":"x","timestamp":"2026-11-26T08:00:00Z","value":NaN}',
        b"[" + b"1," * 200_000 + b"1]",  # oversized
        encode(good[0]),
        encode(good[1]),
    ]
    for payload in messages:
        ingest.submit_payload(payload, source="test", topic="t", path=PRESS, signal="temperature")
    ingest.flush()
    assert sorted(stored_ids(database)) == sorted(r.message_id for r in good)
    codes = sorted(code for code, _, _ in dead_letters(database))
    assert codes == ["bad_json", "missing_field", "not_finite", "oversized", "wrong_type"]
    assert ingest.stats.dead_lettered == 5


def test_a_dead_letter_keeps_a_truncated_storable_payload(
    database: Database, ingest: TelemetryIngest
) -> None:
    ingest.dead_letter([DeadLetter.of("test", "t\x00", "bad_json", "r\x00", b"\x00" * 10_000)])
    ingest.flush()
    [(code, reason, source)] = dead_letters(database)
    assert (code, source) == ("bad_json", "test") and "\x00" not in reason
    with database.engine.connect() as conn:
        payload = conn.exec_driver_sql("SELECT payload FROM dead_letter").scalar_one()
    assert len(payload) == 2000 and "\x00" not in payload


class FlakyStore(TelemetryStore):
    """A database that is unreachable for its first ``failures`` writes."""

    def __init__(self, inner: TelemetryStore, failures: int) -> None:
        super().__init__(inner.engine)
        self.failures = failures
        self.attempts = 0

    def write(self, readings: Sequence[Reading], letters: Sequence[DeadLetter] = ()) -> int:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise psycopg.OperationalError("connection refused (simulated outage)")
        return super().write(readings, letters)


def test_an_unreachable_database_is_retried_and_nothing_is_lost(database: Database) -> None:
    store = FlakyStore(TelemetryStore(database.engine), failures=6)
    ingest = TelemetryIngest(store, batch_size=400, backoff=Backoff(first=0.01, most=0.05))
    ingest.start()
    sent = make_readings(2000)
    for i in range(0, 2000, 100):
        ingest.submit(sent[i : i + 100])
    assert ingest.drain(timeout=60)
    ingest.stop()
    assert sorted(stored_ids(database)) == sorted(r.message_id for r in sent)
    stats = ingest.stats
    assert stats.retries == 6 and stats.written == 2000 and stats.buffered == 0


def test_stop_gives_back_what_it_could_not_write(database: Database) -> None:
    store = FlakyStore(TelemetryStore(database.engine), failures=10**9)
    ingest = TelemetryIngest(store, backoff=Backoff(first=0.01, most=0.02)).start()
    ingest.submit(make_readings(10))
    assert ingest.stop(timeout=0.3) is False
    assert ingest.stats.buffered == 10  # kept in memory, not silently dropped
    store.failures = 0
    ingest.flush()
    assert len(stored_ids(database)) == 10


def test_a_full_buffer_pushes_back_instead_of_dropping(database: Database) -> None:
    store = FlakyStore(TelemetryStore(database.engine), failures=3)
    ingest = TelemetryIngest(
        store, batch_size=50, max_buffered=100, backoff=Backoff(first=0.05, most=0.05)
    ).start()
    sent = make_readings(1000)
    producer = threading.Thread(target=lambda: [ingest.submit([r]) for r in sent])
    producer.start()
    producer.join(60)
    assert not producer.is_alive()
    assert ingest.stop(timeout=60)
    assert len(stored_ids(database)) == 1000


@pytest.mark.postgres
def test_postgres_backends_terminated_mid_stream(postgres_url: str) -> None:
    """The real thing: the server kills the ingest's connections while readings stream in."""
    from tests.conftest import scratch_database

    with scratch_database("openfab_ingest_kill") as url:
        db = Database(url)
        db.migrate()
        ingest = TelemetryIngest(
            TelemetryStore(db.engine), batch_size=200, backoff=Backoff(first=0.02, most=0.1)
        ).start()
        name = url.rsplit("/", 1)[1]
        sent = make_readings(3000)
        admin = psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True)
        killed = 0
        for i in range(0, 3000, 150):
            ingest.submit(sent[i : i + 150])
            if i % 600 == 0:
                killed += admin.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                ).fetchone()[0]  # type: ignore[index]
        admin.close()
        assert killed >= 1  # the ingest's pooled connections were there to kill
        assert ingest.stop(timeout=60)
        assert sorted(stored_ids(db)) == sorted(r.message_id for r in sent)
        assert ingest.stats.written == 3000
        db.engine.dispose()


def test_machine_and_site_readings_share_the_table(
    database: Database, ingest: TelemetryIngest
) -> None:
    solar = make_readings(2, EquipmentPath(("plant1",)), "solar_kw")
    ingest.submit(solar + make_readings(2))
    ingest.flush()
    with database.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT path, machine FROM telemetry_reading").all()
    assert sorted({(r[0], r[1]) for r in rows}) == [
        ("plant1", "plant1"),
        ("plant1/stamping/line1/press-1", "press-1"),
    ]


def test_two_machines_may_use_the_same_message_id(
    database: Database, ingest: TelemetryIngest
) -> None:
    """The idempotency key is scoped per sender: (equipment path, message id)."""
    other = EquipmentPath.machine_path("plant1", "stamping", "line1", "press-2")
    mine, theirs = make_readings(1), make_readings(1, other)
    same = [r.__class__(mine[0].message_id, r.path, r.signal, r.value, r.timestamp) for r in theirs]
    ingest.submit(mine + same)
    ingest.flush()
    ingest.submit(mine + same)  # and each is still de-duplicated against its own sender
    ingest.flush()
    with database.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT path, message_id FROM telemetry_reading").all()
    assert sorted((r[0], r[1]) for r in rows) == sorted(
        (str(r.path), r.message_id) for r in mine + same
    )
    assert ingest.stats.duplicates == 2


def test_on_stored_is_called_only_after_the_commit(database: Database) -> None:
    """A source acknowledges its broker in ``on_stored``: never before the data is there."""
    store = FlakyStore(TelemetryStore(database.engine), failures=2)
    ingest = TelemetryIngest(store, batch_size=100, backoff=Backoff(first=0.01, most=0.02))
    seen: list[tuple[str, int]] = []
    messages = [make_readings(30, start=i * 30) for i in range(3)]  # one spans two batches
    for i, readings in enumerate(messages):
        ingest.submit(
            readings, on_stored=lambda i=i: seen.append((f"m{i}", len(stored_ids(database))))
        )
    assert seen == []  # nothing is committed yet
    ingest.flush()
    assert seen == [("m0", 90), ("m1", 90), ("m2", 90)]  # one batch of 90 held all three


def test_a_message_spanning_batches_is_stored_when_its_last_reading_is(
    database: Database,
) -> None:
    ingest = TelemetryIngest(TelemetryStore(database.engine), batch_size=100)
    stored_when_called: list[int] = []
    ingest.submit(
        make_readings(250), on_stored=lambda: stored_when_called.append(len(stored_ids(database)))
    )
    ingest.flush()
    assert stored_when_called == [250] and ingest.stats.batches == 3


def test_a_dead_lettered_message_is_stored_once_its_letter_is(
    database: Database, ingest: TelemetryIngest
) -> None:
    called: list[int] = []
    ingest.start()
    ingest.submit_payload(
        b"{oops",
        source="test",
        path=PRESS,
        signal="temperature",
        on_stored=lambda: called.append(len(dead_letters(database))),
    )
    ingest.submit([], on_stored=lambda: called.append(-1))  # nothing to write: told at once
    assert ingest.drain(10)
    ingest.stop()
    assert called == [1, -1]
