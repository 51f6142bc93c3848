"""When customers order: a day's arrivals follow a daily profile (quiet at night, busy in the
evening), drawn as a non-homogeneous Poisson process. Pure and deterministic for a seed."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

PEAKS = ((11.0, 2.5, 0.8), (20.0, 2.0, 1.0))
"""(hour, spread in hours, weight) of the day's busy spells: late morning and evening."""
FLOOR = 0.15
"""Relative arrival rate at the quietest hour."""


def intensity(hour: float) -> float:
    """Relative arrival rate at ``hour`` of the day (0..24), not normalised."""
    rate = FLOOR
    for peak, spread, weight in PEAKS:
        distance = min(abs(hour - peak), 24 - abs(hour - peak))
        rate += weight * math.exp(-0.5 * (distance / spread) ** 2)
    return rate


def arrival_times(day: datetime, expected: float, rng: random.Random) -> list[datetime]:
    """Order arrivals in the 24 hours from ``day``: about ``expected`` of them (Poisson),
    placed by thinning against the daily profile, sorted."""
    if expected <= 0:
        return []
    top = max(intensity(h / 10) for h in range(240))
    mean = sum(intensity(h / 10) for h in range(240)) / 240
    candidates = _poisson(rng, expected * top / mean)
    hours = sorted(rng.uniform(0, 24) for _ in range(candidates))
    kept = [h for h in hours if rng.random() < intensity(h) / top]
    return [day + timedelta(hours=h) for h in kept]


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (normal approximation for large means, exact by products below)."""
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
