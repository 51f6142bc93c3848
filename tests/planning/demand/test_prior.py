"""The planner's prior blended with order history: with no history the prior is the
forecast; as days of history accumulate, the history's weight grows."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openfab.errors import InvalidInput
from openfab.planning.demand.prior import (
    CREDIBILITY_DAYS,
    DemandPrior,
    blend,
    history_weight,
)
from openfab.planning.mrp.model import ForecastDemand

DAY = date(2026, 3, 2)
amounts = st.floats(0, 1e6, allow_nan=False)
days = st.integers(0, 3650)


@given(amounts, amounts, days)
def test_the_forecast_lies_between_prior_and_history(prior: float, mean: float, n: int) -> None:
    low, high = sorted((prior, mean))
    value = blend(prior, mean, n)
    assert low - 1e-6 * max(1.0, high) <= value <= high + 1e-6 * max(1.0, high)


@given(days, days, st.floats(0.5, 60))
def test_the_history_weight_rises_with_days(a: int, b: int, k: float) -> None:
    fewer, more = sorted((a, b))
    assert 0 <= history_weight(fewer, k) <= history_weight(more, k) < 1
    if more > fewer:
        assert history_weight(fewer, k) < history_weight(more, k)


def test_no_history_is_the_prior_and_k_days_weigh_half() -> None:
    assert blend(12.0, 3.0, 0) == 12.0
    assert history_weight(CREDIBILITY_DAYS) == pytest.approx(0.5)
    assert blend(12.0, 4.0, 10_000) == pytest.approx(4.0, abs=0.01)


def test_without_history_the_prior_is_the_forecast_every_day() -> None:
    prior = DemandPrior({"steel": 2.5})
    demand = prior.forecasts([], days_of_history=0, first_due=DAY, horizon_days=7)
    assert [d.due for d in demand] == [DAY + timedelta(days=k) for k in range(7)]
    assert {d.quantity for d in demand} == {Decimal("2.500")}


def test_history_is_blended_for_prior_materials_and_kept_for_the_rest() -> None:
    history = [
        ForecastDemand("steel", DAY, Decimal(10)),
        ForecastDemand("foam", DAY, Decimal(4)),
    ]
    prior = DemandPrior({"steel": 2.0}, credibility_days=7)
    demand = prior.forecasts(history, days_of_history=7, first_due=DAY, horizon_days=2)
    steel = {d.due: d.quantity for d in demand if d.material == "steel"}
    assert steel == {DAY: Decimal("6.000"), DAY + timedelta(days=1): Decimal("1.000")}
    assert [d for d in demand if d.material == "foam"] == [history[1]]


def test_safety_stock_uses_the_prior_until_enough_history() -> None:
    prior = DemandPrior({"steel": 4.0}, cv=0.5, min_history_days=14)
    z, lead = 1.645, 9
    own = prior.safety_stock("steel", lead, z)
    assert own == pytest.approx(z * 0.5 * 4.0 * 3)
    history = {"steel": Decimal(100), "foam": Decimal(7)}
    early = prior.safety_stocks(history, days_of_history=13, lead_times={"steel": lead}, z=z)
    assert float(early["steel"]) == pytest.approx(own, abs=1e-3)
    assert early["foam"] == Decimal(7)
    later = prior.safety_stocks(history, days_of_history=28, lead_times={"steel": lead}, z=z)
    w = 28 / (28 + prior.credibility_days)
    assert float(later["steel"]) == pytest.approx(w * 100 + (1 - w) * own, abs=1e-3)


@given(amounts, st.integers(0, 365), st.integers(0, 365), st.integers(0, 60))
def test_safety_stock_moves_from_prior_to_history(
    history: float, a: int, b: int, lead: int
) -> None:
    prior = DemandPrior({"m": 3.0})
    own = prior.safety_stock("m", lead, 1.645)
    stocks = [
        float(
            prior.safety_stocks(
                {"m": Decimal(history)}, days_of_history=n, lead_times={"m": lead}, z=1.645
            )["m"]
        )
        for n in sorted((a, b))
    ]
    for value in stocks:
        assert min(own, history) - 1e-3 <= value <= max(own, history) + 1e-3
    assert abs(stocks[1] - history) <= abs(stocks[0] - history) + 1e-3


@pytest.mark.parametrize(
    "bad",
    [{"per_day": {"m": -1.0}}, {"per_day": {"m": float("nan")}}, {"cv": -0.1},
     {"credibility_days": -1.0}],
)  # fmt: skip
def test_a_bad_prior_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        DemandPrior(**bad)  # type: ignore[arg-type]
