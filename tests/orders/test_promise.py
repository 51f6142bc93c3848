"""The promise date grows with the queue at the bottleneck and with material lead time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from openfab.orders.promise import SHIPPING_DAYS, CapacityView, estimate_promise

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
