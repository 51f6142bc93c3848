"""Properties over many random plants: execute the plan and watch the stock.

Executing a plan means: receive open purchase orders on their (rescheduled) due dates
unless cancelled, receive planned purchases on their due dates, consume components of
planned production on its release date and receive the product on its due date, and issue
every work order's material on its need date. Then no stock ever goes below zero except by
the shortages the plan itself announced, and the safety stock is there at the end.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openfab.planning.mrp import (
    Allocation,
    Component,
    EconomicOrderQuantity,
    FixedOrderQuantity,
    LotForLot,
    LotSizing,
    MrpPlan,
    MrpProblem,
    OpenPurchaseOrder,
    PeriodOrderQuantity,
    SupplierItem,
    WorkOrderDemand,
    plan,
)
from tests.planning.mrp.builders import TODAY, day, dec, lot, material

BUY = ["a", "b", "c"]

policies = st.one_of(
    st.just(LotForLot()),
    st.integers(1, 40).map(lambda q: FixedOrderQuantity(dec(q))),
    st.integers(1, 200).map(lambda s: EconomicOrderQuantity(dec(s), dec("0.2"))),
    st.integers(1, 5).map(PeriodOrderQuantity),
)


@st.composite
def supplier_items(draw: st.DrawFn, code: str) -> list[SupplierItem]:
    count = draw(st.integers(1, 2))
    return [
        SupplierItem(
            f"S{i}-{code}",
            code,
            "pcs",
            draw(st.integers(0, 12)),
            dec(draw(st.integers(1, 9))),
            minimum_order=dec(draw(st.sampled_from([0, 0, 5, 30]))),
            lot_multiple=dec(draw(st.sampled_from([0, 0, 4, 10]))),
            capacity_per_period=draw(st.sampled_from([None, None, dec(40), dec(100)])),
            period_days=draw(st.sampled_from([1, 7])),
            priority=i,
        )
        for i in range(count)
    ]


@st.composite
def problems(draw: st.DrawFn) -> MrpProblem:
    policy: dict[str, LotSizing] = {c: draw(policies) for c in [*BUY, "kit"]}
    materials = [
        material(c, safety_stock=draw(st.integers(0, 8)), lot_sizing=policy[c]) for c in BUY
    ]
    materials.append(
        material("kit", make_lead_time_days=draw(st.integers(0, 4)), lot_sizing=policy["kit"])
    )
    kit_bom = (Component("a", dec(2), "pcs"), Component("b", dec(1), "pcs", dec("0.5")))
    work_orders = []
    for i in range(draw(st.integers(1, 8))):
        parts = draw(st.lists(st.sampled_from([*BUY, "kit"]), min_size=1, max_size=3, unique=True))
        lines = tuple(
            Component(
                p, dec(draw(st.integers(1, 6))), "pcs", dec(draw(st.sampled_from(["0", "0.1"])))
            )
            for p in parts
        )
        work_orders.append(
            WorkOrderDemand(
                f"WO-{i}", dec(draw(st.integers(1, 5))), day(draw(st.integers(0, 30))), lines
            )
        )
    stock = tuple(lot(c, draw(st.integers(0, 30)), name=f"L-{c}") for c in [*BUY, "kit"])
    open_orders = tuple(
        OpenPurchaseOrder(
            f"PO-{i}", c, "S0", dec(draw(st.integers(1, 40))), "pcs", day(draw(st.integers(0, 25)))
        )
        for i, c in enumerate(draw(st.lists(st.sampled_from(BUY), max_size=3)))
    )
    allocations = tuple(
        Allocation(c.material, wo.work_order, dec(draw(st.integers(0, 5))), "pcs")
        for wo in work_orders[:2]
        for c in wo.components[:1]
    )
    suppliers = tuple(item for c in BUY for item in draw(supplier_items(c)))
    return MrpProblem(
        today=TODAY,
        materials={m.code: m for m in materials},
        work_orders=tuple(work_orders),
        stock=stock,
        allocations=allocations,
        open_orders=open_orders,
        suppliers=suppliers,
        boms={"kit": kit_bom},
    )


def executed(problem: MrpProblem, result: MrpPlan) -> dict[str, list[tuple[date, int, Decimal]]]:
    """Per material: (date, 0 for receipts / 1 for issues, signed quantity)."""
    events: dict[str, list[tuple[date, int, Decimal]]] = defaultdict(list)
    for s in problem.stock:
        events[s.material].append((TODAY, 0, s.quantity))
    moved = {m.purchase_order: m for m in result.messages}
    for po in problem.open_orders:
        message = moved.get(po.id)
        if message is not None and message.action == "Cancel":
            continue
        due = message.new_due if message is not None and message.new_due else po.due
        events[po.material].append((max(due, TODAY), 0, po.quantity))
    for o in result.planned_orders:
        events[o.material].append((o.due, 0, o.quantity))
        for c in problem.boms.get(o.material, ()):
            events[c.material].append(
                (o.release, 1, -o.quantity * c.quantity * (1 + c.scrap_factor))
            )
    for wo in problem.work_orders:
        for c in wo.components:
            need = max(wo.need, TODAY)  # type: ignore[type-var]
            events[c.material].append((need, 1, -wo.quantity * c.quantity * (1 + c.scrap_factor)))
    return events


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_executing_the_plan_leaves_no_unannounced_shortage(problem: MrpProblem) -> None:
    result = plan(problem)
    for code, events in executed(problem, result).items():
        balance = Decimal(0)
        announced = [s for s in result.shortages if s.material == code]
        for when, kind, delta in sorted(events):  # a day's receipts come before its issues
            balance += delta
            if kind == 0:
                continue
            open_shortage = sum(
                (s.quantity for s in announced if s.need <= when and (s.available or when) > when),
                Decimal(0),
            )
            assert balance >= -open_shortage, (code, when, balance, announced)
        assert balance >= problem.materials[code].safety_stock, (code, balance)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_planned_purchases_respect_their_supplier(problem: MrpProblem) -> None:
    result = plan(problem)
    offers = {(s.supplier, s.material): s for s in problem.suppliers}
    booked: dict[tuple[str, str, int], Decimal] = defaultdict(Decimal)
    for o in result.purchase_orders:
        assert o.supplier is not None
        item = offers[(o.supplier, o.material)]
        assert o.release >= TODAY
        assert (o.due - o.release).days == item.lead_time_days
        assert o.quantity >= item.minimum_order
        if item.lot_multiple:
            assert o.quantity % item.lot_multiple == 0
        booked[(o.supplier, o.material, (o.due - TODAY).days // item.period_days)] += o.quantity
    for (name, code, _period), quantity in booked.items():
        capacity = offers[(name, code)].capacity_per_period
        assert capacity is None or quantity <= capacity


@settings(max_examples=50, deadline=None)
@given(problems())
def test_every_work_order_short_is_named(problem: MrpProblem) -> None:
    """A shortage never hits an unknown work order, and each names at least one when it
    comes from work-order demand."""
    result = plan(problem)
    known = {wo.work_order for wo in problem.work_orders}
    for s in result.shortages:
        assert s.quantity > 0
        assert set(s.work_orders) <= known
        assert s.work_orders
