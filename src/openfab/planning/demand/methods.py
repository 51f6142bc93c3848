"""Forecasting methods, vectorized over many series at once.

Every method answers one question: given the matrix ``y`` (series × buckets) and a set of
*origins*, what does it forecast for the ``horizon`` buckets after each origin, using only
the buckets before it? One pass over time serves every origin, so a rolling-origin backtest
of thousands of series costs about as much as one fit.

Smoothing methods pick their parameters per series and per origin from a small grid, by the
one-step-ahead squared error up to that origin (never looking past it). Forecasts are
clipped at zero: demand is never negative.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

DAMPING = 0.95
"""Trend damping of Holt and Holt-Winters: a trend fades instead of running away."""


@dataclass(frozen=True)
class Context:
    """What every method needs besides the data: the season length and the warm-up length.

    ``season`` is 0 when the buckets have no usable seasonality (weekly buckets).
    ``warmup`` buckets initialise the smoothing states; errors count only after them.
    """

    season: int
    warmup: int


class Method(Protocol):
    """A forecasting method: ``forecast`` returns an array (series, origins, horizon)."""

    @property
    def name(self) -> str: ...  # pragma: no cover

    @property
    def label(self) -> str: ...  # pragma: no cover

    def forecast(
        self, y: Array, origins: Sequence[int], horizon: int, ctx: Context
    ) -> Array: ...  # pragma: no cover


# --- simple methods ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Naive:
    """Tomorrow equals today: the benchmark every other method must beat."""

    name: str = "naive"
    label: str = "naive last value"

    def forecast(self, y: Array, origins: Sequence[int], horizon: int, ctx: Context) -> Array:
        last = np.stack([y[:, o - 1] for o in origins], axis=1)
        return np.repeat(last[:, :, None], horizon, axis=2)


@dataclass(frozen=True)
class SeasonalNaive:
    """Each bucket repeats the same bucket one season earlier (last week's Monday…)."""

    name: str = "seasonal_naive"
    label: str = "seasonal naive (same day last week)"

    def forecast(self, y: Array, origins: Sequence[int], horizon: int, ctx: Context) -> Array:
        m = ctx.season
        steps = np.arange(horizon) % m
        return np.stack([y[:, o - m + steps] for o in origins], axis=1)


@dataclass(frozen=True)
class MovingAverage:
    """The mean of the last ``window`` buckets (four seasons, or four buckets by default):
    steady, and blind to trend and season."""

    window: int | None = None
    name: str = "moving_average"
    label: str = "moving average"

    def forecast(self, y: Array, origins: Sequence[int], horizon: int, ctx: Context) -> Array:
        window = self.window or 4 * (ctx.season or 1)
        means = np.stack([y[:, max(0, o - window) : o].mean(axis=1) for o in origins], 1)
        return np.repeat(means[:, :, None], horizon, axis=2)


# --- smoothing methods ------------------------------------------------------------------------


class Smoothing:
    """A recursive method over a parameter grid; subclasses define state, step and forecast.

    The states are arrays (series, grid) plus trailing axes; ``_run`` advances them through
    the buckets, recording a copy (with the squared one-step errors so far) at each origin.
    """

    name = "smoothing"
    label = "smoothing"
    grid: tuple[tuple[float, ...], ...] = ()

    def init(self, y: Array, ctx: Context) -> list[Array]:
        raise NotImplementedError

    def step(self, state: list[Array], y_t: Array, t: int, ctx: Context) -> Array:
        """Advance ``state`` in place by bucket ``t``; return the one-step forecast made."""
        raise NotImplementedError

    def ahead(self, state: list[Array], origin: int, horizon: int, ctx: Context) -> Array:
        """Forecasts (series, grid, horizon) from the state after ``origin`` buckets."""
        raise NotImplementedError

    def params(self) -> Array:
        """The grid as an array (grid, parameters), broadcast against (series, grid)."""
        return np.array(self.grid, dtype=np.float64)

    def forecast(self, y: Array, origins: Sequence[int], horizon: int, ctx: Context) -> Array:
        wanted = sorted(set(origins))
        recorded: dict[int, tuple[list[Array], Array]] = {}
        state = self.init(y, ctx)
        sse = np.zeros((y.shape[0], len(self.grid)))
        for t in range(ctx.warmup, wanted[-1] + 1):
            if t in wanted or t == wanted[-1]:
                recorded[t] = ([s.copy() for s in state], sse.copy())
            if t == wanted[-1]:
                break
            y_t = y[:, t][:, None]
            predicted = self.step(state, y_t, t, ctx)
            sse += (y_t - predicted) ** 2
        out = np.empty((y.shape[0], len(origins), horizon))
        rows = np.arange(y.shape[0])
        for i, origin in enumerate(origins):
            saved, errors = recorded[origin]
            best = _first_best(errors)
            out[:, i, :] = self.ahead(saved, origin, horizon, ctx)[rows, best, :]
        return np.maximum(out, 0.0)

    def _level0(self, y: Array, ctx: Context) -> Array:
        first = y[:, : ctx.warmup].mean(axis=1)
        return np.repeat(first[:, None], len(self.grid), axis=1)


class SimpleExponentialSmoothing(Smoothing):
    """A level that follows demand, faster for larger alpha."""

    name = "ses"
    label = "simple exponential smoothing"
    grid = tuple((a,) for a in (0.05, 0.1, 0.2, 0.3, 0.5, 0.8))

    def init(self, y: Array, ctx: Context) -> list[Array]:
        return [self._level0(y, ctx)]

    def step(self, state: list[Array], y_t: Array, t: int, ctx: Context) -> Array:
        (level,) = state
        alpha = self.params()[:, 0]
        predicted = level.copy()
        level += alpha * (y_t - level)
        return predicted

    def ahead(self, state: list[Array], origin: int, horizon: int, ctx: Context) -> Array:
        return np.repeat(state[0][:, :, None], horizon, axis=2)


def _damped_sums(horizon: int) -> Array:
    """phi + phi² + … + phi^h for h = 1..horizon."""
    return np.cumsum(DAMPING ** np.arange(1, horizon + 1))


class Holt(Smoothing):
    """Level plus a damped trend: follows growth or decline without extrapolating forever."""

    name = "holt"
    label = "Holt's damped-trend smoothing"
    grid = tuple(itertools.product((0.1, 0.3, 0.6), (0.02, 0.1)))

    def init(self, y: Array, ctx: Context) -> list[Array]:
        return [self._level0(y, ctx), np.zeros((y.shape[0], len(self.grid)))]

    def step(self, state: list[Array], y_t: Array, t: int, ctx: Context) -> Array:
        level, trend = state
        alpha, beta = self.params().T
        predicted = level + DAMPING * trend
        new_level = alpha * y_t + (1 - alpha) * predicted
        trend[:] = beta * (new_level - level) + (1 - beta) * DAMPING * trend
        level[:] = new_level
        return predicted

    def ahead(self, state: list[Array], origin: int, horizon: int, ctx: Context) -> Array:
        level, trend = state
        return level[:, :, None] + trend[:, :, None] * _damped_sums(horizon)


class HoltWinters(Smoothing):
    """Level, damped trend and additive seasonality (the weekday pattern of orders)."""

    name = "holt_winters"
    label = "Holt-Winters additive seasonal smoothing"
    grid = tuple(itertools.product((0.05, 0.2, 0.5), (0.0, 0.05), (0.05, 0.2)))

    def init(self, y: Array, ctx: Context) -> list[Array]:
        m, g = ctx.season, len(self.grid)
        level = self._level0(y, ctx)
        first = y[:, :m] - y[:, :m].mean(axis=1, keepdims=True)
        season = np.repeat(first[:, None, :], g, axis=1)
        return [level, np.zeros_like(level), season]

    def step(self, state: list[Array], y_t: Array, t: int, ctx: Context) -> Array:
        level, trend, season = state
        alpha, beta, gamma = self.params().T
        s_t = season[:, :, t % ctx.season]
        predicted = level + DAMPING * trend + s_t
        new_level = alpha * (y_t - s_t) + (1 - alpha) * (level + DAMPING * trend)
        trend[:] = beta * (new_level - level) + (1 - beta) * DAMPING * trend
        season[:, :, t % ctx.season] = gamma * (y_t - new_level) + (1 - gamma) * s_t
        level[:] = new_level
        return predicted

    def ahead(self, state: list[Array], origin: int, horizon: int, ctx: Context) -> Array:
        level, trend, season = state
        positions = (origin + np.arange(horizon)) % ctx.season
        base = level[:, :, None] + trend[:, :, None] * _damped_sums(horizon)
        return base + season[:, :, positions]


class Croston(Smoothing):
    """Intermittent demand: smooth the size of non-zero demands and the gaps between them."""

    name = "croston"
    label = "Croston's method for intermittent demand"
    grid = tuple((a,) for a in (0.05, 0.1, 0.2, 0.3))

    def init(self, y: Array, ctx: Context) -> list[Array]:
        g = len(self.grid)
        head = y[:, : ctx.warmup]
        hits = (head > 0).sum(axis=1)
        size = np.where(hits > 0, head.sum(axis=1) / np.maximum(hits, 1), 0.0)
        gap = ctx.warmup / np.maximum(hits, 1)
        since = np.ones((y.shape[0], g))
        return [np.repeat(size[:, None], g, 1), np.repeat(gap[:, None], g, 1), since]

    def step(self, state: list[Array], y_t: Array, t: int, ctx: Context) -> Array:
        size, gap, since = state
        alpha = self.params()[:, 0]
        predicted = size / gap
        hit = np.broadcast_to(y_t > 0, size.shape)
        size[:] = np.where(hit, size + alpha * (y_t - size), size)
        gap[:] = np.where(hit, gap + alpha * (since - gap), gap)
        since[:] = np.where(hit, 1.0, since + 1.0)
        return predicted

    def ahead(self, state: list[Array], origin: int, horizon: int, ctx: Context) -> Array:
        size, gap, _ = state
        return np.repeat((size / gap)[:, :, None], horizon, axis=2)


class Tsb(Smoothing):
    """Teunter-Syntetos-Babai: smooth the *probability* of demand every bucket, so a series
    that stops selling fades out (Croston would keep forecasting its old rate)."""

    name = "tsb"
    label = "TSB method for intermittent demand"
    grid = tuple(itertools.product((0.1, 0.3), (0.05, 0.1, 0.2)))

    def init(self, y: Array, ctx: Context) -> list[Array]:
        g = len(self.grid)
        head = y[:, : ctx.warmup]
        hits = (head > 0).sum(axis=1)
        size = np.where(hits > 0, head.sum(axis=1) / np.maximum(hits, 1), 0.0)
        chance = hits / ctx.warmup
        return [np.repeat(size[:, None], g, 1), np.repeat(chance[:, None], g, 1)]

    def step(self, state: list[Array], y_t: Array, t: int, ctx: Context) -> Array:
        size, chance = state
        alpha, beta = self.params().T
        predicted = size * chance
        hit = np.broadcast_to(y_t > 0, size.shape)
        size[:] = np.where(hit, size + alpha * (y_t - size), size)
        chance += beta * (hit - chance)
        return predicted

    def ahead(self, state: list[Array], origin: int, horizon: int, ctx: Context) -> Array:
        size, chance = state
        return np.repeat((size * chance)[:, :, None], horizon, axis=2)


SEASONAL = frozenset({"seasonal_naive", "holt_winters"})
INTERMITTENT = frozenset({"croston", "tsb"})


def all_methods() -> tuple[Method, ...]:
    """Every candidate, simplest first: on a tie the simpler method wins."""
    return (
        Naive(),
        SeasonalNaive(),
        MovingAverage(),
        SimpleExponentialSmoothing(),
        Holt(),
        HoltWinters(),
        Croston(),
        Tsb(),
    )


def _first_best(errors: Array) -> npt.NDArray[np.intp]:
    """Per series, the first grid point whose error is the least up to rounding: equal errors
    (a flat or sparse history) pick the same point whatever the unit of the series."""
    least = errors.min(axis=1, keepdims=True)
    best: npt.NDArray[np.intp] = np.argmax(errors <= least * (1 + 1e-9), axis=1)
    return best
