"""The platform's one clock.

Real UTC time by default. The demo runs a simulated week through the same services the API
uses, so those services must read time from here, never from ``datetime.now``: the twin
advances a :class:`SimulatedClock`, and every order, event and schedule is stamped with
simulated time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Protocol

from openfab.errors import InvalidInput


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SimulatedClock:
    """Time that moves only when told to, and only forward (events keep their order)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise InvalidInput("a simulated clock starts at a timezone-aware moment")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance_to(self, moment: datetime) -> None:
        self._now = max(self._now, moment.astimezone(UTC))

    def advance(self, delta: timedelta) -> None:
        self.advance_to(self._now + delta)


_current: Clock = SystemClock()


def now() -> datetime:
    """The current moment, timezone-aware UTC, on whichever clock is running."""
    return _current.now()


@contextmanager
def running_on(clock: Clock) -> Iterator[Clock]:
    """Run the platform on ``clock`` (process-wide: worker threads see it too)."""
    global _current
    previous, _current = _current, clock
    try:
        yield clock
    finally:
        _current = previous
