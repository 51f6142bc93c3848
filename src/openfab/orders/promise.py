"""A capacity-aware promise-date estimate (the scheduler replaces it once it plans the order).

The order waits for the slowest of its material and option lead times, then queues behind
the open load at each work center its routing visits; the bottleneck sets the production
days. Pure: load and capacity come in, a date goes out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

SHIPPING_DAYS = 1


@dataclass(frozen=True)
class CapacityView:
    """Minutes per day each work center can work, and minutes already promised to open orders."""

    minutes_per_day: Mapping[str, float]
    open_load: Mapping[str, float]


@dataclass(frozen=True)
class Promise:
    promise_date: datetime
    material_days: int
    production_days: int
    bottleneck: str | None


def estimate_promise(
    *,
    now: datetime,
    load: Mapping[str, float],
    capacity: CapacityView,
    material_days: int,
) -> Promise:
    """``load`` is this order's minutes per work center."""
    busiest, bottleneck = 0.0, None
    for center, minutes in load.items():
        per_day = capacity.minutes_per_day.get(center, 0.0)
        if per_day <= 0:
            continue
        days = (capacity.open_load.get(center, 0.0) + minutes) / per_day
        if days > busiest:
            busiest, bottleneck = days, center
    production_days = math.ceil(busiest)
    total = material_days + max(production_days, 1) + SHIPPING_DAYS
    return Promise(now + timedelta(days=total), material_days, production_days, bottleneck)
