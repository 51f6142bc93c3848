"""From the netted materials to the plan a planner reads: orders with reasons, messages,
shortages grouped per need, and each material's time-phased record."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

from openfab.planning.mrp.explode import Calendar
from openfab.planning.mrp.model import MrpProblem
from openfab.planning.mrp.netting import Netting, Supply
from openfab.planning.mrp.results import (
    BucketRecord,
    MaterialRecord,
    MrpPlan,
    Peg,
    PlannedOrder,
    RescheduleMessage,
    Shortage,
)

ZERO = Decimal(0)
CENT = Decimal("0.01")
NAMED = 3


def build_plan(
    problem: MrpProblem,
    calendar: Calendar,
    levels: Mapping[str, int],
    nettings: Mapping[str, Netting],
    on_hand: Mapping[str, Decimal],
    reserved: Mapping[str, Decimal],
) -> MrpPlan:
    orders: list[PlannedOrder] = []
    messages: list[RescheduleMessage] = []
    shortages: list[Shortage] = []
    records: dict[str, MaterialRecord] = {}
    suppliers = {po.id: po.supplier for po in problem.open_orders}
    for code, netting in nettings.items():
        material = problem.materials[code]
        for supply in netting.supplies:
            if supply.kind == "Planned" and supply.covered:
                orders.append(_planned_order(code, material.unit_cost, netting, supply, calendar))
            elif supply.kind == "Open":
                message = _message(code, suppliers[supply.ref], supply, calendar, problem)
                if message is not None:
                    messages.append(message)
        shortages.extend(_shortages(code, netting, calendar))
        records[code] = _record(
            code,
            levels[code],
            material.safety_stock,
            netting,
            on_hand.get(code, ZERO),
            reserved.get(code, ZERO),
            calendar,
        )
    orders.sort(key=lambda o: (o.release, o.material, o.id))
    messages.sort(key=lambda m: (m.action, m.material, m.purchase_order))
    shortages.sort(key=lambda s: (s.need, s.material))
    return MrpPlan(problem.today, tuple(orders), tuple(messages), tuple(shortages), records)


def _planned_order(
    code: str, unit_cost: Decimal, netting: Netting, supply: Supply, calendar: Calendar
) -> PlannedOrder:
    offer = supply.offer
    price = offer.price if offer is not None else unit_cost
    pegs = supply.pegs
    first = supply.first_use if supply.first_use is not None else supply.bucket
    reason = f"{describe(pegs)}; first needed {calendar.date(calendar.start(first))}"
    if supply.remaining > 0:
        reason += f"; lot size leaves {supply.remaining.normalize():f} {netting.unit} spare"
    return PlannedOrder(
        id=supply.ref,
        material=code,
        kind="Purchase" if offer is not None else "Production",
        supplier=offer.supplier if offer is not None else None,
        quantity=supply.quantity,
        unit=netting.unit,
        release=calendar.date(supply.release_day),
        due=calendar.date(supply.due_day),
        unit_price=price,
        value=(supply.quantity * price).quantize(CENT, rounding=ROUND_HALF_UP),
        pegs=pegs,
        reason=reason,
        late=supply.bucket > first,
    )


def describe(pegs: Iterable[Peg]) -> str:
    """``work orders SO-1, SO-2 (+3 more), safety stock`` — what a supply is for."""
    by_kind: dict[str, list[str]] = defaultdict(list)
    for p in pegs:
        by_kind[p.kind].append(p.ref)
    parts = []
    labels = {
        "WorkOrder": "work orders",
        "PlannedOrder": "production orders",
        "Forecast": "forecast",
        "SafetyStock": "",
    }
    for kind, refs in by_kind.items():
        if kind == "SafetyStock":
            parts.append("safety stock")
            continue
        named = ", ".join(refs[:NAMED]) + (
            f" (+{len(refs) - NAMED} more)" if len(refs) > NAMED else ""
        )
        parts.append(f"{labels[kind]} {named}")
    work_orders = {w for p in pegs if p.kind == "PlannedOrder" for w in p.work_orders}
    if work_orders:
        parts.append(f"for work orders {', '.join(sorted(work_orders)[:NAMED])}")
    return "covers " + ", ".join(parts)


def _message(
    code: str, supplier: str, supply: Supply, calendar: Calendar, problem: MrpProblem
) -> RescheduleMessage | None:
    due = calendar.date(supply.due_day)
    if not supply.covered:
        reason = "no requirement in the plan needs it"
        return RescheduleMessage("Cancel", supply.ref, code, supplier, due, None, reason)
    if supply.first_use is None:  # it only tops up the safety stock: leave it be
        return None
    need_day = calendar.start(supply.first_use)
    reason = f"{describe(supply.pegs)}; first needed {calendar.date(need_day)}"
    if supply.bucket > supply.first_use:
        new_due = calendar.date(need_day)
        return RescheduleMessage("Expedite", supply.ref, code, supplier, due, new_due, reason)
    if need_day - supply.due_day > problem.reschedule_tolerance_days:
        new_due = calendar.date(need_day)
        return RescheduleMessage("Defer", supply.ref, code, supplier, due, new_due, reason)
    return None


def _shortages(code: str, netting: Netting, calendar: Calendar) -> list[Shortage]:
    quantities: dict[tuple[int, int, str], Decimal] = defaultdict(Decimal)
    orders: dict[tuple[int, int, str], dict[str, Decimal]] = defaultdict(dict)
    for late in netting.late:
        cause = late.cause if late.kind != "Forecast" else f"forecast demand: {late.cause}"
        key = (late.need_bucket, late.arrival_day, cause)
        quantities[key] += late.quantity
        share = orders[key]
        for w in late.work_orders:
            share[w] = share.get(w, ZERO) + late.quantity / len(late.work_orders)
    return [
        Shortage(
            material=code,
            quantity=quantity,
            unit=netting.unit,
            need=calendar.date(calendar.start(need)),
            available=calendar.date(arrival),
            work_orders=tuple(orders[(need, arrival, cause)]),
            cause=cause,
            per_work_order=tuple(orders[(need, arrival, cause)].values()),
        )
        for (need, arrival, cause), quantity in quantities.items()
    ]


def _record(
    code: str,
    level: int,
    safety_stock: Decimal,
    netting: Netting,
    on_hand: Decimal,
    reserved: Decimal,
    calendar: Calendar,
) -> MaterialRecord:
    gross = netting.gross
    scheduled: dict[int, Decimal] = defaultdict(Decimal)
    planned: dict[int, Decimal] = defaultdict(Decimal)
    for s in netting.supplies:
        if s.kind == "Open":
            scheduled[s.bucket] += s.quantity
        elif s.kind == "Planned" and s.covered:
            planned[s.bucket] += s.quantity
    projected = on_hand - reserved
    rows = []
    for b in sorted(set(gross) | set(scheduled) | set(planned)):
        g = gross.get(b, ZERO)
        projected += scheduled[b] + planned[b] - g
        start = calendar.date(calendar.start(b))
        rows.append(BucketRecord(start, g, scheduled[b], planned[b], projected))
    return MaterialRecord(code, netting.unit, level, on_hand, reserved, safety_stock, tuple(rows))
