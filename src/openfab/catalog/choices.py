"""A customer's choices, checked and turned into the engine's :class:`Selection`.

Choices arrive from forms and JSON, keyed by group code: an option code for a single-choice
group, a list of codes for a multi-choice group, a number for a numeric group. Every problem
is named at once, so a form can mark all bad fields in one round trip.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from openfab.catalog.definition import OptionGroup, ProductDefinition
from openfab.catalog.reader import to_decimal
from openfab.errors import Problem

ChoiceValue = str | Sequence[str] | int | float | Decimal | None
"""An option code, a list of codes, or a number; ``None`` answers an optional group "none"."""
Choices = Mapping[str, object]
"""Choices as they arrive (untrusted: every value is checked, wrong types are problems)."""


@dataclass(frozen=True)
class Selection:
    """Which options are selected and which numbers given; ``decided`` groups were answered."""

    options: frozenset[str] = frozenset()
    numbers: Mapping[str, Fraction] = field(default_factory=dict)
    decided: frozenset[str] = frozenset()


def read_choices(
    definition: ProductDefinition, choices: object, *, partial: bool = False
) -> tuple[Selection, list[Problem]]:
    """Check ``choices``; a full configuration fills unanswered optional groups with defaults.

    With ``partial`` an unanswered (or ``None``) group stays open, a multi-choice list means
    "at least these", and too few selections are not yet a problem.
    """
    if not isinstance(choices, Mapping):
        message = "expected a mapping of group code to choice"
        return Selection(), [Problem("choices", message, "wrong_type")]
    known = definition.groups_by_code
    problems = [_unknown_group(definition, key) for key in choices if key not in known]
    options: set[str] = set()
    numbers: dict[str, Fraction] = {}
    decided: set[str] = set()
    for group in definition.option_groups:
        loc = f"choices.{group.code}"
        if partial and choices.get(group.code) is None:
            continue  # unanswered (forms send null for a blank field)
        value = choices[group.code] if group.code in choices else _default(group)
        if value is None and group.required:
            problems.append(Problem(loc, "missing: this group is required", "missing"))
            continue
        found = _read(definition, group, value, loc, partial)
        problems.extend(found)
        if not found:
            decided.add(group.code)
            _store(group, value, options, numbers)
    return Selection(frozenset(options), numbers, frozenset(decided)), problems


def _read(
    definition: ProductDefinition, group: OptionGroup, value: object, loc: str, partial: bool
) -> list[Problem]:
    if group.kind == "single":
        return [] if value is None else _check_option(definition, group, value, loc)
    if group.kind == "multi":
        return _check_multi(definition, group, value, loc, partial)
    return _check_number(group, value, loc)


def _default(group: OptionGroup) -> object:
    if group.required:
        return None
    if group.kind == "multi":
        return list(group.default or ())  # type: ignore[arg-type]
    return group.default


def _store(
    group: OptionGroup, value: object, options: set[str], numbers: dict[str, Fraction]
) -> None:
    if group.kind == "numeric":
        numbers[group.code] = _number(value if value is not None else group.default) or Fraction(0)
    elif isinstance(value, str):
        options.add(value)
    elif isinstance(value, list | tuple):
        options.update(value)


def _unknown_group(definition: ProductDefinition, key: object) -> Problem:
    owner = definition.option_group_of.get(key) if isinstance(key, str) else None
    hint = f"; {key!r} is an option of group {owner!r}" if owner else ""
    return Problem(f"choices.{key}", f"unknown option group{hint}", "unknown_group")


def _check_option(
    definition: ProductDefinition, group: OptionGroup, value: object, loc: str
) -> list[Problem]:
    if not isinstance(value, str):
        return [Problem(loc, f"expected an option code, got {type(value).__name__}", "wrong_type")]
    if value in group.option_codes:
        return []
    owner = definition.option_group_of.get(value)
    if owner is not None:
        return [Problem(loc, f"{value!r} is an option of group {owner!r}", "unknown_option")]
    choices = ", ".join(group.option_codes)
    return [Problem(loc, f"unknown option {value!r}; choose from {choices}", "unknown_option")]


def _check_multi(
    definition: ProductDefinition, group: OptionGroup, value: object, loc: str, partial: bool
) -> list[Problem]:
    if value is None:
        value = []
    if not isinstance(value, list | tuple):
        message = f"expected a list of option codes, got {type(value).__name__}"
        return [Problem(loc, message, "wrong_type")]
    problems = [p for item in value for p in _check_option(definition, group, item, loc)]
    duplicates = sorted({str(v) for v in value if value.count(v) > 1})
    if duplicates:
        message = f"chosen more than once: {', '.join(duplicates)}"
        problems.append(Problem(loc, message, "duplicate"))
    if len(value) < group.min_selected and not partial:
        problems.append(Problem(loc, f"choose at least {group.min_selected}", "too_few"))
    if group.max_selected is not None and len(set(map(str, value))) > group.max_selected:
        problems.append(Problem(loc, f"choose at most {group.max_selected}", "too_many"))
    return problems


def _check_number(group: OptionGroup, value: object, loc: str) -> list[Problem]:
    """Numbers, or numeric text as JSON clients send decimals ("2.5")."""
    if value is None:
        return []
    number = _number(value)
    if number is None:
        message = f"expected a number, got {type(value).__name__} {value!r}"
        return [Problem(loc, message, "wrong_type")]
    low, high, step = (Fraction(v) for v in (group.low, group.high, group.step) if v is not None)
    problems = []
    if not low <= number <= high:
        message = f"must be between {group.low} and {group.high}"
        problems.append(Problem(loc, message, "out_of_range"))
    if (number - low) % step:
        message = f"must be {group.low} plus a multiple of {group.step}"
        problems.append(Problem(loc, message, "off_step"))
    return problems


def _number(value: object) -> Fraction | None:
    """An exact fraction from an int, a float (by its repr), a Decimal or numeric text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return Fraction(repr(value)) if math.isfinite(value) else None
    if isinstance(value, str):
        value = to_decimal(value.strip())
    if isinstance(value, Decimal) and value.is_finite():
        return Fraction(value)
    return Fraction(value) if isinstance(value, int) else None


def normalized(definition: ProductDefinition, selection: Selection) -> dict[str, ChoiceValue]:
    """The choices of a selection in canonical form: one entry per decided group, in order."""
    result: dict[str, ChoiceValue] = {}
    for group in definition.option_groups:
        if group.code not in selection.decided:
            continue
        chosen = tuple(c for c in group.option_codes if c in selection.options)
        if group.kind == "numeric":
            result[group.code] = number_out(selection.numbers[group.code])
        elif group.kind == "multi":
            result[group.code] = chosen
        elif chosen:
            result[group.code] = chosen[0]
        elif group.default is not None:
            result[group.code] = None  # "none", which leaving the group out would not say
    return result


def number_out(value: Fraction) -> int | Decimal:
    """A numeric choice as an ``int`` when whole, else an exact ``Decimal``."""
    if value.denominator == 1:
        return int(value)
    return Decimal(value.numerator) / Decimal(value.denominator)
