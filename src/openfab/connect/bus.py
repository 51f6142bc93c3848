"""The event bus: one interface, implementations per transport.

The in-process bus is the embedded default. Events reach it only after their transaction
commits (see ``store.database``), so subscribers never see a change that was rolled back.
"""

from __future__ import annotations

import fnmatch
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from openfab.store.events import EventMessage, matches

log = logging.getLogger(__name__)
__all__ = [
    "EventBus",
    "EventMessage",
    "Handler",
    "InProcessBus",
    "decode_event",
    "encode_event",
    "matches",
]


Handler = Callable[[EventMessage], None]


class EventBus(Protocol):
    def publish(self, message: EventMessage) -> None: ...

    def subscribe(self, pattern: str, handler: Handler) -> Callable[[], None]:
        """Call ``handler`` for events whose type matches the glob ``pattern``; returns an
        unsubscribe function."""
        ...


class InProcessBus:
    """Synchronous fan-out within one process. A failing handler is logged, never fatal."""

    def __init__(self) -> None:
        self._subscriptions: list[tuple[str, Handler]] = []

    def subscribe(self, pattern: str, handler: Handler) -> Callable[[], None]:
        entry = (pattern, handler)
        self._subscriptions.append(entry)
        return lambda: self._subscriptions.remove(entry)

    def publish(self, message: EventMessage) -> None:
        for pattern, handler in list(self._subscriptions):
            if fnmatch.fnmatchcase(message.type, pattern):
                try:
                    handler(message)
                except Exception:
                    log.exception("event handler failed for %s #%s", message.type, message.seq)


def encode_event(message: EventMessage) -> bytes:
    """The JSON form of an event on a wire (MQTT, NATS)."""
    body = {**message.__dict__, "occurred_at": message.occurred_at.isoformat()}
    return json.dumps(body, separators=(",", ":"), default=str).encode()


def decode_event(data: bytes) -> EventMessage:
    """Inverse of ``encode_event``; raises ``ValueError`` for anything else."""
    body = json.loads(data)
    if not isinstance(body, dict):
        raise ValueError("an event is a JSON object")
    try:
        body["occurred_at"] = datetime.fromisoformat(body["occurred_at"])
        return EventMessage(**body)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not an event: {exc}") from None
