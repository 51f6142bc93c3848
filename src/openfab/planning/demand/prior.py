"""The planner's prior: expected use per material per day, blended with order history.

Before the plant has order history, demand sensing has nothing to forecast from and MRP would
buy only for open orders. The plant planner states what the plant expects to use of each
material per day; forecasting starts from that and lets history take over as it accumulates
(a credibility, or Bayesian, weight — the prior counts as ``credibility_days`` of history)::

    w        = n / (n + k)               n: days of order history, k: credibility_days
    forecast = w × history + (1 − w) × prior

Safety stock assumes the prior's variability — a coefficient of variation ``cv`` of daily use,
independent days: z × cv × prior × √lead time — until ``min_history_days`` of history exist
(too short to backtest the history's own error); from then on it blends the same way.

Materials without a prior are forecast from history alone. Pure: no database, no clock.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from openfab.errors import ProblemCollector
from openfab.planning.mrp.model import ForecastDemand

CREDIBILITY_DAYS = 7.0
"""The prior weighs as much as this many days of history."""
MIN_HISTORY_DAYS = 14
"""Days of history before its forecast error counts for safety stock (two weeks: enough to
backtest against weekday seasonality)."""
PRIOR_CV = 0.5
"""Assumed coefficient of variation of a material's daily use under the prior."""
QUANTUM = Decimal("0.001")


def history_weight(days: float, credibility_days: float = CREDIBILITY_DAYS) -> float:
    """How much ``days`` of history count against a prior worth ``credibility_days``:
    0 without history, rising towards 1."""
    if days <= 0:
        return 0.0
    if credibility_days <= 0:
        return 1.0
    return days / (days + credibility_days)


def blend(prior: float, history: float, days: float, k: float = CREDIBILITY_DAYS) -> float:
    """The credibility-weighted forecast: between ``prior`` and ``history``."""
    w = history_weight(days, k)
    return w * history + (1.0 - w) * prior


@dataclass(frozen=True)
class DemandPrior:
    """Expected use per day of each material (in its own unit), and how far to trust it."""

    per_day: Mapping[str, float] = field(default_factory=dict)
    credibility_days: float = CREDIBILITY_DAYS
    cv: float = PRIOR_CV
    min_history_days: int = MIN_HISTORY_DAYS

    def __post_init__(self) -> None:
        errors = ProblemCollector()
        for material, quantity in self.per_day.items():
            if not material:
                errors.add("per_day", "material must not be empty")
            if not math.isfinite(quantity) or quantity < 0:
                errors.add(f"per_day[{material}]", f"must be >= 0, got {quantity!r}")
        if not math.isfinite(self.credibility_days) or self.credibility_days < 0:
            errors.add("credibility_days", f"must be >= 0, got {self.credibility_days!r}")
        if not math.isfinite(self.cv) or self.cv < 0:
            errors.add("cv", f"must be >= 0, got {self.cv!r}")
        if self.min_history_days < 0:
            errors.add("min_history_days", f"must be >= 0, got {self.min_history_days!r}")
        errors.raise_if_any("invalid demand prior")

    def __bool__(self) -> bool:
        return any(q > 0 for q in self.per_day.values())

    def scaled(self, factors: Mapping[str, float]) -> DemandPrior:
        """The prior with each material's use multiplied by its factor (the plant's measured
        units built per unit ordered, scrap remade); materials without a factor as they were."""
        per_day = {m: q * factors.get(m, 1.0) for m, q in self.per_day.items()}
        return DemandPrior(per_day, self.credibility_days, self.cv, self.min_history_days)

    def weight(self, days: float) -> float:
        """The history's weight in the forecast after ``days`` of history."""
        return history_weight(days, self.credibility_days)

    def safety_weight(self, days: float) -> float:
        """The history's weight in safety stock: none before ``min_history_days``."""
        return 0.0 if days < self.min_history_days else self.weight(days)

    def safety_stock(self, material: str, lead_time_days: int, z: float) -> float:
        """z × cv × expected use × √lead time (at least a day)."""
        sigma = self.cv * self.per_day.get(material, 0.0) * math.sqrt(max(lead_time_days, 1))
        return max(z, 0.0) * sigma

    def forecasts(
        self,
        history: Iterable[ForecastDemand],
        *,
        days_of_history: float,
        first_due: date,
        horizon_days: int,
    ) -> list[ForecastDemand]:
        """History's daily forecast demand (due ``first_due`` … + ``horizon_days``) blended
        with the prior for every material the prior names; other materials as they were."""
        w = self.weight(days_of_history)
        by_day: dict[tuple[str, date], float] = defaultdict(float)
        kept: list[ForecastDemand] = []
        for demand in history:
            if demand.material in self.per_day:
                by_day[demand.material, _day(demand.due)] += float(demand.quantity)
            else:
                kept.append(demand)
        blended = []
        for material, expected in sorted(self.per_day.items()):
            for k in range(horizon_days):
                due = first_due + timedelta(days=k)
                quantity = w * by_day.get((material, due), 0.0) + (1.0 - w) * expected
                amount = Decimal(quantity).quantize(QUANTUM)
                if amount > 0:
                    blended.append(ForecastDemand(material, due, amount))
        return sorted(kept + blended, key=lambda d: (d.material, _day(d.due)))

    def safety_stocks(
        self,
        history: Mapping[str, Decimal],
        *,
        days_of_history: float,
        lead_times: Mapping[str, int],
        z: float,
    ) -> dict[str, Decimal]:
        """History's safety stock per material blended with the prior's (see module doc)."""
        w = self.safety_weight(days_of_history)
        stocks = dict(history)
        for material in self.per_day:
            own = float(history.get(material, Decimal(0)))
            prior = self.safety_stock(material, lead_times.get(material, 1), z)
            stocks[material] = Decimal(w * own + (1.0 - w) * prior).quantize(QUANTUM)
        return dict(sorted(stocks.items()))


def _day(due: date | datetime) -> date:
    """A due date or time as a calendar day."""
    return due.date() if isinstance(due, datetime) else due
