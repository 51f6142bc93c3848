"""Reorder-point purchasing, the baseline MRP is measured against: order when the inventory
position (on hand + on order - allocated) is at or below average use x (lead time + safety
days), up to the reorder point plus some days of use."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openfab.errors import InvalidInput
from openfab.planning.mrp.reorder_point import (
    ReorderPolicy,
    StockPosition,
    order_quantity,
    reorder,
    reorder_point,
)

POLICY = ReorderPolicy(safety_days=3, cover_days=7)


def steel(**changes: float) -> StockPosition:
    """10 kg a day, 5 days from the supplier: reorder point 10 x (5 + 3) = 80 kg."""
    values: dict[str, float] = {"daily_use": 10.0, "lead_time_days": 5.0, "on_hand": 100.0}
    values.update(changes)
    return StockPosition("steel", supplier="NordSteel", **values)


def test_the_reorder_point_covers_lead_time_and_safety_days() -> None:
    assert reorder_point(steel(), POLICY) == 80.0
    assert reorder_point(steel(safety_stock=5.0), POLICY) == 55.0  # a fixed safety stock


def test_above_the_reorder_point_nothing_is_ordered() -> None:
    assert reorder([steel(on_hand=81.0)], POLICY) == []


def test_at_the_reorder_point_it_orders_up_to_the_point_plus_cover() -> None:
    (order,) = reorder([steel(on_hand=60.0, on_order=20.0)], POLICY)
    assert order.material == "steel" and order.supplier == "NordSteel"
    assert order.reorder_point == 80.0 and order.inventory_position == 80.0
    assert order.quantity == pytest.approx(70.0)  # 80 + 7 x 10 - 80


def test_what_is_allocated_lowers_the_position() -> None:
    (order,) = reorder([steel(on_hand=100.0, allocated=50.0)], POLICY)
    assert order.inventory_position == 50.0


def test_the_quantity_respects_the_suppliers_minimum_and_lot_multiple() -> None:
    small = steel(daily_use=1.0, on_hand=0.0, minimum_order=50.0, lot_multiple=25.0)
    assert order_quantity(small, POLICY, reorder_point(small, POLICY)) == 50.0
    lots = steel(on_hand=0.0, lot_multiple=25.0)  # 80 + 70 = 150 -> 150
    assert reorder([lots], POLICY)[0].quantity == 150.0
    odd = steel(on_hand=1.0, lot_multiple=25.0)  # 149 -> 150
    assert reorder([odd], POLICY)[0].quantity == 150.0


def test_a_material_nobody_uses_is_never_bought() -> None:
    assert reorder([steel(daily_use=0.0, on_hand=0.0)], POLICY) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"daily_use": -1.0}, "material steel.daily_use"),  # use cannot be negative
        ({"lead_time_days": math.nan}, "material steel.lead_time_days"),  # NaN lead time
        ({"on_order": -5.0}, "material steel.on_order"),  # negative open orders
        ({"allocated": math.inf}, "material steel.allocated"),  # infinite reservations
        ({"safety_stock": -1.0}, "material steel.safety_stock"),  # negative safety stock
        ({"on_hand": math.nan}, "material steel.on_hand"),  # on hand may be < 0, not NaN
        ({"lot_multiple": -25.0}, "material steel.lot_multiple"),  # negative lot size
    ],
)
def test_a_bad_position_is_refused_naming_the_field(changes: dict[str, float], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        steel(**changes)
    assert [p.loc for p in caught.value.problems] == [field]


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        StockPosition("", daily_use=-1.0, lead_time_days=-1.0, on_hand=0.0)
    assert len(caught.value.problems) == 3


@pytest.mark.parametrize("changes", [{"safety_days": -1.0}, {"cover_days": math.inf}])
def test_a_bad_policy_is_refused(changes: dict[str, float]) -> None:
    with pytest.raises(InvalidInput):
        ReorderPolicy(**changes)


quantities = st.floats(min_value=0, max_value=1e5, allow_nan=False)


@given(
    use=st.floats(min_value=0.01, max_value=1e3),
    lead=st.integers(min_value=0, max_value=60),
    on_hand=st.floats(min_value=-1e4, max_value=1e6),
    on_order=quantities,
    allocated=quantities,
    safety=st.floats(min_value=0, max_value=30),
    cover=st.floats(min_value=0.5, max_value=30),
    multiple=st.sampled_from([0.0, 1.0, 10.0, 25.0]),
)
def test_orders_are_placed_iff_the_position_falls_to_the_reorder_point(
    use: float,
    lead: int,
    on_hand: float,
    on_order: float,
    allocated: float,
    safety: float,
    cover: float,
    multiple: float,
) -> None:
    policy = ReorderPolicy(safety_days=safety, cover_days=cover)
    position = StockPosition(
        "m",
        daily_use=use,
        lead_time_days=lead,
        on_hand=on_hand,
        on_order=on_order,
        allocated=allocated,
        lot_multiple=multiple,
    )
    orders = reorder([position], policy)
    point = reorder_point(position, policy)
    assert point == pytest.approx(use * (lead + safety))
    assert bool(orders) == (position.inventory_position <= point)
    for order in orders:  # the order lifts the position above the reorder point
        assert order.inventory_position + order.quantity > point
        if multiple:
            assert order.quantity / multiple == pytest.approx(round(order.quantity / multiple))
