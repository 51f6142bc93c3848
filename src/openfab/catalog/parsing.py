"""Products, materials and work centers from YAML-shaped data, with every problem named.

``parse_product`` is the only way the engine gets a :class:`ProductDefinition`, so checks made
here (unique codes, resolvable names, known materials) never need repeating at run time.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar

from openfab.catalog.definition import (
    BomLineTemplate,
    Material,
    ProductDefinition,
    RoutingStepTemplate,
    Rule,
    WorkCenter,
)
from openfab.catalog.expressions import BoolOp, Compare, Const, Expr, Node, Not, Scope
from openfab.catalog.parse_groups import parse_groups, scope_of
from openfab.catalog.reader import Reader

_CURRENCY = re.compile(r"^[A-Z]{3}$")
UNITS = frozenset({"pcs", "kg", "g", "m", "m2", "l"})
"""Units a material or BOM line may carry."""

T = TypeVar("T")
_RULE_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "requires": (("if", "then"), ()),
    "excludes": (("items",), ("when",)),
    "range": (("value",), ("when", "low", "high")),
    "constraint": (("require",), ("when",)),
}


def parse_product(
    data: Mapping[str, Any],
    *,
    materials: Mapping[str, Material] | None = None,
    work_centers: Mapping[str, WorkCenter] | None = None,
) -> ProductDefinition:
    """Check and convert one product; raise ``InvalidInput`` naming every problem.

    With ``materials`` / ``work_centers`` given, BOM lines and routing steps must name known
    ones, and a BOM line's unit defaults to its material's unit.
    """
    reader = Reader()
    top = reader.mapping(data, "product") or {}
    reader.fields(top, "", ("code", "name", "base_price", "option_groups"), _PRODUCT_OPTIONAL)
    code = reader.slug(top, "code", "")
    groups = parse_groups(reader, reader.items(top, "option_groups", ""))
    scope = scope_of(groups)
    rules = _each(reader, top, "rules", lambda d, loc: _rule(reader, d, loc, scope))
    bom = _each(reader, top, "bom", lambda d, loc: _bom_line(reader, d, loc, scope, materials))
    routing = _each(
        reader, top, "routing", lambda d, loc: _step(reader, d, loc, scope, work_centers)
    )
    _unique(reader, "rules", [r.code for r in rules])
    _unique(reader, "routing", [s.code for s in routing])
    product = ProductDefinition(
        code=code,
        name=reader.text(top, "name", "", max_length=200),
        description=reader.text(top, "description", ""),
        family=reader.text(top, "family", "", max_length=64),
        currency=_currency(reader, top),
        base_price=_money(reader, top, "base_price", ""),
        base_lead_time_days=_days(reader, top, "base_lead_time_days", ""),
        option_groups=groups,
        rules=tuple(rules),
        bom=tuple(bom),
        routing=tuple(routing),
    )
    reader.collector.raise_if_any(f"product {code or '?'!r} is invalid")
    return product


_PRODUCT_OPTIONAL = (
    "description",
    "family",
    "currency",
    "base_lead_time_days",
    "rules",
    "bom",
    "routing",
)


def _each(
    reader: Reader,
    top: Mapping[str, Any],
    key: str,
    parse: Callable[[Mapping[str, Any], str], T | None],
) -> list[T]:
    """Parse every mapping in the list ``top[key]`` with ``parse(data, loc)``."""
    results: list[T] = []
    for index, item in enumerate(reader.items(top, key, "")):
        data = reader.mapping(item, f"{key}[{index}]")
        if data is not None:
            code = data.get("code")
            label = code if isinstance(code, str) and code else index
            result = parse(data, f"{key}[{label}].")
            if result is not None:
                results.append(result)
    return results


def _unique(reader: Reader, loc: str, codes: list[str]) -> None:
    for code, count in Counter(c for c in codes if c).items():
        if count > 1:
            reader.add(loc, f"code {code!r} is used {count} times", "duplicate")


def _currency(reader: Reader, top: Mapping[str, Any]) -> str:
    currency = reader.text(top, "currency", "", default="EUR")
    if not _CURRENCY.match(currency):
        reader.add("currency", f"expected a three-letter code like EUR, got {currency!r}")
    return currency


MAX_LEAD_DAYS = 3650


def _money(reader: Reader, data: Mapping[str, Any], key: str, loc: str) -> Decimal:
    amount = reader.decimal(data, key, loc, Decimal(0)) or Decimal(0)
    reader.at_least(amount, 0, f"{loc}{key}")
    return amount


def _days(reader: Reader, data: Mapping[str, Any], key: str, loc: str) -> int:
    days = reader.integer(data, key, loc)
    reader.at_least(days, 0, f"{loc}{key}")
    if days > MAX_LEAD_DAYS:
        reader.add(f"{loc}{key}", f"at most {MAX_LEAD_DAYS} days", "out_of_range")
        return 0
    return days


# --- rules ---------------------------------------------------------------------------------------


def _rule(reader: Reader, data: Mapping[str, Any], loc: str, scope: Scope) -> Rule | None:
    kind = data.get("kind")
    if kind not in _RULE_FIELDS:
        message = f"must be requires, excludes, range or constraint, got {kind!r}"
        reader.add(f"{loc}kind", message, "bad_kind")
        return None
    required, optional = _RULE_FIELDS[kind]
    reader.fields(data, loc, ("code", "kind", *required), ("message", *optional))
    code = reader.code(data, "code", loc)
    when = reader.expr(data, "if" if kind == "requires" else "when", loc, scope, "bool")
    require = _requirement(reader, data, loc, scope, kind)
    if require is None:
        return None
    message = reader.text(data, "message", loc) or _default_message(kind, when, require, data)
    return Rule(code, kind, message, when, require)


def _requirement(
    reader: Reader, data: Mapping[str, Any], loc: str, scope: Scope, kind: str
) -> Expr | None:
    if kind == "requires":
        return reader.expr(data, "then", loc, scope, "bool")
    if kind == "constraint":
        return reader.expr(data, "require", loc, scope, "bool")
    if kind == "excludes":
        return _excludes(reader, data, loc, scope)
    return _range(reader, data, loc, scope)


def _excludes(reader: Reader, data: Mapping[str, Any], loc: str, scope: Scope) -> Expr | None:
    raw = reader.items(data, "items", loc)
    if len(raw) < 2:
        reader.add(f"{loc}items", "list at least two things that exclude each other")
    items = [reader.parse(v, f"{loc}items[{i}]", scope, "bool") for i, v in enumerate(raw)]
    parsed = [item for item in items if item is not None]
    if len(parsed) < len(items) or len(parsed) < 2:
        return None
    source = "not (" + " and ".join(f"({item.source})" for item in parsed) + ")"
    node = Not(BoolOp("and", tuple(item.node for item in parsed)))
    return Expr(source, node, "bool", frozenset().union(*(item.groups for item in parsed)))


def _range(reader: Reader, data: Mapping[str, Any], loc: str, scope: Scope) -> Expr | None:
    value = reader.expr(data, "value", loc, scope, "num")
    low = reader.decimal(data, "low", loc)
    high = reader.decimal(data, "high", loc)
    if low is None and high is None:
        reader.add(f"{loc}low", "a range needs low, high or both", "missing")
    elif low is not None and high is not None and low > high:
        reader.add(f"{loc}high", f"must be at least low ({low}), got {high}", "out_of_range")
    if value is None or (low is None and high is None):
        return None
    tests: list[Node] = []
    sources = []
    if low is not None:
        tests.append(Compare("<=", Const(Fraction(low)), value.node))
        sources.append(f"{low} <= ({value.source})")
    if high is not None:
        tests.append(Compare("<=", value.node, Const(Fraction(high))))
        sources.append(f"({value.source}) <= {high}")
    node = tests[0] if len(tests) == 1 else BoolOp("and", tuple(tests))
    return Expr(" and ".join(sources), node, "bool", value.groups)


def _default_message(kind: str, when: Expr | None, require: Expr, data: Mapping[str, Any]) -> str:
    """A readable message for rules whose author gave none."""
    if kind == "requires":
        return f"{when} requires {require}"
    if kind == "excludes":
        return " and ".join(str(item) for item in data["items"]) + " cannot be combined"
    if kind == "range":
        text = f"{data['value']} must be within [{data.get('low', '')}, {data.get('high', '')}]"
    else:
        text = f"{require} must hold"
    return f"{text} when {when}" if when is not None else text


# --- BOM and routing ---------------------------------------------------------------------------


def _bom_line(
    reader: Reader,
    data: Mapping[str, Any],
    loc: str,
    scope: Scope,
    materials: Mapping[str, Material] | None,
) -> BomLineTemplate | None:
    reader.fields(data, loc, ("material", "quantity"), ("unit", "when", "scrap_factor"))
    material = reader.text(data, "material", loc)
    unit = _bom_unit(reader, data, loc, material, materials)
    quantity = reader.expr(data, "quantity", loc, scope, "num")
    when = reader.expr(data, "when", loc, scope, "bool")
    scrap = reader.decimal(data, "scrap_factor", loc, Decimal(0)) or Decimal(0)
    if not 0 <= scrap < 1:
        reader.add(f"{loc}scrap_factor", f"must be in [0, 1), got {scrap}", "out_of_range")
    if quantity is None or not material:
        return None
    return BomLineTemplate(material, quantity, unit, when, scrap)


def _bom_unit(
    reader: Reader,
    data: Mapping[str, Any],
    loc: str,
    material: str,
    materials: Mapping[str, Material] | None,
) -> str:
    unit = reader.text(data, "unit", loc)
    known = materials.get(material) if materials is not None else None
    if materials is not None and material and known is None:
        reader.add(f"{loc}material", f"unknown material {material!r}", "unknown_material")
    if known is not None and unit and unit != known.unit:
        reader.add(f"{loc}unit", f"material {material!r} is counted in {known.unit}, not {unit}")
    unit = unit or (known.unit if known is not None else "")
    if not unit and materials is None:
        reader.add(f"{loc}unit", "missing (no material list to take it from)", "missing")
    elif unit and unit not in UNITS:
        reader.add(f"{loc}unit", f"unknown unit {unit!r}; use one of {sorted(UNITS)}")
    return unit


def _step(
    reader: Reader,
    data: Mapping[str, Any],
    loc: str,
    scope: Scope,
    work_centers: Mapping[str, WorkCenter] | None,
) -> RoutingStepTemplate | None:
    reader.fields(
        data, loc, ("code", "name", "work_centers", "run_minutes"), ("setup_minutes", "when")
    )
    centers = reader.items(data, "work_centers", loc)
    if not centers and "work_centers" in data:
        reader.add(f"{loc}work_centers", "name at least one eligible work center", "missing")
    for center in centers:
        if work_centers is not None and center not in work_centers:
            reader.add(
                f"{loc}work_centers", f"unknown work center {center!r}", "unknown_work_center"
            )
    setup = reader.expr({"setup_minutes": 0, **data}, "setup_minutes", loc, scope, "num")
    run = reader.expr(data, "run_minutes", loc, scope, "num")
    when = reader.expr(data, "when", loc, scope, "bool")
    if setup is None or run is None or not centers:
        return None
    name = reader.text(data, "name", loc)
    code = reader.code(data, "code", loc)
    return RoutingStepTemplate(code, name, tuple(str(c) for c in centers), setup, run, when)


# --- shared reference data -----------------------------------------------------------------------


def parse_materials(data: object) -> dict[str, Material]:
    """Material definitions from a list of mappings; raise ``InvalidInput`` naming every problem."""
    reader = Reader()
    materials: dict[str, Material] = {}
    for index, item in enumerate(_list(reader, data, "materials")):
        loc = f"materials[{index}]."
        row = reader.mapping(item, loc[:-1])
        if row is None:
            continue
        reader.fields(row, loc, ("code", "name", "unit", "unit_cost"), ("lead_time_days",))
        code = reader.slug(row, "code", loc)
        unit = reader.text(row, "unit", loc)
        if unit not in UNITS:
            reader.add(f"{loc}unit", f"unknown unit {unit!r}; use one of {sorted(UNITS)}")
        if code in materials:
            reader.add(f"{loc}code", f"code {code!r} is used twice", "duplicate")
        cost, days = (
            _money(reader, row, "unit_cost", loc),
            _days(reader, row, "lead_time_days", loc),
        )
        materials[code] = Material(code, reader.text(row, "name", loc), unit, cost, days)
    reader.collector.raise_if_any("the material list is invalid")
    return materials


def parse_work_centers(data: object) -> dict[str, WorkCenter]:
    """Work centers from a list of mappings; raise ``InvalidInput`` naming every problem."""
    reader = Reader()
    centers: dict[str, WorkCenter] = {}
    for index, item in enumerate(_list(reader, data, "work_centers")):
        loc = f"work_centers[{index}]."
        row = reader.mapping(item, loc[:-1])
        if row is None:
            continue
        reader.fields(row, loc, ("code", "name"), ("machines", "hours_per_day"))
        code = reader.slug(row, "code", loc)
        machines = reader.integer(row, "machines", loc, default=1)
        reader.at_least(machines, 1, f"{loc}machines")
        hours = reader.number(row.get("hours_per_day", 16), f"{loc}hours_per_day")
        if not 0 < hours <= 24:
            reader.add(f"{loc}hours_per_day", f"must be in (0, 24], got {hours}", "out_of_range")
        if code in centers:
            reader.add(f"{loc}code", f"code {code!r} is used twice", "duplicate")
        centers[code] = WorkCenter(code, reader.text(row, "name", loc), machines, hours)
    reader.collector.raise_if_any("the work center list is invalid")
    return centers


def _list(reader: Reader, data: object, loc: str) -> list[Any]:
    if isinstance(data, list):
        return data
    reader.add(loc, "expected a list", "wrong_type")
    return []
