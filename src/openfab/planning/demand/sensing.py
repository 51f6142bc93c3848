"""The demand-sensing engine: order history in, a forecast per series with its reason out.

>>> plan = DemandSensing().forecast(history, horizon_days=42, service_level=0.95)  # doctest: +SKIP
>>> plan["fridge/inverter"].method, plan["fridge/inverter"].reason                # doctest: +SKIP

Pure: no database, no clock (``as_of`` defaults to the last day of the history).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from statistics import NormalDist

import numpy as np

from openfab.errors import InvalidInput, Problem, ProblemCollector
from openfab.planning.demand.backtest import Backtest, run_backtest
from openfab.planning.demand.methods import Array
from openfab.planning.demand.model import (
    BUCKET_DAYS,
    Bucket,
    DemandObservation,
    DemandPlan,
    SeriesForecast,
)

WEEKDAYS = 7
MAX_LISTED = 20
"""Bad observations named one by one before the rest are summed up in one problem."""


class DemandSensing:
    """Forecasts demand per series, choosing the method of each by rolling-origin backtest.

    ``bucket``: forecast per day (weekday seasonality) or per week (no seasonality).
    """

    def __init__(self, *, bucket: Bucket = "day") -> None:
        if bucket not in BUCKET_DAYS:
            problem = Problem("bucket", f"must be 'day' or 'week', got {bucket!r}")
            raise InvalidInput("unknown forecast bucket", [problem])
        self.bucket: Bucket = bucket

    def forecast(
        self,
        history: Sequence[DemandObservation],
        horizon_days: int,
        service_level: float,
        *,
        lead_times: Mapping[str, int] | None = None,
        as_of: date | None = None,
    ) -> DemandPlan:
        """Forecast every series of ``history`` for ``horizon_days`` after ``as_of``.

        ``lead_times`` (days, per series; default the horizon) sets the window whose
        forecast error the safety stock covers at ``service_level`` (0 < level < 1).
        Raises ``InvalidInput`` naming every problem of the input.
        """
        lead_times = dict(lead_times or {})
        _check(history, horizon_days, service_level, lead_times, as_of, self.bucket)
        end = as_of or max(o.day for o in history)
        series, y = self._matrix(history, end)
        size = BUCKET_DAYS[self.bucket]
        horizon = math.ceil(horizon_days / size)
        test = run_backtest(y, horizon, WEEKDAYS if self.bucket == "day" else 0)
        lead_days = np.array([lead_times.get(s, horizon_days) for s in series], dtype=float)
        sigma = test.lead_time_rmse(np.ceil(lead_days / size), y)
        z = NormalDist().inv_cdf(service_level)
        days = tuple(end + timedelta(days=1 + k * size) for k in range(horizon))
        rmse = test.rmse()
        forecasts = {
            name: self._series(test, i, name, days, (int(lead_days[i]), rmse[i], sigma[i]), z)
            for i, name in enumerate(series)
        }
        return DemandPlan(end, horizon_days, self.bucket, service_level, z, forecasts)

    def _matrix(self, history: Sequence[DemandObservation], end: date) -> tuple[list[str], Array]:
        """Series × buckets of summed demand; the last bucket ends on ``end``."""
        size = BUCKET_DAYS[self.bucket]
        first = min(o.day for o in history)
        buckets = ((end - first).days + 1) // size
        start = end - timedelta(days=buckets * size - 1)
        series = sorted({o.series for o in history})
        row = {name: i for i, name in enumerate(series)}
        y = np.zeros((len(series), buckets))
        for o in history:
            if o.day >= start:
                y[row[o.series], (o.day - start).days // size] += o.quantity
        return series, y

    def _series(
        self,
        test: Backtest,
        i: int,
        name: str,
        days: tuple[date, ...],
        errors: tuple[int, float, float],
        z: float,
    ) -> SeriesForecast:
        """``errors``: lead time in days, backtest RMSE per bucket, RMSE over the lead time."""
        lead_days, rmse, sigma = int(errors[0]), float(errors[1]), float(errors[2])
        safety = max(z, 0.0) * sigma
        candidates = {
            m: float(test.candidates[i, k])
            for k, m in enumerate(test.methods)
            if math.isfinite(test.candidates[i, k])
        }
        return SeriesForecast(
            series=name,
            method=test.chosen[i],
            rmsse=float(test.rmsse[i]),
            rmse=rmse,
            lead_time_days=lead_days,
            lead_time_rmse=sigma,
            safety_stock=safety,
            buckets=days,
            quantities=tuple(float(q) for q in test.forecast[i]),
            reason=self._reason(test, i, candidates, lead_days, sigma, z, safety),
            candidates=candidates,
        )

    def _reason(
        self,
        test: Backtest,
        i: int,
        candidates: Mapping[str, float],
        lead_days: int,
        sigma: float,
        z: float,
        safety: float,
    ) -> str:
        method = test.chosen[i]
        label = test.labels.get(method, method)
        label = label[:1].upper() + label[1:]
        stock = (
            f"Safety stock {safety:.1f} = z {max(z, 0.0):.2f} × RMSE {sigma:.1f} "
            f"of demand over the {lead_days}-day lead time."
        )
        if test.folds == 0:
            return f"{label} of all history: too short to backtest. {stock}"
        others = ", ".join(
            f"{test.labels[m]} {v:.2f}" for m, v in candidates.items() if m != method
        )
        kind = " Intermittent series (many zero buckets)." if test.intermittent[i] else ""
        unit = f"{self.bucket}s" if test.steps != 1 else self.bucket
        return (
            f"{label}: lowest backtest error over {test.folds} origins × "
            f"{test.steps} {unit} (RMSSE {test.rmsse[i]:.2f}; {others}).{kind} {stock}"
        )


def _check(
    history: Sequence[DemandObservation],
    horizon_days: int,
    service_level: float,
    lead_times: Mapping[str, int],
    as_of: date | None,
    bucket: Bucket,
) -> None:
    """Every problem of the input at once: a planner fixes them in one go."""
    errors = ProblemCollector()
    if not isinstance(horizon_days, int) or horizon_days <= 0:
        errors.add("horizon_days", f"must be a whole number of days > 0, got {horizon_days!r}")
    if not (isinstance(service_level, float | int) and 0 < service_level < 1):
        errors.add("service_level", f"must lie strictly between 0 and 1, got {service_level!r}")
    for series, days in lead_times.items():
        if not isinstance(days, int) or days < 0:
            errors.add(f"lead_times[{series}]", f"must be whole days >= 0, got {days!r}")
    if not history:
        errors.add("history", "is empty: there is nothing to forecast from", "empty")
    else:
        _check_observations(history, as_of, errors)
        _check_span(history, as_of, bucket, errors)
    errors.raise_if_any("cannot forecast demand from this input")


def _check_observations(
    history: Sequence[DemandObservation], as_of: date | None, errors: ProblemCollector
) -> None:
    bad = [i for i, o in enumerate(history) if not _fine(o, as_of)]
    for index in bad[:MAX_LISTED]:
        for message in _observation_problems(history[index], as_of):
            errors.add(f"history[{index}]", message)
    if len(bad) > MAX_LISTED:
        errors.add("history", f"… and {len(bad) - MAX_LISTED} more bad observations")


def _fine(o: object, as_of: date | None) -> bool:
    """The fast check every observation passes; the slow one below says what is wrong."""
    try:
        return (
            type(o) is DemandObservation
            and bool(o.series)
            and type(o.day) is date
            and (as_of is None or o.day <= as_of)
            and 0 <= o.quantity < math.inf
        )
    except TypeError:
        return False


def _observation_problems(o: object, as_of: date | None) -> list[str]:
    if not isinstance(o, DemandObservation):
        return [f"expected a DemandObservation, got {type(o).__name__}"]
    found = []
    if not isinstance(o.series, str) or not o.series:
        found.append("series must be a non-empty name")
    if type(o.day) is not date:
        found.append(f"day must be a date (not a time), got {o.day!r}")
    elif as_of is not None and o.day > as_of:
        found.append(f"day {o.day} lies after as_of {as_of}")
    quantity = o.quantity
    if not isinstance(quantity, int | float) or not math.isfinite(quantity):
        found.append(f"quantity must be a finite number, got {quantity!r}")
    elif quantity < 0:
        found.append(f"quantity of {o.series} on {o.day} is negative ({quantity:g})")
    return found


def _check_span(
    history: Sequence[DemandObservation],
    as_of: date | None,
    bucket: Bucket,
    errors: ProblemCollector,
) -> None:
    if errors.problems:
        return  # days may not be dates
    days = [o.day for o in history]
    span = ((as_of or max(days)) - min(days)).days + 1
    if span < BUCKET_DAYS[bucket]:
        errors.add("history", f"spans {span} days, less than one {bucket}", "too_short")
