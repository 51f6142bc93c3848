"""Synthetic order histories: weekday seasonality, a trend and noise, reproducible by seed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
import pytest

from openfab.planning.demand import DemandObservation

START = date(2026, 1, 5)  # a Monday
WEEKDAY = np.array([1.3, 1.2, 1.0, 1.0, 1.4, 0.4, 0.2])
"""Orders by weekday: busy Monday and Friday, quiet weekend."""

History = Callable[..., list[DemandObservation]]


def seasonal_series(
    seed: int, days: int = 182, level: float = 20.0, trend: float = 0.05, noise: float = 0.15
) -> np.ndarray:
    """Daily demand: level × weekday factor + trend, with multiplicative noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    mean = (level + trend * t) * WEEKDAY[t % 7]
    return np.maximum(mean * (1 + noise * rng.standard_normal(days)), 0.0)


def observations(series: str, values: np.ndarray, start: date = START) -> list[DemandObservation]:
    return [
        DemandObservation(series, start + timedelta(days=i), float(q)) for i, q in enumerate(values)
    ]


@pytest.fixture
def seasonal_history() -> History:
    """``seasonal_history(seed, **shape)``: one series named ``"sku"``."""

    def make(seed: int, **shape: float) -> list[DemandObservation]:
        return observations("sku", seasonal_series(seed, **shape))

    return make
