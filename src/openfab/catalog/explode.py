"""A valid selection exploded into price, lead time, attributes, BOM and routing.

Formulas are evaluated exactly (fractions) and rounded once, at the end: money to the cent,
quantities up to 0.001 (never issue less than a formula asks for), pieces up to whole pieces.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from fractions import Fraction

from openfab.catalog.definition import Material, ProductDefinition
from openfab.catalog.evaluation import SelectionEnv
from openfab.catalog.results import BomLine, Operation, PriceLine
from openfab.catalog.tree import Expr, evaluate_bool, evaluate_number
from openfab.errors import InvalidInput, Problem

CENT = Decimal("0.01")
MILLI = Decimal("0.001")


def to_decimal(value: Fraction, quantum: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Round an exact fraction to ``quantum``."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(quantum, rounding=rounding)


def price_lines(definition: ProductDefinition, env: SelectionEnv) -> tuple[PriceLine, ...]:
    """Base price, then each selected option with a price, then each priced numeric group."""
    lines = [PriceLine("base", definition.name or definition.code, definition.base_price)]
    selection = env.selection
    for group in definition.option_groups:
        for option in group.options:
            if option.code in selection.options and option.price:
                lines.append(PriceLine(option.code, f"{group.label}: {option.label}", option.price))
        value = selection.numbers.get(group.code)
        if value is not None and group.price_per_unit:
            amount = to_decimal(value * Fraction(group.price_per_unit), CENT)
            unit = f" {group.unit}" if group.unit else ""
            lines.append(PriceLine(group.code, f"{group.label}: {value}{unit}", amount))
    return tuple(lines)


def lead_time_days(definition: ProductDefinition, env: SelectionEnv) -> int:
    """Base lead time plus each selected option's days (options add up, conservatively)."""
    selection = env.selection
    days = Fraction(definition.base_lead_time_days)
    for group in definition.option_groups:
        days += sum(o.lead_time_days for o in group.options if o.code in selection.options)
        value = selection.numbers.get(group.code)
        if value is not None:
            days += value * Fraction(group.lead_time_days_per_unit)
    return math.ceil(days)


def attribute_totals(env: SelectionEnv) -> dict[str, float]:
    """Each attribute summed over the whole configuration (weight, capacity…)."""
    names = env.table.names()
    return {name: round(float(env.attribute(name, None)), 6) for name in names}


def _applies(when: Expr | None, env: SelectionEnv) -> bool:
    return when is None or evaluate_bool(when.node, env)


def _amount(expr: Expr, env: SelectionEnv, loc: str, problems: list[Problem]) -> Fraction:
    value = evaluate_number(expr.node, env)
    if value < 0:
        problems.append(
            Problem(loc, f"formula {expr.source!r} gave {float(value):g} < 0", "negative")
        )
    return value


def bom_lines(
    definition: ProductDefinition,
    env: SelectionEnv,
    materials: Mapping[str, Material] | None,
) -> tuple[BomLine, ...]:
    """BOM lines whose condition holds, with scrap added and equal materials merged."""
    totals: dict[str, Fraction] = {}
    units: dict[str, str] = {}
    problems: list[Problem] = []
    for index, line in enumerate(definition.bom):
        if not _applies(line.when, env):
            continue
        quantity = _amount(line.quantity, env, f"bom[{index}]", problems)
        quantity *= 1 + Fraction(line.scrap_factor)
        totals[line.material] = totals.get(line.material, Fraction(0)) + quantity
        units[line.material] = line.unit
    _raise_on(problems)
    result = []
    for material, total in totals.items():
        rounded = _round_quantity(total, units[material])
        if rounded:
            result.append(_costed(BomLine(material, rounded, units[material]), materials))
    return tuple(result)


def _round_quantity(value: Fraction, unit: str) -> Decimal:
    if unit == "pcs":
        return Decimal(math.ceil(value))
    return to_decimal(value, MILLI, ROUND_CEILING)


def _costed(line: BomLine, materials: Mapping[str, Material] | None) -> BomLine:
    material = materials.get(line.material) if materials is not None else None
    if material is None:
        return line
    cost = (line.quantity * material.unit_cost).quantize(CENT, rounding=ROUND_HALF_UP)
    return BomLine(line.material, line.quantity, line.unit, material.unit_cost, cost)


def operations(definition: ProductDefinition, env: SelectionEnv) -> tuple[Operation, ...]:
    """Routing steps whose condition holds, numbered 10, 20, 30…"""
    result: list[Operation] = []
    problems: list[Problem] = []
    for step in definition.routing:
        if not _applies(step.when, env):
            continue
        loc = f"routing[{step.code}]"
        setup = _amount(step.setup_minutes, env, f"{loc}.setup_minutes", problems)
        run = _amount(step.run_minutes, env, f"{loc}.run_minutes", problems)
        sequence = 10 * (len(result) + 1)
        result.append(
            Operation(
                sequence,
                step.code,
                step.name,
                step.work_centers,
                to_decimal(setup, CENT),
                to_decimal(run, CENT),
            )
        )
    _raise_on(problems)
    return tuple(result)


def _raise_on(problems: list[Problem]) -> None:
    """A negative formula result is a catalog defect; say where rather than build nonsense."""
    if problems:
        raise InvalidInput("the product's formulas gave impossible values", problems)
