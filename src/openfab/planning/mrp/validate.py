"""Check a whole MRP problem and name every problem at once, before any planning.

A silent wrong plan is worse than no plan: a BOM cycle, a unit that does not convert, a lot
with negative stock or a bought material with no supplier each stop the run with a message
naming the item.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from openfab.errors import ProblemCollector
from openfab.planning.mrp.model import (
    Component,
    EconomicOrderQuantity,
    FixedOrderQuantity,
    Material,
    MrpProblem,
    PeriodOrderQuantity,
)
from openfab.planning.mrp.units import UnitMismatch, dimension, factor

ZERO = Decimal(0)


def check(problem: MrpProblem) -> dict[str, int]:
    """Raise ``InvalidInput`` naming every problem; return the materials' low-level codes."""
    errors = ProblemCollector()
    if problem.bucket_days < 1:
        errors.add("bucket_days", f"must be >= 1, got {problem.bucket_days}")
    for code, material in problem.materials.items():
        _check_material(code, material, problem, errors)
    _check_boms(problem, errors)
    _check_demand(problem, errors)
    _check_supply(problem, errors)
    levels = _low_level_codes(problem, errors)
    _check_suppliers_exist(problem, errors)
    errors.raise_if_any("the material plan cannot be computed")
    return levels


def _check_material(code: str, m: Material, problem: MrpProblem, errors: ProblemCollector) -> None:
    loc = f"material {code}"
    if m.code != code:
        errors.add(loc, f"is keyed as {code!r} but its code is {m.code!r}")
    if dimension(m.unit) is None:
        errors.add(loc, f"unknown unit {m.unit!r}", "unit")
    if m.safety_stock < 0:
        errors.add(loc, f"safety stock {m.safety_stock} < 0", "negative")
    if m.unit_cost < 0:
        errors.add(loc, f"unit cost {m.unit_cost} < 0", "negative")
    policy = m.lot_sizing
    if isinstance(policy, FixedOrderQuantity) and policy.quantity <= 0:
        errors.add(loc, f"fixed order quantity must be > 0, got {policy.quantity}")
    if isinstance(policy, EconomicOrderQuantity) and (
        policy.ordering_cost <= 0 or policy.holding_rate <= 0
    ):
        errors.add(loc, "EOQ needs ordering cost > 0 and holding rate > 0")
    if isinstance(policy, PeriodOrderQuantity) and policy.periods < 1:
        errors.add(loc, f"period order quantity needs periods >= 1, got {policy.periods}")
    if m.source == "Make" and code not in problem.boms:
        errors.add(loc, "is made in-house but has no BOM", "no_bom")
    if m.make_lead_time_days < 0:
        errors.add(loc, f"make lead time {m.make_lead_time_days} < 0", "negative")


def _unit_ok(
    loc: str, material: str, unit: str, problem: MrpProblem, errors: ProblemCollector
) -> bool:
    """Whether ``material`` exists and ``unit`` converts to its unit (else say which)."""
    known = problem.materials.get(material)
    if known is None:
        errors.add(loc, f"unknown material {material!r}", "unknown_material")
        return False
    try:
        factor(unit, known.unit)
    except UnitMismatch as exc:
        errors.add(loc, f"material {material}: {exc}", "unit")
        return False
    return True


def _check_components(
    loc: str, components: Iterable[Component], problem: MrpProblem, errors: ProblemCollector
) -> None:
    for c in components:
        here = f"{loc} → {c.material}"
        _unit_ok(here, c.material, c.unit, problem, errors)
        if c.quantity < 0:
            errors.add(here, f"quantity {c.quantity} < 0", "negative")
        if c.scrap_factor < 0:
            errors.add(here, f"scrap factor {c.scrap_factor} < 0", "negative")


def _check_boms(problem: MrpProblem, errors: ProblemCollector) -> None:
    for parent, components in problem.boms.items():
        material = problem.materials.get(parent)
        if material is None:
            errors.add(f"bom {parent}", f"unknown material {parent!r}", "unknown_material")
        elif material.source != "Make":
            errors.add(f"bom {parent}", "has a BOM but is bought (set source: Make)")
        _check_components(f"bom {parent}", components, problem, errors)


def _check_demand(problem: MrpProblem, errors: ProblemCollector) -> None:
    seen: set[str] = set()
    for wo in problem.work_orders:
        loc = f"work order {wo.work_order}"
        if wo.work_order in seen:
            errors.add(loc, "appears twice", "duplicate")
        seen.add(wo.work_order)
        if wo.quantity <= 0:
            errors.add(loc, f"quantity must be > 0, got {wo.quantity}")
        _check_components(loc, wo.components, problem, errors)
    for f in problem.forecasts:
        loc = f"forecast {f.material} {f.due}"
        if f.material not in problem.materials:
            errors.add(loc, f"unknown material {f.material!r}", "unknown_material")
        if f.quantity < 0:
            errors.add(loc, f"quantity {f.quantity} < 0", "negative")


def _check_supply(problem: MrpProblem, errors: ProblemCollector) -> None:
    for lot in problem.stock:
        loc = f"lot {lot.lot} of {lot.material}" + (f" at {lot.location}" if lot.location else "")
        _unit_ok(loc, lot.material, lot.unit, problem, errors)
        if lot.quantity < 0:
            errors.add(loc, f"negative stock {lot.quantity} {lot.unit}", "negative_stock")
    for a in problem.allocations:
        loc = f"allocation of {a.material} to {a.work_order}"
        _unit_ok(loc, a.material, a.unit, problem, errors)
        if a.quantity < 0:
            errors.add(loc, f"quantity {a.quantity} < 0", "negative")
    for po in problem.open_orders:
        loc = f"purchase order {po.id}"
        _unit_ok(loc, po.material, po.unit, problem, errors)
        if po.quantity <= 0:
            errors.add(loc, f"quantity must be > 0, got {po.quantity}")
    for s in problem.suppliers:
        loc = f"supplier {s.supplier} for {s.material}"
        _unit_ok(loc, s.material, s.unit, problem, errors)
        if s.lead_time_days < 0:
            errors.add(loc, f"lead time {s.lead_time_days} < 0", "negative")
        if s.price < 0 or s.minimum_order < 0 or s.lot_multiple < 0:
            errors.add(loc, "price, minimum order and lot multiple must be >= 0", "negative")
        if s.capacity_per_period is not None and s.capacity_per_period <= 0:
            errors.add(loc, f"capacity per period must be > 0, got {s.capacity_per_period}")
        if s.period_days < 1:
            errors.add(loc, f"period must be >= 1 day, got {s.period_days}")


def _low_level_codes(problem: MrpProblem, errors: ProblemCollector) -> dict[str, int]:
    """Deepest BOM level of each material (0: used by work orders directly); names cycles."""
    children = {p: [c.material for c in cs] for p, cs in problem.boms.items()}
    order: list[str] = []
    state: dict[str, int] = {}  # 1: on the DFS stack, 2: done
    for root in sorted(children):
        _visit(root, children, state, [], order, errors)
    levels = dict.fromkeys(problem.materials, 0)
    for parent in reversed(order):  # parents before their components
        for child in children.get(parent, ()):
            if child in levels and parent in levels:
                levels[child] = max(levels[child], levels[parent] + 1)
    return levels


def _visit(
    node: str,
    children: Mapping[str, list[str]],
    state: dict[str, int],
    path: list[str],
    order: list[str],
    errors: ProblemCollector,
) -> None:
    """Depth-first post-order; a node met again on the stack closes a cycle."""
    if state.get(node) == 2:
        return
    if state.get(node) == 1:
        cycle = [*path[path.index(node) :], node]
        errors.add(f"bom {node}", "BOM cycle: " + " → ".join(cycle), "bom_cycle")
        return
    state[node] = 1
    path.append(node)
    for child in children.get(node, ()):
        _visit(child, children, state, path, order, errors)
    path.pop()
    state[node] = 2
    order.append(node)


def _check_suppliers_exist(problem: MrpProblem, errors: ProblemCollector) -> None:
    """Every bought material that has any demand (or a safety stock) needs a supplier."""
    supplied = {s.material for s in problem.suppliers}
    demanded = _demanded(problem)
    for code in sorted(demanded):
        material = problem.materials.get(code)
        if material is not None and material.source == "Buy" and code not in supplied:
            errors.add(f"material {code}", "has demand but no supplier", "no_supplier")


def _demanded(problem: MrpProblem) -> set[str]:
    found = {c.material for wo in problem.work_orders for c in wo.components}
    found |= {f.material for f in problem.forecasts if f.quantity > 0}
    found |= {c for c, m in problem.materials.items() if m.safety_stock > 0}
    frontier = list(found)
    while frontier:
        parent = frontier.pop()
        for c in problem.boms.get(parent, ()):
            if c.material not in found:
                found.add(c.material)
                frontier.append(c.material)
    return found
