"""Customer arrivals: deterministic for a seed, inside the day, busier in the evening."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from openfab.demo.arrivals import arrival_times, intensity

DAY = datetime(2026, 1, 5, tzinfo=UTC)


def test_same_seed_same_arrivals_sorted_within_the_day() -> None:
    first = arrival_times(DAY, 500, random.Random(3))
    assert first == arrival_times(DAY, 500, random.Random(3))
    assert first == sorted(first)
    assert all(DAY <= t < DAY + timedelta(days=1) for t in first)


def test_count_is_near_the_expected_rate() -> None:
    counts = [len(arrival_times(DAY, 1000, random.Random(seed))) for seed in range(5)]
    assert all(850 < c < 1150 for c in counts)


def test_evening_is_busier_than_the_night() -> None:
    assert intensity(20) > 3 * intensity(4)
    times = arrival_times(DAY, 2000, random.Random(1))
    night = sum(t.hour in (2, 3, 4) for t in times)
    evening = sum(t.hour in (19, 20, 21) for t in times)
    assert evening > 2 * night


def test_no_orders_expected_gives_none() -> None:
    assert arrival_times(DAY, 0, random.Random(1)) == []
