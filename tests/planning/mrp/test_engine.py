"""Hand-computed MRP cases: each test states the arithmetic a planner would do on paper."""

from __future__ import annotations

from decimal import Decimal

from openfab.planning.mrp import (
    Allocation,
    Component,
    EconomicOrderQuantity,
    FixedOrderQuantity,
    ForecastDemand,
    OpenPurchaseOrder,
    PeriodOrderQuantity,
    WorkOrderDemand,
    plan,
)
from tests.planning.mrp.builders import day, dec, lot, material, problem, supplier, work_order


def quantities(result_orders: object) -> list[tuple[str, Decimal, object]]:
    return [(o.material, o.quantity, o.due) for o in result_orders]  # type: ignore[attr-defined]


def test_lot_for_lot_nets_on_hand_and_offsets_by_lead_time() -> None:
    """10 units × 2 pcs = 20 needed on day 10; 5 on hand → buy 15, released day 10 − 5."""
    result = plan(
        problem(
            [material("A")],
            [work_order("WO-1", 10, {"A": 2}, quantity=10)],
            [supplier("A", lead_time_days=5, price=2)],
            stock=(lot("A", 5),),
        )
    )
    (order,) = result.planned_orders
    assert (order.quantity, order.release, order.due, order.value) == (
        dec(15),
        day(5),
        day(10),
        dec(30),
    )
    assert order.work_orders == ("WO-1",)
    assert "WO-1" in order.reason
    assert not result.shortages
    (bucket,) = result.records["A"].buckets
    assert (bucket.gross, bucket.planned_receipts, bucket.projected) == (dec(20), dec(15), dec(0))


def test_scrap_factor_raises_the_requirement() -> None:
    """3 units × 2 pcs × (1 + 10 % scrap) = 6.6 → 7 whole pieces."""
    wo = WorkOrderDemand("WO-1", dec(3), day(4), (Component("A", dec(2), "pcs", dec("0.1")),))
    result = plan(problem([material("A")], [wo], [supplier("A")]))
    assert [o.quantity for o in result.planned_orders] == [dec(7)]


def test_fixed_order_quantity_covers_later_needs_with_its_surplus() -> None:
    """Need 15 on day 3 → one lot of 50; the 20 on day 6 comes out of the 35 left over."""
    result = plan(
        problem(
            [material("A", lot_sizing=FixedOrderQuantity(dec(50)))],
            [work_order("WO-1", 3, {"A": 15}), work_order("WO-2", 6, {"A": 20})],
            [supplier("A")],
        )
    )
    (order,) = result.planned_orders
    assert order.quantity == dec(50)
    assert order.work_orders == ("WO-1", "WO-2")
    assert "spare" in order.reason  # 50 − 35 = 15 left over


def test_fixed_order_quantity_orders_whole_lots() -> None:
    """Need 120 with lots of 50 → three lots (150)."""
    result = plan(
        problem(
            [material("A", lot_sizing=FixedOrderQuantity(dec(50)))],
            [work_order("WO-1", 3, {"A": 120})],
            [supplier("A")],
        )
    )
    assert [o.quantity for o in result.planned_orders] == [dec(150)]


def test_economic_order_quantity() -> None:
    """100 pcs over a 10-day plan → D = 3650 a year; S = 50, H = 25 % × 4 = 1:
    EOQ = sqrt(2 · 3650 · 50 / 1) = 604.15 → 605 pieces."""
    result = plan(
        problem(
            [material("A", lot_sizing=EconomicOrderQuantity(dec(50), dec("0.25")))],
            [work_order("WO-1", 9, {"A": 100})],
            [supplier("A", price=4)],
        )
    )
    assert [o.quantity for o in result.planned_orders] == [dec(605)]


def test_period_order_quantity_groups_three_buckets() -> None:
    """Needs 10, 20, 30, 40 on days 5–8; POQ of 3 periods → 60 on day 5, 40 on day 8."""
    orders = [work_order(f"WO-{d}", d, {"A": q}) for d, q in ((5, 10), (6, 20), (7, 30), (8, 40))]
    result = plan(
        problem([material("A", lot_sizing=PeriodOrderQuantity(3))], orders, [supplier("A")])
    )
    assert quantities(result.planned_orders) == [("A", dec(60), day(5)), ("A", dec(40), day(8))]


def test_safety_stock_is_kept_on_hand() -> None:
    """12 on hand, 10 kept as safety stock: of the 8 needed on day 5 only 2 come from stock."""
    result = plan(
        problem(
            [material("A", safety_stock=10)],
            [work_order("WO-1", 5, {"A": 8})],
            [supplier("A", lead_time_days=2)],
            stock=(lot("A", 12),),
        )
    )
    assert quantities(result.planned_orders) == [("A", dec(6), day(5))]


def test_safety_stock_below_target_is_replenished_without_a_shortage() -> None:
    """4 on hand against a safety stock of 10 → buy 6 as soon as the supplier can deliver."""
    result = plan(
        problem(
            [material("A", safety_stock=10)],
            suppliers=[supplier("A", lead_time_days=3)],
            stock=(lot("A", 4),),
        )
    )
    (order,) = result.planned_orders
    assert (order.quantity, order.due, order.reason.startswith("covers safety stock")) == (
        dec(6),
        day(3),
        True,
    )
    assert not result.shortages


def test_supplier_minimum_and_multiple_round_up() -> None:
    """Net 15 → raised to the minimum of 40 → next multiple of 25 is 50."""
    result = plan(
        problem(
            [material("A")],
            [work_order("WO-1", 3, {"A": 15})],
            [supplier("A", minimum_order=40, lot_multiple=25)],
        )
    )
    assert [o.quantity for o in result.planned_orders] == [dec(50)]


def test_open_orders_get_expedite_defer_and_cancel_messages() -> None:
    """PO-1 (30, day 10) is needed on day 4 → expedite; PO-2 (20, day 1) is first needed
    on day 20 → defer; PO-3 (5, day 30) is needed by nobody → cancel."""
    open_orders = (
        OpenPurchaseOrder("PO-1", "A", "ACME", dec(30), "pcs", day(10)),
        OpenPurchaseOrder("PO-2", "B", "ACME", dec(20), "pcs", day(1)),
        OpenPurchaseOrder("PO-3", "A", "ACME", dec(5), "pcs", day(30)),
    )
    result = plan(
        problem(
            [material("A"), material("B")],
            [work_order("WO-1", 4, {"A": 25}), work_order("WO-2", 20, {"B": 20})],
            [supplier("A", lead_time_days=20), supplier("B")],
            open_orders=open_orders,
        )
    )
    assert not result.planned_orders  # the open orders cover everything
    actions = {(m.purchase_order, m.action, m.new_due) for m in result.messages}
    assert actions == {
        ("PO-1", "Expedite", day(4)),
        ("PO-2", "Defer", day(20)),
        ("PO-3", "Cancel", None),
    }
    (shortage,) = result.shortages  # until PO-1 is expedited, WO-1 is short
    assert (shortage.material, shortage.quantity, shortage.work_orders) == ("A", dec(25), ("WO-1",))
    assert shortage.available == day(10)


def test_lead_time_too_long_is_a_shortage_naming_the_work_order() -> None:
    """Need on day 3, supplier needs 10 days → the order is late, WO-1 is short until day 10."""
    result = plan(
        problem(
            [material("A")], [work_order("WO-1", 3, {"A": 4})], [supplier("A", lead_time_days=10)]
        )
    )
    (order,) = result.planned_orders
    assert (order.release, order.due, order.late) == (day(0), day(10), True)
    (shortage,) = result.shortages
    assert (shortage.need, shortage.available, shortage.work_orders) == (day(3), day(10), ("WO-1",))
    assert "lead time" in shortage.cause


def test_faster_supplier_is_chosen_when_the_preferred_one_is_too_slow() -> None:
    result = plan(
        problem(
            [material("A")],
            [work_order("WO-1", 3, {"A": 4})],
            [
                supplier("A", lead_time_days=10, price=1, name="Cheap", priority=0),
                supplier("A", lead_time_days=2, price=3, name="Quick", priority=1),
            ],
        )
    )
    assert [o.supplier for o in result.planned_orders] == ["Quick"]
    assert not result.shortages


def test_supplier_capacity_pulls_orders_forward() -> None:
    """120 needed on day 20, 50 a week possible (lead time 3): 50 in week 2 (day 20),
    50 in week 1 (its last day, 13), the last 20 in week 0 (day 6)."""
    result = plan(
        problem(
            [material("A")],
            [work_order("WO-1", 20, {"A": 120})],
            [supplier("A", lead_time_days=3, capacity=50)],
        )
    )
    assert sorted(quantities(result.planned_orders), key=lambda q: q[2]) == [
        ("A", dec(20), day(6)),
        ("A", dec(50), day(13)),
        ("A", dec(50), day(20)),
    ]
    assert not result.shortages


def test_supplier_capacity_exhausted_is_a_shortage() -> None:
    """100 needed on day 2 with 60 a week possible: 40 arrive in the next week, late."""
    result = plan(
        problem(
            [material("A")],
            [work_order("WO-1", 2, {"A": 100})],
            [supplier("A", capacity=60)],
        )
    )
    assert sorted(o.quantity for o in result.planned_orders) == [dec(40), dec(60)]
    (shortage,) = result.shortages
    assert (shortage.quantity, shortage.available) == (dec(40), day(7))
    assert "capacity" in shortage.cause


def test_multi_level_explosion_with_unit_conversion_and_scrap() -> None:
    """4 frames (made, 3 days) on day 10 → released day 7, needing 4 × 2 = 8 tubes and
    4 × 500 g × 1.1 scrap = 2.2 kg of paint on day 7. Tubes are also used directly (2 on
    day 12), so they are netted at level 1, after the frame."""
    frame_bom = (Component("tube", dec(2), "pcs"), Component("paint", dec(500), "g", dec("0.1")))
    result = plan(
        problem(
            [material("frame", make_lead_time_days=3), material("tube"), material("paint", "kg")],
            [
                WorkOrderDemand("WO-1", dec(4), day(10), (Component("frame", dec(1), "pcs"),)),
                work_order("WO-2", 12, {"tube": 2}),
            ],
            [supplier("tube", lead_time_days=1), supplier("paint", unit="kg")],
            boms={"frame": frame_bom},
        )
    )
    got = {(o.material, o.kind, o.quantity, o.release, o.due) for o in result.planned_orders}
    assert got == {
        ("frame", "Production", dec(4), day(7), day(10)),
        ("tube", "Purchase", dec(8), day(6), day(7)),
        ("paint", "Purchase", dec("2.2"), day(7), day(7)),
        ("tube", "Purchase", dec(2), day(11), day(12)),
    }
    levels = {code: r.low_level_code for code, r in result.records.items()}
    assert levels == {"frame": 0, "tube": 1, "paint": 1}
    paint = next(o for o in result.planned_orders if o.material == "paint")
    assert paint.work_orders == ("WO-1",)  # pegged through the frame's production order


def test_allocated_stock_serves_its_own_work_order_first() -> None:
    """10 on hand, 6 reserved for WO-1 (needs 8): WO-1 still needs 2, WO-2 needs 5;
    4 free pieces cover WO-1's 2 and 2 of WO-2 → buy 3 for WO-2."""
    result = plan(
        problem(
            [material("A")],
            [work_order("WO-1", 2, {"A": 8}), work_order("WO-2", 3, {"A": 5})],
            [supplier("A")],
            stock=(lot("A", 10),),
            allocations=(Allocation("A", "WO-1", dec(6), "pcs"),),
        )
    )
    (order,) = result.planned_orders
    assert (order.quantity, order.work_orders) == (dec(3), ("WO-2",))
    assert result.records["A"].allocated == dec(6)


def test_forecast_demand_adds_to_gross_requirements() -> None:
    result = plan(
        problem(
            [material("A")],
            [work_order("WO-1", 2, {"A": 5})],
            [supplier("A")],
            forecasts=(ForecastDemand("A", day(9), dec(7)),),
        )
    )
    assert quantities(result.planned_orders) == [("A", dec(5), day(2)), ("A", dec(7), day(9))]
    assert [p.kind for p in result.planned_orders[1].pegs] == ["Forecast"]


def test_stock_in_grams_nets_against_kilograms() -> None:
    """1.5 kg needed, 800 g in stock → buy 0.7 kg."""
    result = plan(
        problem(
            [material("paint", "kg")],
            [work_order("WO-1", 2, {"paint": "1.5"}, unit="kg")],
            [supplier("paint", unit="kg")],
            stock=(lot("paint", 800, "g"),),
        )
    )
    assert [o.quantity for o in result.planned_orders] == [dec("0.7")]


def test_weekly_buckets_group_needs() -> None:
    """Needs on days 8 and 12 fall in week 1 (days 7–13): one order due on day 7."""
    result = plan(
        problem(
            [material("A")],
            [work_order("WO-1", 8, {"A": 3}), work_order("WO-2", 12, {"A": 4})],
            [supplier("A")],
            bucket_days=7,
        )
    )
    assert quantities(result.planned_orders) == [("A", dec(7), day(7))]


def test_demand_sensing_hook_replaces_safety_stock_and_adds_forecasts() -> None:
    base = problem([material("A")], suppliers=[supplier("A")])
    sensed = base.with_demand_sensing((ForecastDemand("A", day(3), dec(4)),), {"A": dec(2)})
    result = plan(sensed)
    assert sum(o.quantity for o in result.planned_orders) == dec(6)


def test_an_open_order_that_only_tops_up_safety_stock_is_left_alone() -> None:
    """No stock, safety stock 10, 10 arriving on day 5: nothing to buy, nothing to expedite."""
    result = plan(
        problem(
            [material("A", safety_stock=10)],
            suppliers=[supplier("A", lead_time_days=1)],
            open_orders=(OpenPurchaseOrder("PO-1", "A", "ACME", dec(10), "pcs", day(5)),),
        )
    )
    assert not result.planned_orders and not result.messages and not result.shortages
