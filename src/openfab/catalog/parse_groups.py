"""Option groups and options from YAML-shaped data, with every problem named."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from openfab.catalog.definition import Option, OptionGroup
from openfab.catalog.expressions import Scope
from openfab.catalog.reader import Reader

MAX_NUMERIC_VALUES = 1000
"""A numeric group may offer at most this many values (each becomes a solver literal)."""

_COMMON = ("code", "kind")
_OPTIONAL: dict[str, tuple[str, ...]] = {
    "single": ("label", "required", "default", "options"),
    "multi": ("label", "required", "default", "options", "min_selected", "max_selected"),
    "numeric": (
        "label",
        "required",
        "default",
        "low",
        "high",
        "step",
        "unit",
        "price_per_unit",
        "lead_time_days_per_unit",
        "attributes",
    ),
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "single": ("options",),
    "multi": ("options",),
    "numeric": ("low", "high"),
}


def _loc(prefix: str, data: Mapping[str, Any] | None, index: int) -> str:
    code = data.get("code") if data is not None else None
    return f"{prefix}[{code if isinstance(code, str) and code else index}]."


def parse_groups(reader: Reader, raw: list[Any]) -> tuple[OptionGroup, ...]:
    """Parse every group; groups too broken to use are left out (their problems are noted)."""
    groups = []
    for index, item in enumerate(raw):
        data = reader.mapping(item, f"option_groups[{index}]")
        if data is not None:
            group = _group(reader, data, _loc("option_groups", data, index))
            if group is not None:
                groups.append(group)
    if not raw:
        reader.add("option_groups", "a product needs at least one option group", "missing")
    _check_names(reader, groups)
    return tuple(groups)


def _group(reader: Reader, data: Mapping[str, Any], loc: str) -> OptionGroup | None:
    kind = data.get("kind")
    if kind not in _OPTIONAL:
        reader.add(f"{loc}kind", f"must be single, multi or numeric, got {kind!r}", "bad_kind")
        return None
    reader.fields(data, loc, (*_COMMON, *_REQUIRED[kind]), _OPTIONAL[kind])
    code = reader.code(data, "code", loc)
    label = reader.text(data, "label", loc, default=code.replace("_", " ").capitalize())
    required = reader.flag(data, "required", loc, default=True)
    if kind == "numeric":
        return _numeric(reader, data, loc, code, label, required)
    options = _options(reader, reader.items(data, "options", loc), loc)
    if kind == "multi":
        return _multi(reader, data, loc, OptionGroup(code, label, "multi", required, options))
    default = data.get("default")
    if default is not None and default not in {o.code for o in options}:
        reader.add(f"{loc}default", f"{default!r} is not an option of this group", "unknown_option")
        default = None
    return OptionGroup(code, label, kind, required, options, default=default)


def _options(reader: Reader, raw: list[Any], loc: str) -> tuple[Option, ...]:
    options = []
    for index, item in enumerate(raw):
        data = reader.mapping(item, f"{loc}options[{index}]")
        if data is None:
            continue
        here = _loc(f"{loc}options", data, index)
        reader.fields(data, here, ("code",), ("label", "price", "lead_time_days", "attributes"))
        code = reader.code(data, "code", here)
        lead_time = reader.integer(data, "lead_time_days", here)
        reader.at_least(lead_time, 0, f"{here}lead_time_days")
        options.append(
            Option(
                code=code,
                label=reader.text(data, "label", here, default=code.replace("_", " ")),
                price=reader.decimal(data, "price", here, Decimal(0)) or Decimal(0),
                lead_time_days=lead_time,
                attributes=_attributes(reader, data, here),
            )
        )
    if not options:
        reader.add(f"{loc}options", "a choice group needs at least one option", "missing")
    return tuple(options)


def _attributes(reader: Reader, data: Mapping[str, Any], loc: str) -> dict[str, float]:
    raw = reader.mapping(data.get("attributes", {}), f"{loc}attributes") or {}
    attributes = {}
    for name, value in raw.items():
        if reader.code({"name": name}, "name", f"{loc}attributes.") == name:
            attributes[name] = reader.number(value, f"{loc}attributes.{name}")
    return attributes


def _multi(reader: Reader, data: Mapping[str, Any], loc: str, group: OptionGroup) -> OptionGroup:
    count = len(group.options)
    low = reader.integer(data, "min_selected", loc, default=1 if group.required else 0)
    high = reader.integer(data, "max_selected", loc, default=count)
    if group.required and low < 1:
        reader.add(f"{loc}min_selected", "a required group needs min_selected >= 1")
    if not group.required and low > 0:
        reader.add(f"{loc}min_selected", "min_selected > 0 makes the group required")
    if not 0 <= low <= high <= count:
        message = f"need 0 <= min_selected ({low}) <= max_selected ({high}) <= {count} options"
        reader.add(f"{loc}max_selected", message, "out_of_range")
    default = _multi_default(reader, data.get("default"), group, loc)
    return OptionGroup(
        group.code,
        group.label,
        "multi",
        group.required,
        group.options,
        min_selected=low,
        max_selected=high,
        default=default,
    )


def _multi_default(
    reader: Reader, raw: object, group: OptionGroup, loc: str
) -> tuple[str, ...] | None:
    if raw is None:
        return None
    codes = set(group.option_codes)
    if not isinstance(raw, list) or any(item not in codes for item in raw):
        reader.add(f"{loc}default", "must be a list of this group's options", "unknown_option")
        return None
    return tuple(raw)


def _numeric(
    reader: Reader, data: Mapping[str, Any], loc: str, code: str, label: str, required: bool
) -> OptionGroup:
    """A numeric group; with a bad range it is still returned (and the problem noted), so
    that expressions naming it do not add "unknown name" noise."""
    low = reader.decimal(data, "low", loc)
    high = reader.decimal(data, "high", loc)
    step = reader.decimal(data, "step", loc, Decimal(1))
    if low is None or high is None or step is None or not _range_ok(reader, loc, low, high, step):
        attributes = _attributes(reader, data, loc)
        return OptionGroup(code, label, "numeric", required, attributes=attributes)
    default = reader.decimal(data, "default", loc, low)
    if default is not None and not _on_grid(default, low, high, step):
        reader.add(f"{loc}default", f"{default} is not one of {low}..{high} step {step}")
    per_day = reader.decimal(data, "lead_time_days_per_unit", loc, Decimal(0))
    reader.at_least(per_day, 0, f"{loc}lead_time_days_per_unit")
    return OptionGroup(
        code,
        label,
        "numeric",
        required,
        low=low,
        high=high,
        step=step,
        default=default,
        unit=reader.text(data, "unit", loc) or None,
        price_per_unit=reader.decimal(data, "price_per_unit", loc, Decimal(0)) or Decimal(0),
        lead_time_days_per_unit=per_day or Decimal(0),
        attributes=_attributes(reader, data, loc),
    )


def _range_ok(reader: Reader, loc: str, low: Decimal, high: Decimal, step: Decimal) -> bool:
    problems = len(reader.collector.problems)
    if step <= 0:
        reader.add(f"{loc}step", f"must be positive, got {step}", "out_of_range")
    elif low > high:
        reader.add(f"{loc}high", f"must be at least low ({low}), got {high}", "out_of_range")
    elif (high - low) % step != 0:
        reader.add(f"{loc}high", f"high - low must be a whole number of steps of {step}")
    elif (high - low) / step >= MAX_NUMERIC_VALUES:
        reader.add(f"{loc}step", f"too fine: more than {MAX_NUMERIC_VALUES} values", "too_many")
    return len(reader.collector.problems) == problems


def _on_grid(value: Decimal, low: Decimal, high: Decimal, step: Decimal) -> bool:
    return low <= value <= high and (value - low) % step == 0


def _check_names(reader: Reader, groups: Sequence[OptionGroup]) -> None:
    """Codes are names in expressions, so groups, options and attributes must not collide."""
    names = Counter(g.code for g in groups if g.code)
    names.update(o.code for g in groups for o in g.options if o.code)
    for name, count in names.items():
        if count > 1:
            reader.add("option_groups", f"code {name!r} is used {count} times", "duplicate")
    attributes = {a for g in groups for a in (*g.attributes, *_option_attributes(g))}
    for name in sorted(attributes & names.keys()):
        reader.add("option_groups", f"attribute {name!r} clashes with a group or option code")


def _option_attributes(group: OptionGroup) -> set[str]:
    return {a for o in group.options for a in o.attributes}


def scope_of(groups: Sequence[OptionGroup]) -> Scope:
    """The names expressions of these groups may use."""
    return Scope(
        group_kinds={g.code: g.kind for g in groups},
        group_options={g.code: g.option_codes for g in groups},
        group_attributes={
            g.code: frozenset({*g.attributes, *_option_attributes(g)}) for g in groups
        },
    )
