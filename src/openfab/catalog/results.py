"""What the configurator answers, as immutable data with a JSON-ready ``to_dict``.

Money and quantities are ``Decimal`` here and strings in JSON ("1234.50"), so no float ever
rounds a price on its way to a browser or a database.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openfab.catalog.choices import ChoiceValue
from openfab.errors import Problem


def jsonable(value: object) -> Any:
    """Plain JSON types from dataclasses, Decimals, tuples and mappings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


class JsonMixin:
    """Adds ``to_dict`` to a result dataclass."""

    def to_dict(self) -> dict[str, Any]:
        """This result as JSON-ready plain data (Decimals as strings)."""
        result: dict[str, Any] = jsonable(self)
        return result


@dataclass(frozen=True)
class Violation(JsonMixin):
    """A rule the configuration breaks, with the message a customer should read."""

    rule: str
    message: str


@dataclass(frozen=True)
class Validation(JsonMixin):
    """``problems``: malformed choices; ``violations``: well-formed choices that break rules."""

    valid: bool
    problems: tuple[Problem, ...] = ()
    violations: tuple[Violation, ...] = ()


@dataclass(frozen=True)
class PriceLine(JsonMixin):
    """One line of the price: the base price, an option, or a numeric group's units."""

    code: str
    label: str
    amount: Decimal


@dataclass(frozen=True)
class BomLine(JsonMixin):
    """A material and quantity of the configured bill of materials (costed when known)."""

    material: str
    quantity: Decimal
    unit: str
    unit_cost: Decimal | None = None
    cost: Decimal | None = None


@dataclass(frozen=True)
class Operation(JsonMixin):
    """A routing step of the configured product, numbered 10, 20, 30… like ERP routings."""

    sequence: int
    code: str
    name: str
    work_centers: tuple[str, ...]
    setup_minutes: Decimal
    run_minutes: Decimal


@dataclass(frozen=True)
class ConfiguredProduct(JsonMixin):
    """A valid configuration exploded into price, lead time, BOM and routing."""

    product: str
    currency: str
    choices: Mapping[str, ChoiceValue]
    price: Decimal
    price_breakdown: tuple[PriceLine, ...]
    lead_time_days: int
    bom: tuple[BomLine, ...]
    routing: tuple[Operation, ...]
    attributes: Mapping[str, float]
    material_cost: Decimal | None = None

    def to_dict(self) -> dict[str, Any]:
        """As :meth:`JsonMixin.to_dict`; the JSON is built once (results are immutable and
        shared by the configurator's memo) and each caller gets its own copy."""
        text = self.__dict__.get("_json")
        if text is None:
            text = json.dumps(jsonable(self))
            object.__setattr__(self, "_json", text)
        result: dict[str, Any] = json.loads(text)
        return result


@dataclass(frozen=True)
class Reason(JsonMixin):
    """Why something is not possible: a rule (or group limit) code and its message."""

    code: str
    message: str


@dataclass(frozen=True)
class OptionStatus(JsonMixin):
    """Whether an option (or a numeric value) can still be chosen, and if not, why.

    ``conflicting_choices`` names the groups whose current answers take part in the conflict.
    """

    code: str
    possible: bool
    reasons: tuple[Reason, ...] = ()
    conflicting_choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupStatus(JsonMixin):
    """The options of one group given the other answers; numeric groups also get bounds."""

    group: str
    kind: str
    options: tuple[OptionStatus, ...]
    feasible_min: Decimal | None = None
    feasible_max: Decimal | None = None

    @property
    def possible(self) -> tuple[str, ...]:
        return tuple(o.code for o in self.options if o.possible)


@dataclass(frozen=True)
class OptionsLeft(JsonMixin):
    """Guided selling: what each group can still take without leading to a dead end.

    ``consistent`` is false when the answers so far already admit no valid product; then
    ``reasons`` says why, and each group shows which answers would repair it.
    """

    consistent: bool
    groups: tuple[GroupStatus, ...]
    reasons: tuple[Reason, ...] = ()
    conflicting_choices: tuple[str, ...] = ()

    def group(self, code: str) -> GroupStatus:
        for group in self.groups:
            if group.group == code:
                return group
        raise KeyError(code)
