"""Demand sensing as plain data: what was ordered in, what is forecast out.

A *series* is anything whose demand is counted per day: a product (orders), an option
(orders that chose it), a numeric option (the sum of its values) or a material (quantity
consumed by the configured BOMs). The engine does not care which; keys are plain strings.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from openfab.catalog.results import JsonMixin

Bucket = Literal["day", "week"]
BUCKET_DAYS: Mapping[Bucket, int] = {"day": 1, "week": 7}


@dataclass(frozen=True)
class DemandObservation:
    """``quantity`` of ``series`` demanded on ``day`` (several per day add up)."""

    series: str
    day: date
    quantity: float


@dataclass(frozen=True)
class SeriesForecast(JsonMixin):
    """The forecast of one series, how it was chosen and how sure it is.

    ``quantities[k]`` is the demand of the bucket starting on ``buckets[k]``. ``rmsse`` is
    the chosen method's backtest RMSE scaled by the in-sample RMSE of the seasonal naive
    method (below 1: better than repeating last week); ``candidates`` holds every
    applicable method's RMSSE; ``rmse`` is the backtest RMSE per bucket.
    ``lead_time_rmse`` is the backtest RMSE of demand summed over ``lead_time_days``,
    and ``safety_stock`` = z × that, for the plan's service level.
    """

    series: str
    method: str
    rmsse: float
    rmse: float
    lead_time_days: int
    lead_time_rmse: float
    safety_stock: float
    buckets: tuple[date, ...]
    quantities: tuple[float, ...]
    reason: str
    candidates: Mapping[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        """Demand forecast over the whole horizon."""
        return math.fsum(self.quantities)


@dataclass(frozen=True)
class DemandPlan(JsonMixin):
    """Forecasts for every series of the history, from the day after ``as_of`` on.

    ``to_dict()`` gives JSON-ready data (dates stay ``date``; FastAPI encodes them).
    """

    as_of: date
    horizon_days: int
    bucket: Bucket
    service_level: float
    z: float
    forecasts: Mapping[str, SeriesForecast]

    @property
    def bucket_days(self) -> int:
        return BUCKET_DAYS[self.bucket]

    @property
    def first_day(self) -> date:
        return self.as_of + timedelta(days=1)

    def __getitem__(self, series: str) -> SeriesForecast:
        return self.forecasts[series]

    def __contains__(self, series: object) -> bool:
        return series in self.forecasts
