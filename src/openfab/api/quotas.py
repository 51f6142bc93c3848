"""Quotas per tenant, answered with 429 and ``Retry-After`` (``TooManyRequests``).

- **Orders per minute** are counted in the database (the tenant's orders of the last minute),
  so the limit holds across every server process; two orders placed at the very same moment
  in two processes may both pass the last place.
- **API requests per minute** (every authenticated route) and **shop-floor messages per
  second** (REST telemetry: floor messages, operation and machine-state reports) are counted
  in a sliding window in this process: with N server processes a tenant may reach N times
  the limit.

The plant's own staff (actors without a tenant) count under the reserved tenant ``plant``.
A limit of 0 turns its quota off. The routers use these through the dependencies in
``api.deps``.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta

from openfab.errors import InvalidInput, TooManyRequests
from openfab.identity.actor import PLANT, Actor
from openfab.orders.service import OrderService
from openfab.settings import Settings
from openfab.store.types import utcnow

ORDER_WINDOW = timedelta(minutes=1)


class SlidingWindow:
    """At most ``limit`` units per key in any ``seconds``, counted in ``slots`` buckets (so
    exact to ``seconds / slots``); thread-safe, in this process only."""

    def __init__(
        self,
        limit: int,
        seconds: float,
        *,
        slots: int = 60,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.seconds = seconds
        self.slots = slots
        self.width = seconds / slots
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, deque[list[int]]] = {}
        self._totals: dict[str, int] = {}

    def take(self, key: str, units: int = 1) -> float | None:
        """Count ``units`` for ``key`` and return ``None``; or count nothing and return the
        seconds until they would fit."""
        now = self.clock()
        slot = math.floor(now / self.width)
        with self._lock:
            buckets = self._buckets.setdefault(key, deque())
            total = self._totals.get(key, 0)
            while buckets and buckets[0][0] <= slot - self.slots:
                total -= buckets.popleft()[1]
            if total + units > self.limit:
                self._totals[key] = total
                return self._wait(buckets, total + units - self.limit, now)
            if buckets and buckets[-1][0] == slot:
                buckets[-1][1] += units
            else:
                buckets.append([slot, units])
            self._totals[key] = total + units
            return None

    def _wait(self, buckets: deque[list[int]], excess: int, now: float) -> float:
        """Seconds until the oldest buckets holding ``excess`` units have left the window."""
        for slot, count in buckets:
            excess -= count
            if excess <= 0:
                return (slot + self.slots) * self.width - now
        return self.seconds


class Quotas:
    """The quotas of one server process (see the module's notes on what is per process)."""

    def __init__(
        self,
        *,
        orders_per_minute: int,
        requests_per_minute: int,
        floor_messages_per_second: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.orders_per_minute = orders_per_minute
        self.requests = SlidingWindow(requests_per_minute, 60.0, slots=60, clock=clock)
        self.floor = SlidingWindow(floor_messages_per_second, 1.0, slots=10, clock=clock)

    @classmethod
    def from_settings(cls, settings: Settings) -> Quotas:
        return cls(
            orders_per_minute=settings.orders_per_minute,
            requests_per_minute=settings.requests_per_minute,
            floor_messages_per_second=settings.floor_messages_per_second,
        )

    def request(self, actor: Actor) -> None:
        """One authenticated API request of the actor's tenant."""
        if self.requests.limit <= 0:
            return
        wait = self.requests.take(_key(actor))
        if wait is not None:
            raise TooManyRequests(
                f"this tenant's quota of {self.requests.limit} API requests a minute is spent",
                retry_after=math.ceil(wait),
            )

    def floor_messages(self, actor: Actor, count: int) -> None:
        """``count`` shop-floor messages of the actor's tenant arriving in one request."""
        limit = self.floor.limit
        if limit <= 0:
            return
        if count > limit:
            raise InvalidInput(
                f"a batch of {count} shop-floor messages exceeds the quota of {limit} "
                "a second: send smaller batches"
            )
        wait = self.floor.take(_key(actor), count)
        if wait is not None:
            raise TooManyRequests(
                f"this tenant's quota of {limit} shop-floor messages a second is spent",
                retry_after=math.ceil(wait),
            )

    def order(self, orders: OrderService, actor: Actor) -> None:
        """Before an order is placed: refuse when the tenant placed ``orders_per_minute`` in
        the last minute (the database's count, shared by every process). Retry-After is when
        the oldest of them leaves the minute."""
        limit = self.orders_per_minute
        if limit <= 0 or actor.tenant_id is None:
            return  # the plant places no orders: the order service refuses it
        now = utcnow()
        placed = orders.nth_newest_since(actor.tenant_id, now - ORDER_WINDOW, limit)
        if placed is not None:
            wait = (placed + ORDER_WINDOW - now).total_seconds()
            raise TooManyRequests(
                f"this tenant's quota of {limit} orders a minute is spent",
                retry_after=math.ceil(wait),
            )


def _key(actor: Actor) -> str:
    return actor.tenant_id or PLANT
