"""Each forecasting method on a series whose right answer is known by hand."""

from __future__ import annotations

import numpy as np
import pytest

from openfab.planning.demand.methods import (
    Context,
    Croston,
    Holt,
    HoltWinters,
    MovingAverage,
    Naive,
    SeasonalNaive,
    SimpleExponentialSmoothing,
    Tsb,
)

WEEK = Context(season=7, warmup=7)
PATTERN = np.array([10.0, 12, 9, 8, 15, 3, 1])


def rows(*series: list[float] | np.ndarray) -> np.ndarray:
    return np.array([np.asarray(s, dtype=float) for s in series])


def test_naive_repeats_the_last_value_of_each_origin() -> None:
    y = rows([1, 2, 3, 4, 5, 6, 7, 8])
    out = Naive().forecast(y, [3, 8], 2, WEEK)
    assert out.tolist() == [[[3, 3], [8, 8]]]


def test_seasonal_naive_repeats_last_week() -> None:
    y = rows(np.tile(PATTERN, 3))
    out = SeasonalNaive().forecast(y, [21], 10, WEEK)[0, 0]
    assert out.tolist() == np.tile(PATTERN, 2)[:10].tolist()


def test_moving_average_is_the_mean_of_its_window() -> None:
    y = rows([0, 0, 4, 8])
    assert MovingAverage(window=2).forecast(y, [4], 3, WEEK)[0, 0].tolist() == [6, 6, 6]


@pytest.mark.parametrize("method", [SimpleExponentialSmoothing(), Holt(), HoltWinters()])
def test_smoothing_keeps_a_constant_series_constant(method: object) -> None:
    y = rows(np.full(42, 5.0))
    out = method.forecast(y, [28, 42], 14, WEEK)  # type: ignore[attr-defined]
    assert np.allclose(out, 5.0)


def test_holt_follows_a_linear_trend() -> None:
    y = rows(np.arange(60, dtype=float) * 2 + 10)
    out = Holt().forecast(y, [60], 5, WEEK)[0, 0]
    assert np.all(np.diff(out) > 0), "a rising series is forecast to keep rising"
    assert out[0] == pytest.approx(130, rel=0.03)


def test_holt_winters_learns_the_weekday_pattern() -> None:
    y = rows(np.tile(PATTERN, 8))
    out = HoltWinters().forecast(y, [56], 14, WEEK)[0, 0]
    assert np.allclose(out, np.tile(PATTERN, 2), atol=0.5)


def test_forecasts_use_nothing_after_their_origin() -> None:
    base = np.tile(PATTERN, 6)
    changed = base.copy()
    changed[30:] *= 10
    for method in (Naive(), SeasonalNaive(), SimpleExponentialSmoothing(), HoltWinters(), Tsb()):
        a = method.forecast(rows(base), [21, 28], 7, WEEK)
        b = method.forecast(rows(changed), [21, 28], 7, WEEK)
        assert np.array_equal(a, b), method.name


def test_croston_forecasts_the_demand_rate_of_regular_intermittent_demand() -> None:
    y = rows(np.tile([0, 0, 0, 6.0], 20))  # 6 every fourth day: 1.5 per day
    out = Croston().forecast(y, [80], 4, WEEK)[0, 0]
    assert np.allclose(out, 1.5, rtol=0.05)


def test_tsb_fades_a_series_that_stopped_selling_but_croston_does_not() -> None:
    y = rows(np.concatenate([np.tile([0, 5.0], 20), np.zeros(30)]))
    croston = Croston().forecast(y, [70], 1, WEEK)[0, 0, 0]
    tsb = Tsb().forecast(y, [70], 1, WEEK)[0, 0, 0]
    assert tsb < croston / 2


def test_forecasts_are_never_negative() -> None:
    y = rows(np.linspace(50, 0, 60))
    for method in (Holt(), HoltWinters()):
        assert (method.forecast(y, [60], 60, WEEK) >= 0).all()
