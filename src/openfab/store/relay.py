"""The event backbone: each consumer follows the event log by sequence, with its own cursor.

A unit of work only appends events; nothing is published in the committing thread. A
``Relay`` reads the log after its consumer's durable cursor, hands a batch to the consumer and
then advances the cursor, so delivery is at-least-once per consumer (a crash between the two
re-delivers that batch: consumers are idempotent). Each consumer has its own cursor, so the
bus publisher, the autopilots and later workers never mark each other's events as done.

Two copies of a consumer (``openfab worker`` on two machines) never handle the same batch:
the active copy holds a lock named after the consumer (a PostgreSQL advisory lock, or a file
lock beside a SQLite database); the other waits as a standby and takes over when the lock
frees, resuming from the cursor.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Literal, Protocol

from sqlalchemy import Connection, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from openfab.store.database import Database
from openfab.store.events import EventMessage, EventRecord, OutboxCursor, matches
from openfab.store.tenancy import Scope

log = logging.getLogger(__name__)
EVENTS = EventRecord.__table__
COLUMNS = [
    EVENTS.c[name]
    for name in (
        "seq",
        "event_id",
        "type",
        "tenant_id",
        "entity_type",
        "entity_id",
        "payload",
        "actor",
        "occurred_at",
    )
]
"""In ``EventMessage``'s field order."""
Start = Literal["beginning", "end"]


class Consumer(Protocol):
    """Something that acts on committed events; ``name`` keys its durable cursor."""

    @property
    def name(self) -> str: ...

    @property
    def patterns(self) -> tuple[str, ...]:
        """Event types it wants (globs); the cursor moves past the others too."""
        ...

    def handle(self, events: Sequence[EventMessage]) -> object:
        """Act on a batch (in seq order). Raising leaves the cursor where it was, so the
        batch comes again: the effect must be idempotent."""
        ...


class ConsumerLock(Protocol):
    def acquire(self) -> bool: ...
    def release(self) -> None: ...


_PROCESS_LOCKS: dict[str, threading.Lock] = {}


class _ProcessLock:
    """An in-memory database lives in one process: a thread lock is the whole truth."""

    def __init__(self, name: str) -> None:
        self._lock = _PROCESS_LOCKS.setdefault(name, threading.Lock())
        self._held = False

    def acquire(self) -> bool:
        self._held = self._held or self._lock.acquire(blocking=False)
        return self._held

    def release(self) -> None:
        if self._held:
            self._lock.release()
            self._held = False


class _FileLock:
    """``flock`` on a file beside the SQLite database: freed by the kernel when the holder
    dies, kill -9 included."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        if self._file is not None:
            return True
        handle = self.path.open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class _AdvisoryLock:
    """A session-level PostgreSQL advisory lock on a connection of its own; the server frees
    it when that connection ends (a crashed holder, a lost network)."""

    def __init__(self, db: Database, name: str) -> None:
        self.db = db
        digest = hashlib.sha256(f"openfab.consumer:{name}".encode()).digest()
        self.key = int.from_bytes(digest[:8], "big", signed=True)
        self._conn: Connection | None = None

    def acquire(self) -> bool:
        try:
            if self._conn is not None:
                self._conn.execute(text("SELECT 1"))  # still ours while the session lives
                return True
            conn = self.db.engine.connect()
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
            conn.commit()
            if got:
                self._conn = conn
                return True
            conn.close()
        except SQLAlchemyError:
            log.warning("consumer lock: database unavailable", exc_info=True)
            self._drop()
        return False

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
            finally:
                self._conn = None

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self._conn.commit()
                self._conn.close()
            except SQLAlchemyError:
                self._drop()
            self._conn = None


def consumer_lock(db: Database, name: str) -> ConsumerLock:
    if not db.is_sqlite:
        return _AdvisoryLock(db, name)
    database = db.engine.url.database
    if not database or database == ":memory:":
        return _ProcessLock(f"{id(db)}:{name}")
    return _FileLock(Path(f"{database}.{name}.lock"))


class Relay:
    """Follows the event log for one consumer: ``poll`` hands one batch, ``drain`` all,
    ``run`` until stopped (woken by commits in this process, polling for other processes)."""

    def __init__(
        self,
        db: Database,
        consumer: Consumer,
        *,
        batch_size: int = 1000,
        start: Start = "beginning",
        poll_seconds: float = 0.2,
        cadence: float = 0.0,
    ) -> None:
        self.db = db
        self.consumer = consumer
        self.batch_size = batch_size
        self.start = start
        self.poll_seconds = poll_seconds
        self.cadence = cadence
        """Seconds to wait after a batch, so a burst gathers into the next one (re-planning)."""
        self.lock = consumer_lock(db, consumer.name)
        self.handled = 0
        self.failures = 0

    @property
    def name(self) -> str:
        return self.consumer.name

    def poll(self) -> int:
        """Hand the next batch to the consumer and advance its cursor; how many events were
        read (0: caught up, or another copy is active)."""
        if not self.lock.acquire():
            return 0
        after = self.position()
        events = self._read(after)
        if not events:
            return 0
        wanted = [e for e in events if any(matches(p, e.type) for p in self.consumer.patterns)]
        if wanted:
            self.consumer.handle(wanted)
            self.handled += len(wanted)
        self._advance(events[-1].seq)
        return len(events)

    def drain(self) -> int:
        """Poll until caught up; how many events were read."""
        total = 0
        while n := self.poll():
            total += n
        return total

    def position(self) -> int:
        """The cursor: the last seq this consumer is done with (created on first use)."""
        with self.db.unit(Scope.plant(), actor="system:relay", readonly=True) as uow:
            cursor = uow.session.get(OutboxCursor, self.name)
            if cursor is not None:
                return cursor.last_seq
            head = 0
            if self.start == "end":
                head = uow.session.scalar(select(func.max(EventRecord.seq))) or 0
        self._advance(head)
        return head

    def _read(self, after: int) -> list[EventMessage]:
        """The next batch as plain rows (no ORM objects: the relay reads every event)."""
        with self.db.reading(Scope.plant()) as conn:
            rows = conn.execute(
                select(*COLUMNS)
                .where(EVENTS.c.seq > after)
                .order_by(EVENTS.c.seq)
                .limit(self.batch_size)
            ).all()
        return [EventMessage(*row) for row in rows]

    def _advance(self, seq: int) -> None:
        with self.db.unit(Scope.plant(), actor="system:relay") as uow:
            cursor = uow.session.get(OutboxCursor, self.name)
            if cursor is None:
                uow.session.add(OutboxCursor(name=self.name, last_seq=seq))
            elif cursor.last_seq < seq:
                cursor.last_seq = seq

    def run(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set; a failing batch is retried with a growing pause."""
        pause = self.poll_seconds
        while not stop.is_set():
            seen = self.db.commits()  # before reading: a commit during the read still wakes us
            try:
                read = self.poll()
                pause = self.poll_seconds
            except Exception:  # the worker outlives any single failure; the batch comes again
                self.failures += 1
                log.exception("consumer %s failed; retrying in %.1fs", self.name, pause)
                stop.wait(pause)
                pause = min(pause * 2, 30.0)
                continue
            if not read:
                self.db.wait_for_commit(pause, since=seen)
            elif self.cadence:
                stop.wait(self.cadence)

    def close(self) -> None:
        self.lock.release()


class RelayThread:
    """A relay in a daemon thread of this process (what ``openfab serve`` runs per consumer)."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"relay-{relay.name}", daemon=True)

    def start(self) -> RelayThread:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.relay.run(self._stop)
        finally:
            self.relay.close()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self.relay.db.notify_commit()
        self._thread.join(timeout)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until the consumer has caught up with the log (for tests and the demo)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            head = self.relay.db.head_seq()
            if self.relay.position() >= head:
                return True
            time.sleep(0.02)
        return False
