"""The promise date grows with the queue at the bottleneck and with material lead time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openfab.errors import InvalidInput
from openfab.orders.promise import (
    SHIPPING_DAYS,
    CapacityView,
    PromisePolicy,
    estimate_promise,
    quote_promise,
)

NOW = datetime(2026, 1, 5, 8, tzinfo=UTC)
CAPACITY = CapacityView(minutes_per_day={"press": 960.0, "assembly": 480.0}, open_load={})


def test_an_empty_plant_promises_material_plus_one_day_plus_shipping() -> None:
    promise = estimate_promise(
        now=NOW, load={"press": 30, "assembly": 60}, capacity=CAPACITY, material_days=3
    )
    assert promise.promise_date == NOW + timedelta(days=3 + 1 + SHIPPING_DAYS)
    assert promise.bottleneck == "assembly"


def test_the_bottleneck_queue_sets_the_production_days() -> None:
    busy = CapacityView(CAPACITY.minutes_per_day, {"assembly": 480 * 4})
    promise = estimate_promise(now=NOW, load={"assembly": 60}, capacity=busy, material_days=0)
    assert promise.production_days == 5
    assert promise.bottleneck == "assembly"


@given(
    st.floats(0, 50_000),
    st.floats(0, 50_000),
    st.floats(1, 2_000),
    st.integers(0, 30),
)
def test_more_open_load_never_promises_earlier(
    load_a: float, load_b: float, minutes: float, material: int
) -> None:
    low, high = sorted((load_a, load_b))
    dates = [
        estimate_promise(
            now=NOW,
            load={"assembly": minutes},
            capacity=CapacityView(CAPACITY.minutes_per_day, {"assembly": open_}),
            material_days=material,
        ).promise_date
        for open_ in (low, high)
    ]
    assert dates[0] <= dates[1]
    assert dates[0] >= NOW + timedelta(days=material + 1 + SHIPPING_DAYS)


# -- express: the earliest the plant can do with priority --------------------------------------


def test_an_express_order_queues_only_behind_express_load() -> None:
    busy = CapacityView(
        CAPACITY.minutes_per_day, {"assembly": 480 * 10}, express_load={"assembly": 480}
    )
    standard = estimate_promise(now=NOW, load={"assembly": 60}, capacity=busy, material_days=2)
    express = estimate_promise(
        now=NOW, load={"assembly": 60}, capacity=busy, material_days=2, express=True
    )
    assert standard.production_days == 11
    assert express.production_days == 2
    assert express.promise_date == NOW + timedelta(days=2 + 2 + SHIPPING_DAYS)


@given(
    st.floats(0, 50_000),
    st.floats(0, 50_000),
    st.floats(1, 2_000),
    st.integers(0, 30),
)
def test_express_is_never_promised_later_than_standard(
    open_: float, express_part: float, minutes: float, material: int
) -> None:
    capacity = CapacityView(
        CAPACITY.minutes_per_day, {"assembly": open_}, express_load={"assembly": express_part}
    )
    dates = [
        estimate_promise(
            now=NOW,
            load={"assembly": minutes},
            capacity=capacity,
            material_days=material,
            express=express,
        ).promise_date
        for express in (False, True)
    ]
    assert dates[1] <= dates[0]
    assert dates[1] >= NOW + timedelta(days=material + 1 + SHIPPING_DAYS)


# -- fixed quoted lead times (the non-AI baseline) ---------------------------------------------


def test_a_fixed_policy_quotes_its_lead_time_plus_shipping_whatever_the_load() -> None:
    policy = PromisePolicy.fixed(5, 2)
    busy = CapacityView(CAPACITY.minutes_per_day, {"assembly": 480 * 40})
    for express, days in ((False, 5), (True, 2)):
        promise = quote_promise(
            now=NOW,
            load={"assembly": 60},
            capacity=busy,
            material_days=9,
            express=express,
            policy=policy,
        )
        assert promise.promise_date == NOW + timedelta(days=days + SHIPPING_DAYS)
        assert promise.quote == "fixed" and promise.bottleneck is None


def test_the_default_policy_is_the_capacity_estimate() -> None:
    assert PromisePolicy().quote == "capacity"
    args = {"now": NOW, "load": {"assembly": 60}, "capacity": CAPACITY, "material_days": 3}
    assert quote_promise(**args) == estimate_promise(**args)  # type: ignore[arg-type]


@given(st.integers(0, 60), st.integers(0, 60), st.booleans(), st.floats(0, 1e6))
def test_fixed_promises_ignore_capacity(
    lead: int, express_days: int, express: bool, open_: float
) -> None:
    lead, express_days = max(lead, express_days), min(lead, express_days)
    policy = PromisePolicy("fixed", lead, express_days)
    capacity = CapacityView(CAPACITY.minutes_per_day, {"assembly": open_})
    promise = quote_promise(
        now=NOW,
        load={"assembly": 30},
        capacity=capacity,
        material_days=4,
        express=express,
        policy=policy,
    )
    days = express_days if express else lead
    assert promise.promise_date == NOW + timedelta(days=days + SHIPPING_DAYS)


@pytest.mark.parametrize(
    ("quote", "lead", "express"),
    [("guess", 5, 2), ("fixed", -1, 0), ("fixed", 2, 5), ("fixed", 5, -2)],
)
def test_a_bad_policy_is_refused(quote: str, lead: int, express: int) -> None:
    with pytest.raises(InvalidInput):
        PromisePolicy(quote, lead, express)  # type: ignore[arg-type]
