"""Properties that hold for any history: non-negative finite forecasts of the right length,
safety stock monotone in the service level, and units that do not matter."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from openfab.planning.demand import DemandSensing

from .conftest import observations

quantities = st.lists(
    st.one_of(st.just(0.0), st.floats(0, 1e4, allow_nan=False, allow_subnormal=False)),
    min_size=1,
    max_size=120,
)
histories = st.lists(quantities, min_size=1, max_size=3)
horizons = st.integers(1, 60)
levels = st.floats(0.01, 0.99)


def sensed(series: list[list[float]], horizon: int, level: float, bucket: str = "day"):  # type: ignore[no-untyped-def]
    history = [o for i, q in enumerate(series) for o in observations(f"s{i}", np.array(q))]
    return DemandSensing(bucket=bucket).forecast(history, horizon, level)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(histories, horizons, levels)
def test_forecasts_are_finite_non_negative_and_cover_the_horizon(
    series: list[list[float]], horizon: int, level: float
) -> None:
    plan = sensed(series, horizon, level)
    assert set(plan.forecasts) == {f"s{i}" for i in range(len(series))}
    for forecast in plan.forecasts.values():
        assert len(forecast.quantities) == horizon
        assert all(math.isfinite(q) and q >= 0 for q in forecast.quantities)
        assert math.isfinite(forecast.safety_stock) and forecast.safety_stock >= 0
        assert forecast.method in forecast.candidates or math.isnan(forecast.rmsse)
        assert forecast.reason


@settings(max_examples=40, deadline=None)
@given(quantities, st.floats(0.05, 0.6), st.floats(0.6, 0.99))
def test_safety_stock_never_falls_as_the_service_level_rises(
    values: list[float], low: float, high: float
) -> None:
    a = sensed([values], 14, low)["s0"]
    b = sensed([values], 14, high)["s0"]
    assert b.safety_stock >= a.safety_stock
    assert a.quantities == b.quantities, "the level changes the buffer, not the forecast"


@settings(max_examples=40, deadline=None)
@given(quantities, st.sampled_from([0.001, 2.0, 1000.0]))
def test_units_do_not_matter(values: list[float], factor: float) -> None:
    """Grams or kilograms: the same method is chosen and everything scales."""
    a = sensed([values], 14, 0.9)["s0"]
    b = sensed([[v * factor for v in values]], 14, 0.9)["s0"]
    assert a.method == b.method
    assert np.allclose(np.array(b.quantities), np.array(a.quantities) * factor, rtol=1e-6)
    assert math.isclose(b.safety_stock, a.safety_stock * factor, rel_tol=1e-6, abs_tol=1e-9)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=7, max_size=120), horizons)
def test_weekly_buckets_cover_the_horizon_in_weeks(values: list[float], horizon: int) -> None:
    forecast = sensed([values], horizon, 0.9, bucket="week")["s0"]
    assert len(forecast.quantities) == math.ceil(horizon / 7)
    assert all(q >= 0 for q in forecast.quantities)


@settings(max_examples=30, deadline=None)
@given(histories)
def test_the_order_of_observations_does_not_matter(series: list[list[float]]) -> None:
    history = [o for i, q in enumerate(series) for o in observations(f"s{i}", np.array(q))]
    a = DemandSensing().forecast(history, 7, 0.9)
    b = DemandSensing().forecast(history[::-1], 7, 0.9)
    for name, forecast in a.forecasts.items():
        assert forecast.method == b[name].method
        assert np.allclose(forecast.quantities, b[name].quantities)
