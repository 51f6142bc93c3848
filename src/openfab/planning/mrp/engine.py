"""``plan(problem) -> MrpPlan``: the MRP run, level by level.

Materials are netted in low-level-code order, so a made material's planned orders become
dependent requirements of its components before those are netted (multi-level explosion).
Pure: no clock, no database; ``problem.today`` is day 0.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from openfab.planning.mrp.explode import (
    Calendar,
    Requirement,
    apply_allocations,
    forecast_requirements,
    scaled,
    work_order_requirements,
)
from openfab.planning.mrp.lotsize import annual_demand, economic_order_quantity
from openfab.planning.mrp.model import EconomicOrderQuantity, Material, MrpProblem
from openfab.planning.mrp.netting import ON_HAND_BUCKET, Netting, Supply
from openfab.planning.mrp.report import build_plan
from openfab.planning.mrp.results import MrpPlan
from openfab.planning.mrp.suppliers import Offer
from openfab.planning.mrp.units import factor
from openfab.planning.mrp.validate import check

ZERO = Decimal(0)


def plan(problem: MrpProblem) -> MrpPlan:
    """Plan materials for ``problem``; raises ``InvalidInput`` naming every bad input."""
    with _collector_paused():
        return _plan(problem)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A run allocates hundreds of thousands of small acyclic objects; the cyclic garbage
    collector would rescan them again and again (a third of the run time at 10,000 work
    orders) without ever finding a cycle to free."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _plan(problem: MrpProblem) -> MrpPlan:
    levels = check(problem)
    calendar = Calendar(problem.today, problem.bucket_days)
    requirements: dict[str, list[Requirement]] = defaultdict(list)
    for source in (
        work_order_requirements(problem, calendar),
        forecast_requirements(problem, calendar),
    ):
        for code, rows in source.items():
            requirements[code].extend(rows)
    on_hand = _on_hand(problem)
    reserved = apply_allocations(requirements, on_hand, problem.allocations, problem.materials)
    offers = _offers(problem)
    open_orders = _open_supplies(problem, calendar)
    next_id = [0]
    nettings: dict[str, Netting] = {}
    for code in sorted(problem.materials, key=lambda c: (levels[c], c)):
        material = problem.materials[code]
        rows = requirements.get(code, [])
        if material.safety_stock > 0:
            rows.append(Requirement(0, "SafetyStock", "safety stock", material.safety_stock, ()))
        free = on_hand.get(code, ZERO) - reserved.get(code, ZERO)
        if not rows and free == 0 and code not in open_orders:
            continue
        netting = _netting(problem, material, calendar, offers.get(code, []), rows, next_id)
        if free > 0:
            netting.supplies.append(Supply("OnHand", "stock", ON_HAND_BUCKET, free, free))
        netting.supplies.extend(open_orders.get(code, ()))
        netting.run(rows)
        nettings[code] = netting
        _explode_planned(problem, material, netting, requirements)
    return build_plan(problem, calendar, levels, nettings, on_hand, reserved)


def _on_hand(problem: MrpProblem) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for lot in problem.stock:
        totals[lot.material] += lot.quantity * factor(
            lot.unit, problem.materials[lot.material].unit
        )
    return dict(totals)


def _offers(problem: MrpProblem) -> dict[str, list[Offer]]:
    offers: dict[str, list[Offer]] = defaultdict(list)
    for item in problem.suppliers:
        offers[item.material].append(Offer.of(item, problem.materials[item.material].unit))
    return offers


def _open_supplies(problem: MrpProblem, calendar: Calendar) -> dict[str, list[Supply]]:
    """Open purchase orders per material, in arrival order."""
    rows: dict[str, list[Supply]] = defaultdict(list)
    for po in problem.open_orders:
        quantity = po.quantity * factor(po.unit, problem.materials[po.material].unit)
        day = calendar.day(po.due)
        supply = Supply("Open", po.id, calendar.arrival_bucket(day), quantity, quantity, day)
        rows[po.material].append(supply)
    for supplies in rows.values():
        supplies.sort(key=lambda s: (s.bucket, s.ref))
    return rows


def _netting(
    problem: MrpProblem,
    material: Material,
    calendar: Calendar,
    offers: list[Offer],
    rows: list[Requirement],
    next_id: list[int],
) -> Netting:
    make = material.make_lead_time_days if material.source == "Make" else None
    return Netting(
        unit=material.unit,
        calendar=calendar,
        lot_sizing=material.lot_sizing,
        eoq=_eoq(material, calendar, offers, rows),
        offers=offers,
        make_lead_time_days=make,
        next_id=next_id,
    )


def _eoq(
    material: Material, calendar: Calendar, offers: list[Offer], rows: list[Requirement]
) -> Decimal:
    policy = material.lot_sizing
    if not isinstance(policy, EconomicOrderQuantity) or not rows:
        return ZERO
    span = calendar.start(max(calendar.bucket(r.day) for r in rows) + 1)
    price = min((o.price for o in offers), default=material.unit_cost)
    return economic_order_quantity(policy, annual_demand(rows, span), price)


def _explode_planned(
    problem: MrpProblem,
    material: Material,
    netting: Netting,
    requirements: dict[str, list[Requirement]],
) -> None:
    """A planned production order needs its components on its release day."""
    components = problem.boms.get(material.code, ())
    if not components:
        return
    for supply in netting.supplies:
        if supply.kind != "Planned" or not supply.covered:
            continue
        orders = tuple(dict.fromkeys(w for ws in supply.served.values() for w in ws))
        for c in components:
            quantity = scaled(c, supply.quantity, problem.materials[c.material])
            if quantity > 0:
                requirements.setdefault(c.material, []).append(
                    Requirement(supply.release_day, "PlannedOrder", supply.ref, quantity, orders)
                )
