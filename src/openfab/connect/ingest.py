"""Telemetry ingest: a bounded buffer in front of batched, idempotent database writes.

Every source (MQTT, NATS, OPC UA, the in-process twin) hands readings or raw payloads to one
``TelemetryIngest``. It never crashes on input: a malformed message becomes a dead letter with
its reason. Duplicates are dropped by (equipment path, message id) and counted. When the
database is briefly away, readings stay in memory (bounded — a full buffer makes ``submit``
wait, pushing back on the source instead of dropping) and the batch is retried with
exponential backoff.

Delivery guarantee: a source that passes ``on_stored`` with a message is told once everything
the message carried — its readings and its dead letters — is committed, and only then
acknowledges it to its broker. What is buffered but not yet committed is lost with the process
(kill -9, power cut) but was never acknowledged, so the broker delivers it again: at least once
end to end, and exactly once in the table because writes are idempotent. Readings submitted
without ``on_stored`` (the in-process path) are only as safe as the process holding them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from openfab.connect.store import TRANSIENT, DeadLetter, TelemetryStore
from openfab.connect.telemetry import MAX_PAYLOAD_BYTES, Reading, Rejected, decode
from openfab.connect.topics import EquipmentPath

log = logging.getLogger(__name__)
OnStored = Callable[[], None]
"""Called once, from the writer thread, after a message's readings and letters committed."""


@dataclass(frozen=True)
class IngestStats:
    """Counters since start. ``received`` = readings accepted into the buffer; every one ends
    as ``written`` or ``duplicates`` once ``buffered`` is 0."""

    received: int = 0
    written: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    retries: int = 0
    buffered: int = 0
    batches: int = 0


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff between retries of a batch the database refused."""

    first: float = 0.05
    factor: float = 2.0
    most: float = 2.0

    def delay(self, attempt: int) -> float:
        return float(min(self.most, self.first * self.factor ** max(0, attempt - 1)))


class TelemetryIngest:
    """Buffer readings, write them in batches; ``start()`` runs a background writer, or call
    ``flush()`` yourself (the in-process path)."""

    def __init__(
        self,
        store: TelemetryStore,
        *,
        batch_size: int = 5000,
        max_buffered: int = 1_000_000,
        flush_interval: float = 0.1,
        backoff: Backoff | None = None,
        max_payload_bytes: int = MAX_PAYLOAD_BYTES,
    ) -> None:
        self.store = store
        self.batch_size = batch_size
        self.max_buffered = max_buffered
        self.flush_interval = flush_interval
        self.backoff = backoff or Backoff()
        self.max_payload_bytes = max_payload_bytes
        self._buffer: deque[Reading] = deque()
        self._letters: deque[DeadLetter] = deque()
        self._in_flight = 0
        self._counts = dict.fromkeys(("received", "written", "duplicates", "dead", "retries"), 0)
        self._batches = 0
        self._cond = threading.Condition()
        self._write_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._abandon = threading.Event()
        # Positions in the stream of readings and of letters: how many were ever queued and
        # how many were taken by the writer; an ``on_stored`` waits for both positions.
        self._queued = [0, 0]
        self._taken = [0, 0]
        self._marks: deque[tuple[int, int, OnStored]] = deque()

    # -- intake ---------------------------------------------------------------------------
    def submit(self, readings: Iterable[Reading], *, on_stored: OnStored | None = None) -> None:
        """Accept readings (any order); waits while the buffer is full. ``on_stored`` is
        called once all of them (and any letter queued before) are committed."""
        self._accept(list(readings), [], on_stored)

    def submit_payload(
        self,
        payload: bytes,
        *,
        source: str,
        topic: str | None = None,
        path: EquipmentPath | None,
        signal: str | None,
        on_stored: OnStored | None = None,
    ) -> None:
        """Decode one message; good readings are buffered, bad ones dead-lettered;
        ``on_stored`` is called when both are committed (the broker acknowledgement)."""
        readings, rejected = decode(
            payload, path=path, signal=signal, topic=topic, max_bytes=self.max_payload_bytes
        )
        letters = _letters(rejected, source) if rejected else []
        self._accept(readings, letters, on_stored)

    def reject(self, rejected: Iterable[Rejected], *, source: str) -> None:
        self.dead_letter(_letters(rejected, source))

    def dead_letter(
        self, letters: Sequence[DeadLetter], *, on_stored: OnStored | None = None
    ) -> None:
        self._accept([], list(letters), on_stored)

    def _accept(
        self, batch: list[Reading], letters: list[DeadLetter], on_stored: OnStored | None
    ) -> None:
        for letter in letters:
            log.warning("dead letter from %s (%s): %s", letter.source, letter.code, letter.reason)
        if self._thread is None and self._pending() + len(batch) > self.max_buffered:
            self.flush()  # no background writer: make room in this thread
        with self._cond:
            while (
                self._thread is not None
                and self._pending() + len(batch) > self.max_buffered
                and self._pending() > 0
            ):
                self._cond.notify_all()
                self._cond.wait(0.1)
            if letters:
                self._letters.extend(letters)
                self._counts["dead"] += len(letters)
                self._queued[1] += len(letters)
            self._buffer.extend(batch)
            self._counts["received"] += len(batch)
            self._queued[0] += len(batch)
            if on_stored is not None:
                self._marks.append((self._queued[0], self._queued[1], on_stored))
            if len(self._buffer) >= self.batch_size or (on_stored and not batch):
                self._cond.notify_all()

    def __call__(self, reading: Any) -> None:
        """A twin sink: accepts a ``Reading`` or the twin's ``TelemetryReading``."""
        self.submit([reading if isinstance(reading, Reading) else as_reading(reading)])

    # -- writing --------------------------------------------------------------------------
    def flush(self) -> None:
        """Write everything buffered now, in this thread, retrying until it is stored."""
        while self._write_batch():
            pass

    def _take(self) -> tuple[list[Reading], list[DeadLetter], tuple[int, int]]:
        """The next batch, every queued letter, and the stream positions they end at."""
        with self._cond:
            n = min(self.batch_size, len(self._buffer))
            batch = [self._buffer.popleft() for _ in range(n)]
            letters = list(self._letters)
            self._letters.clear()
            self._in_flight += n
            self._taken[0] += n
            self._taken[1] += len(letters)
            return batch, letters, (self._taken[0], self._taken[1])

    def _settle(self, end: tuple[int, int]) -> None:
        """Tell every message whose readings and letters all lie before ``end`` (committed
        now: batches commit in order) that it is stored."""
        if not self._marks:
            return
        done: list[OnStored] = []
        with self._cond:
            while self._marks and self._marks[0][0] <= end[0] and self._marks[0][1] <= end[1]:
                done.append(self._marks.popleft()[2])
        for on_stored in done:
            try:
                on_stored()
            except Exception:  # an acknowledgement that fails is re-delivered, not lost
                log.exception("on_stored callback failed")

    def _write_batch(self) -> bool:
        """Write one batch; False when there was nothing to write (or writing was given up)."""
        with self._write_lock:
            batch, letters, end = self._take()
            if not batch and not letters:
                self._settle(end)  # messages that carried nothing left to write
                return False
            unique = list({(r.path.text, r.message_id): r for r in batch}.values())
            result = self._write_retrying(unique, letters)
            if result is None:  # given up by stop(): everything goes back, nothing is lost
                with self._cond:
                    self._buffer.extendleft(reversed(batch))
                    self._letters.extendleft(reversed(letters))
                    self._in_flight -= len(batch)
                    self._taken[0] -= len(batch)
                    self._taken[1] -= len(letters)
                    self._cond.notify_all()
                return False
            inserted, extra = result
            self._settle(end)  # before the counters: a drained ingest has acknowledged too
            with self._cond:
                self._in_flight -= len(batch)
                self._counts["written"] += inserted
                self._counts["duplicates"] += len(batch) - inserted - extra
                self._batches += 1
                self._cond.notify_all()
            return True

    def _write_retrying(
        self, readings: list[Reading], letters: list[DeadLetter]
    ) -> tuple[int, int] | None:
        """(inserted, rejected by the database); retries transient failures until it
        succeeds, or returns None when ``stop`` gave up waiting."""
        attempt = 0
        while not self._abandon.is_set():
            try:
                return self.store.write(readings, letters), 0
            except TRANSIENT as exc:
                attempt += 1
                with self._cond:
                    self._counts["retries"] += 1
                delay = self.backoff.delay(attempt)
                log.warning("telemetry write failed (%s); retry %d in %.2fs", exc, attempt, delay)
                self._abandon.wait(delay)
            except Exception:  # a row the database refuses: isolate it, keep the rest
                log.exception("telemetry batch refused; writing row by row")
                return self._write_one_by_one(readings, letters)
        return None

    def _write_one_by_one(
        self, readings: list[Reading], letters: list[DeadLetter]
    ) -> tuple[int, int]:
        inserted = refused = 0
        for reading in readings:
            try:
                inserted += self.store.write([reading])
            except TRANSIENT:
                raise
            except Exception as exc:
                refused += 1
                raw = repr(reading).encode()
                letters.append(DeadLetter.of("ingest", None, "db_rejected", str(exc), raw))
        with self._cond:
            self._counts["dead"] += refused
        self.store.write([], letters)
        return inserted, refused

    # -- background writer ----------------------------------------------------------------
    def start(self) -> TelemetryIngest:
        if self._thread is None:
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="telemetry-ingest", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        while True:
            with self._cond:
                if len(self._buffer) < self.batch_size and not self._stopping:
                    self._cond.wait(self.flush_interval)
                idle = not self._buffer and not self._letters
                if self._stopping and (idle or self._abandon.is_set()):
                    return
            self._write_batch()

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every accepted reading is stored; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending() or self._letters:
                if self._thread is None:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.notify_all()
                self._cond.wait(min(left, 0.05))
        if self._thread is None:
            self.flush()
        return True

    def stop(self, timeout: float = 30.0) -> bool:
        """Drain, then end the background writer; False if readings were left unwritten."""
        drained = self.drain(timeout)
        if not drained:
            self._abandon.set()
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout if drained else 5.0)
            self._thread = None
        self._abandon.clear()
        return drained

    def _pending(self) -> int:
        return len(self._buffer) + self._in_flight

    @property
    def stats(self) -> IngestStats:
        with self._cond:
            c = self._counts
            return IngestStats(
                received=c["received"],
                written=c["written"],
                duplicates=c["duplicates"],
                dead_lettered=c["dead"],
                retries=c["retries"],
                buffered=self._pending(),
                batches=self._batches,
            )

    def __enter__(self) -> TelemetryIngest:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _letters(rejected: Iterable[Rejected], source: str) -> list[DeadLetter]:
    return [DeadLetter.of(source, r.topic, r.code, r.reason, r.payload) for r in rejected]


def as_reading(obj: Any) -> Reading:
    """Adopt any reading-like object (the twin's ``TelemetryReading``): it needs a machine
    path (``path`` or ``machine``), ``signal``, ``value``, ``timestamp`` and ``message_id``."""
    raw_path = getattr(obj, "path", None) or obj.machine
    return Reading(
        message_id=str(obj.message_id),
        path=EquipmentPath.of(raw_path),
        signal=str(obj.signal),
        value=float(obj.value),
        timestamp=obj.timestamp,
    )
