"""Telemetry readings and their wire format: pure, no I/O.

A reading travels as JSON with a message id (the idempotency key) and a timestamp::

    {"message_id": "3f1c…", "timestamp": "2026-11-26T08:00:00.125+00:00", "value": 41.7}

on the signal's topic ``openfab/{site}/{area}/{line}/{machine}/{signal}``. A machine may also
send several signals at once on its machine topic ``openfab/{site}/{area}/{line}/{machine}``
as a JSON array whose items name their ``signal``. ``decode`` never raises: whatever is wrong
with a message comes back as a ``Rejected`` with a reason, for the dead-letter table.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from openfab.connect.topics import EquipmentPath, TopicError, check_level

MAX_PAYLOAD_BYTES = 256 * 1024
MAX_MESSAGE_ID = 64
_REQUIRED = frozenset(("message_id", "timestamp", "value"))
_NUMBER = (int, float)  # exact classes: JSON gives no subclasses, and bool must not pass
_CHECKED: set[str] = set()  # signal names already found valid (a plant has few)


@dataclass(frozen=True, slots=True)
class Reading:
    """One value of one signal of one machine at one instant."""

    message_id: str
    path: EquipmentPath
    signal: str
    value: float
    timestamp: datetime

    @property
    def machine(self) -> str:
        return self.path.machine


@dataclass(frozen=True, slots=True)
class Rejected:
    """A message (or one item of a batch) that cannot become a reading, and why."""

    code: str  # bad_json | bad_topic | missing_field | wrong_type | not_finite | oversized | ...
    reason: str
    payload: bytes
    topic: str | None = None


def new_message_id() -> str:
    """A unique, time-ordered message id (the UUIDv7 layout as 32 hex digits).

    Ids that grow with time make the primary-key B-tree append instead of splitting random
    pages: SQLite stores such readings about 1.7x faster than with random ``uuid4`` ids.
    """
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    rand_a, rand_b = rand >> 68, rand & ((1 << 62) - 1)
    return f"{ms & 0xFFFFFFFFFFFF:012x}7{rand_a:03x}{(0b10 << 62) | rand_b:016x}"


def machine_batches(readings: Iterable[Reading], *, size: int = 1000) -> list[list[Reading]]:
    """Readings grouped by equipment, at most ``size`` per group: one batch message each
    (a batch topic names one piece of equipment, and a message must stay under the limit)."""
    groups: dict[EquipmentPath, list[Reading]] = {}
    for reading in readings:
        groups.setdefault(reading.path, []).append(reading)
    return [g[i : i + size] for g in groups.values() for i in range(0, len(g), size)]


def encode(reading: Reading) -> bytes:
    """The JSON payload of one reading (for its signal topic)."""
    return json.dumps(_item(reading), separators=(",", ":")).encode()


def encode_batch(readings: Iterable[Reading]) -> bytes:
    """The JSON payload of several readings of one machine (for its machine topic)."""
    return json.dumps(
        [{**_item(r), "signal": r.signal} for r in readings], separators=(",", ":")
    ).encode()


def _item(reading: Reading) -> dict[str, Any]:
    return {
        "message_id": reading.message_id,
        "timestamp": reading.timestamp.astimezone(UTC).isoformat(),
        "value": reading.value,
    }


def decode(
    payload: bytes,
    *,
    path: EquipmentPath | None,
    signal: str | None,
    topic: str | None = None,
    max_bytes: int = MAX_PAYLOAD_BYTES,
) -> tuple[list[Reading], list[Rejected]]:
    """Readings in ``payload`` sent for ``path`` (and ``signal``, unless the items name it)."""
    if len(payload) > max_bytes:
        reason = f"payload of {len(payload)} bytes exceeds the limit of {max_bytes}"
        return [], [Rejected("oversized", reason, payload, topic)]
    if path is None:
        return [], [Rejected("bad_topic", f"topic {topic!r} names no machine", payload, topic)]
    try:
        document = json.loads(payload)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        return [], [Rejected("bad_json", f"not JSON: {exc}"[:200], payload, topic)]
    items = document if isinstance(document, list) else [document]
    if not items:
        return [], [Rejected("empty", "an empty batch carries no reading", payload, topic)]
    readings: list[Reading] = []
    rejected: list[Rejected] = []
    for item in items:
        try:
            readings.append(_reading(item, path, signal))
        except _Invalid as exc:
            raw = payload if len(items) == 1 else json.dumps(item, default=str).encode()
            rejected.append(Rejected(exc.code, exc.reason, raw, topic))
    return readings, rejected


class _Invalid(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def _reading(item: Any, path: EquipmentPath, signal: str | None) -> Reading:
    if not isinstance(item, dict):
        raise _Invalid("wrong_type", f"a reading is a JSON object, not {type(item).__name__}")
    if not _REQUIRED.issubset(item.keys()) or (signal is None and "signal" not in item):
        missing = [k for k in ("message_id", "timestamp", "value") if k not in item]
        missing += ["signal"] if signal is None and "signal" not in item else []
        raise _Invalid("missing_field", f"missing field(s): {', '.join(missing)}")
    message_id, value = item["message_id"], item["value"]
    if not isinstance(message_id, str) or not 0 < len(message_id) <= MAX_MESSAGE_ID:
        raise _Invalid("wrong_type", f"message_id must be a string of 1-{MAX_MESSAGE_ID} chars")
    if not message_id.isprintable():
        raise _Invalid("wrong_type", "message_id must be printable text")
    if value.__class__ not in _NUMBER:  # bool is an int subclass, and no measurement
        raise _Invalid("wrong_type", f"value must be a number, not {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise _Invalid("not_finite", f"value {value} is not finite")
    item_signal = item.get("signal", signal)
    if not isinstance(item_signal, str):
        raise _Invalid("wrong_type", "signal must be a string")
    if item_signal != signal and item_signal not in _CHECKED:
        try:
            check_level(item_signal)
        except TopicError as exc:
            raise _Invalid("bad_topic", str(exc)) from None
        if len(_CHECKED) < 100_000:
            _CHECKED.add(item_signal)
    return Reading(message_id, path, item_signal, value, _timestamp(item["timestamp"]))


def _timestamp(raw: Any) -> datetime:
    try:
        if isinstance(raw, str):
            ts = datetime.fromisoformat(raw)
        elif raw.__class__ in _NUMBER:
            ts = datetime.fromtimestamp(raw, UTC)
        else:
            raise _Invalid("wrong_type", "timestamp must be an ISO 8601 string or epoch seconds")
    except (ValueError, OverflowError, OSError) as exc:
        raise _Invalid("bad_timestamp", f"timestamp {raw!r} unreadable: {exc}"[:200]) from None
    if ts.tzinfo is None:
        raise _Invalid("bad_timestamp", f"timestamp {raw!r} has no time zone")
    return ts if ts.tzinfo is UTC else ts.astimezone(UTC)
