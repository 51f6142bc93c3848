"""Rolling-origin backtest: each method forecasts from several past origins, the one with the
lowest scaled error wins, per series.

The error is RMSSE (as in the M5 competition): root mean squared error divided by the
in-sample root mean squared error of the seasonal naive method (the naive method without
seasonality), so errors of a fridge model selling 40 a day and an ice maker selling 2 a day
compare. Squared, not absolute, errors: absolute errors reward forecasting zero for
intermittent demand (the median), which would leave every such material short.

A simpler method wins unless a more complex one beats it by more than ``TOLERANCE``: small
gains do not buy complexity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from openfab.planning.demand.methods import (
    INTERMITTENT,
    SEASONAL,
    Array,
    Context,
    Method,
    MovingAverage,
    all_methods,
)

TOLERANCE = 0.02
"""A method must beat every simpler one by 2 % of RMSSE to be chosen."""
INTERMITTENT_ZEROS = 0.25
"""A series with at least this share of zero buckets is intermittent (Croston/TSB apply)."""
FOLDS = 8


@dataclass(frozen=True)
class Backtest:
    """Per series (rows): the chosen method, its errors, and its forecast from the end."""

    methods: tuple[str, ...]
    labels: dict[str, str]
    chosen: list[str]
    rmsse: Array
    candidates: Array
    """(series, methods) RMSSE of every candidate; inf where a method does not apply."""
    errors: Array
    """(series, folds, steps): actual minus forecast of the chosen method."""
    forecast: Array
    """(series, horizon) forecast of the chosen method from the last bucket on."""
    intermittent: Array
    folds: int
    steps: int

    def rmse(self) -> Array:
        if self.folds == 0:
            return np.full(len(self.chosen), math.nan)
        return np.asarray(np.sqrt((self.errors**2).mean(axis=(1, 2))))

    def lead_time_rmse(self, lead_buckets: Array, history: Array) -> Array:
        """RMSE of demand summed over each series' lead time.

        The backtest's own cumulative errors measure it (bias and autocorrelation
        included) up to ``steps`` buckets; beyond that it grows with the square root of
        time. Without a backtest, the spread of the history stands in, growing likewise.
        """
        lead = np.maximum(lead_buckets, 1)
        if self.folds == 0:
            return np.asarray(history.std(axis=1) * np.sqrt(lead))
        covered = np.minimum(lead, self.steps).astype(int)
        mask = np.arange(self.steps)[None, :] < covered[:, None]
        summed = (self.errors * mask[:, None, :]).sum(axis=2)
        return np.asarray(np.sqrt((summed**2).mean(axis=1) * lead / covered))


def context(buckets: int, season: int) -> Context:
    """Seasonality needs three seasons of history; the warm-up is one season (or 4 buckets)."""
    if season and buckets < 3 * season:
        season = 0
    warmup = season or min(4, max(1, buckets - 1))
    return Context(season, warmup)


def fold_origins(buckets: int, horizon: int, ctx: Context) -> tuple[list[int], int]:
    """Up to ``FOLDS`` origins one season (or one bucket) apart, newest last; and the steps.

    Each backtest forecasts ``steps`` buckets: the horizon, at most four seasons (or eight
    buckets), and at most a third of the history after the warm-up.
    """
    room = buckets - ctx.warmup - 1
    steps = min(horizon, 4 * ctx.season if ctx.season else 8, max(room // 3, 1))
    stride = ctx.season or 1
    origins = [buckets - steps - k * stride for k in range(FOLDS)]
    origins = [o for o in origins if o >= ctx.warmup + 1]
    return sorted(origins), steps


def scale_of(y: Array, ctx: Context) -> Array:
    """In-sample RMSE of the seasonal naive method; the RMS demand where that is zero."""
    lag = ctx.season or 1
    level = np.sqrt((y**2).mean(axis=1))
    scale = level
    if y.shape[1] > lag:
        scale = np.sqrt(((y[:, lag:] - y[:, :-lag]) ** 2).mean(axis=1))
    scale = np.where(scale > 0, scale, level)
    return np.asarray(np.where(scale > 0, scale, 1.0))


def applies(method: Method, ctx: Context, intermittent: Array) -> Array:
    """Which series a method is a candidate for."""
    rows = len(intermittent)
    if method.name in SEASONAL and not ctx.season:
        return np.zeros(rows, dtype=bool)
    if method.name in INTERMITTENT:
        return np.asarray(intermittent, dtype=bool)
    return np.ones(rows, dtype=bool)


def run_backtest(y: Array, horizon: int, season: int) -> Backtest:
    """Backtest every candidate on every series and pick, per series, the winner."""
    ctx = context(y.shape[1], season)
    origins, steps = fold_origins(y.shape[1], horizon, ctx)
    intermittent = (y == 0).mean(axis=1) >= INTERMITTENT_ZEROS
    if not origins:
        return _untested(y, horizon, intermittent)
    methods = all_methods()
    actual = np.stack([y[:, o : o + steps] for o in origins], axis=1)
    scale = scale_of(y, ctx)
    scores = np.full((y.shape[0], len(methods)), np.inf)
    errors = []
    for i, method in enumerate(methods):
        ok = applies(method, ctx, intermittent)
        if not ok.any():
            errors.append(np.zeros_like(actual))
            continue
        error = actual - method.forecast(y, origins, steps, ctx)
        errors.append(error)
        scores[ok, i] = np.sqrt((error[ok] ** 2).mean(axis=(1, 2))) / scale[ok]
    pick = _simplest_good(scores)
    rows = np.arange(y.shape[0])
    final = np.zeros((y.shape[0], horizon))
    for i, method in enumerate(methods):
        chosen = pick == i
        if chosen.any():
            final[chosen] = method.forecast(y[chosen], [y.shape[1]], horizon, ctx)[:, 0, :]
    names = tuple(m.name for m in methods)
    return Backtest(
        methods=names,
        labels={m.name: m.label for m in methods},
        chosen=[names[i] for i in pick],
        rmsse=scores[rows, pick],
        candidates=scores,
        errors=np.stack(errors, axis=0)[pick, rows],
        forecast=np.maximum(final, 0.0),
        intermittent=intermittent,
        folds=len(origins),
        steps=steps,
    )


def _simplest_good(scores: Array) -> Array:
    """Index of the first (simplest) method within ``TOLERANCE`` of the best, per row."""
    best = scores.min(axis=1, keepdims=True)
    good = scores <= best * (1 + TOLERANCE) + 1e-12
    return np.asarray(np.argmax(good, axis=1))


def _untested(y: Array, horizon: int, intermittent: Array) -> Backtest:
    """Too little history to backtest: the mean of all of it, the humblest forecast."""
    average = MovingAverage(window=y.shape[1])
    ctx = Context(0, 1)
    forecast = average.forecast(y, [y.shape[1]], horizon, ctx)[:, 0, :]
    rows = y.shape[0]
    methods = tuple(m.name for m in all_methods())
    return Backtest(
        methods=methods,
        labels={m.name: m.label for m in all_methods()},
        chosen=[average.name] * rows,
        rmsse=np.full(rows, math.nan),
        candidates=np.full((rows, len(methods)), math.nan),
        errors=np.zeros((rows, 0, 0)),
        forecast=forecast,
        intermittent=intermittent,
        folds=0,
        steps=0,
    )
