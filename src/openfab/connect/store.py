"""Batched, idempotent writes of readings and dead letters, one code path per database.

A reading's key is its sender's equipment path with the sender's message id: two machines may
number their messages alike, and each keeps its readings. PostgreSQL: ``COPY`` into a
session-temporary staging table, then ``INSERT … SELECT … ON CONFLICT (path, message_id) DO
NOTHING`` — COPY is the fastest way in, and the conflict clause makes a re-sent message a
no-op. SQLite: ``executemany`` of ``INSERT OR IGNORE`` in one transaction. Both return how many
readings were new, so the caller can count duplicates, and both commit before returning: a
source acknowledges its broker only after that.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import Engine, exc

from openfab.connect.telemetry import Reading
from openfab.store.base import new_id
from openfab.store.types import utcnow

PAYLOAD_CHARS = 2000
TRANSIENT: tuple[type[BaseException], ...] = (
    exc.OperationalError,
    exc.InterfaceError,
    exc.DisconnectionError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,
    ConnectionError,
    TimeoutError,
)
"""Errors that say "the database is not there right now": retry later, lose nothing."""

_STAGING = (
    "CREATE TEMP TABLE IF NOT EXISTS telemetry_staging (message_id text, path text, "
    "machine text, signal text, value float8, ts timestamptz) ON COMMIT DELETE ROWS"
)
_COLUMNS = "message_id, path, machine, signal, value, ts"
_MERGE = (
    f"INSERT INTO telemetry_reading ({_COLUMNS}) SELECT {_COLUMNS} FROM telemetry_staging "
    "ON CONFLICT (path, message_id) DO NOTHING"
)
_DEAD = (
    "INSERT INTO dead_letter (id, source, topic, code, reason, payload, received_at) "
    "VALUES ({0}, {0}, {0}, {0}, {0}, {0}, {0})"
)


@dataclass(frozen=True)
class DeadLetter:
    """A message ingest could not use, as it goes to the ``dead_letter`` table."""

    source: str
    topic: str | None
    code: str
    reason: str
    payload: str
    received_at: datetime = field(default_factory=utcnow)

    @classmethod
    def of(
        cls, source: str, topic: str | None, code: str, reason: str, payload: bytes
    ) -> DeadLetter:
        text = payload[: PAYLOAD_CHARS * 4].decode("utf-8", errors="replace")[:PAYLOAD_CHARS]
        topic = _clean(topic or "", 300) or None
        return cls(source, topic, code[:32], _clean(reason, 300), _clean(text, PAYLOAD_CHARS))


class TelemetryStore:
    """Writes batches through the engine's pool; connections that failed are discarded."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"

    def write(self, readings: Sequence[Reading], letters: Sequence[DeadLetter] = ()) -> int:
        """Insert ``readings`` (skipping known (path, message id) keys) and ``letters`` in one
        transaction;
        returns how many readings were new. Raises a ``TRANSIENT`` error when the database is
        unreachable; nothing is half-written then."""
        raw = self.engine.raw_connection()
        try:
            driver: Any = raw.driver_connection
            if self.is_sqlite:
                inserted = _write_sqlite(driver, readings, letters)
            else:
                inserted = _write_postgres(driver, readings, letters)
        except BaseException:
            raw.invalidate()  # a connection that failed mid-batch is never reused
            raise
        finally:
            raw.close()
        return inserted


def _write_sqlite(conn: sqlite3.Connection, readings: Sequence[Reading], letters: Any) -> int:
    rows = [
        (r.message_id, r.path.text, r.machine, r.signal, r.value, _sqlite_time(r.timestamp))
        for r in readings
    ]
    conn.execute("BEGIN IMMEDIATE")
    try:
        before = conn.total_changes
        conn.executemany(
            f"INSERT OR IGNORE INTO telemetry_reading ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)", rows
        )
        inserted = conn.total_changes - before
        if letters:
            conn.executemany(_DEAD.format("?"), [_letter_row(d, sqlite=True) for d in letters])
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return inserted


def _write_postgres(
    conn: psycopg.Connection[Any], readings: Sequence[Reading], letters: Any
) -> int:
    with conn.transaction(), conn.cursor() as cur:
        inserted = 0
        if readings:
            cur.execute(_STAGING)
            with cur.copy(f"COPY telemetry_staging ({_COLUMNS}) FROM STDIN") as copy:
                for r in readings:
                    copy.write_row(
                        (r.message_id, r.path.text, r.machine, r.signal, r.value, r.timestamp)
                    )
            cur.execute(_MERGE)
            inserted = cur.rowcount
        if letters:
            cur.executemany(_DEAD.format("%s"), [_letter_row(d, sqlite=False) for d in letters])
    return inserted


def _clean(text: str, limit: int) -> str:
    """PostgreSQL text holds no NUL character; a dead letter must always be storable."""
    return text.replace("\x00", "\ufffd")[:limit]


def _sqlite_time(ts: datetime) -> str:
    """The text SQLAlchemy's SQLite DATETIME stores (naive UTC), so ORM reads round-trip."""
    utc = ts if ts.tzinfo is UTC else ts.astimezone(UTC)
    return utc.replace(tzinfo=None).isoformat(" ", "microseconds")


def _letter_row(d: DeadLetter, *, sqlite: bool) -> tuple[Any, ...]:
    at = _sqlite_time(d.received_at) if sqlite else d.received_at
    return (new_id(), d.source, d.topic, d.code, d.reason, d.payload, at)
