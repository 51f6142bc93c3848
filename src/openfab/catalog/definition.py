"""What a configurable product is, as plain immutable data.

A :class:`ProductDefinition` is read from YAML by :func:`openfab.catalog.parsing.parse_product`,
which checks everything up front, so the engine can trust it: codes are unique, every name in
every expression resolves, numeric ranges are well-formed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any, Literal

from openfab.catalog.expressions import Expr

GroupKind = Literal["single", "multi", "numeric"]
RuleKind = Literal["requires", "excludes", "range", "constraint"]


@dataclass(frozen=True)
class Material:
    """A material definition (ISA-95 MaterialDefinition) that BOM lines consume."""

    code: str
    name: str
    unit: str
    unit_cost: Decimal
    lead_time_days: int


@dataclass(frozen=True)
class WorkCenter:
    """A group of interchangeable machines a routing step can run on."""

    code: str
    name: str
    machines: int
    hours_per_day: float


@dataclass(frozen=True)
class Option:
    """One choice in a group; ``attributes`` (weight, capacity…) feed rules and formulas."""

    code: str
    label: str
    price: Decimal = Decimal(0)
    lead_time_days: int = 0
    attributes: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class OptionGroup:
    """A question the customer answers: pick one, pick several, or give a number.

    Numeric groups take values ``low, low + step, …, high``; their ``attributes`` are per
    unit of the value (e.g. each shelf weighs 1.6 kg).
    """

    code: str
    label: str
    kind: GroupKind
    required: bool = True
    options: tuple[Option, ...] = ()
    min_selected: int = 0
    max_selected: int | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    step: Decimal | None = None
    default: str | Decimal | tuple[str, ...] | None = None
    unit: str | None = None
    price_per_unit: Decimal = Decimal(0)
    lead_time_days_per_unit: Decimal = Decimal(0)
    attributes: Mapping[str, float] = field(default_factory=dict)

    @property
    def values(self) -> tuple[Decimal, ...]:
        """Every value a numeric group accepts, lowest first."""
        if self.low is None or self.high is None or self.step is None:
            return ()
        count = int((self.high - self.low) / self.step) + 1
        return tuple(self.low + i * self.step for i in range(count))

    @property
    def option_codes(self) -> tuple[str, ...]:
        return tuple(o.code for o in self.options)


@dataclass(frozen=True)
class Rule:
    """``when`` → ``require``; the four kinds are sugar for that one shape.

    ``requires``: if A then B. ``excludes``: not all of A, B… ``range``: when C,
    low <= value <= high. ``constraint``: any condition, e.g. ``weight_kg <= 120``.
    """

    code: str
    kind: RuleKind
    message: str
    when: Expr | None
    require: Expr


@dataclass(frozen=True)
class BomLineTemplate:
    """A material and a formula for its quantity, included when ``when`` holds."""

    material: str
    quantity: Expr
    unit: str
    when: Expr | None = None
    scrap_factor: Decimal = Decimal(0)


@dataclass(frozen=True)
class RoutingStepTemplate:
    """A step that may run on any of ``work_centers``; times are formulas of the options."""

    code: str
    name: str
    work_centers: tuple[str, ...]
    setup_minutes: Expr
    run_minutes: Expr
    when: Expr | None = None


@dataclass(frozen=True)
class ProductDefinition:
    """A configurable product: its questions, its rules, and how to build any answer."""

    code: str
    name: str
    description: str
    family: str
    currency: str
    base_price: Decimal
    base_lead_time_days: int
    option_groups: tuple[OptionGroup, ...]
    rules: tuple[Rule, ...] = ()
    bom: tuple[BomLineTemplate, ...] = ()
    routing: tuple[RoutingStepTemplate, ...] = ()

    @cached_property
    def groups_by_code(self) -> Mapping[str, OptionGroup]:
        return {g.code: g for g in self.option_groups}

    @cached_property
    def option_group_of(self) -> Mapping[str, str]:
        """Option code → code of the group that offers it."""
        return {o.code: g.code for g in self.option_groups for o in g.options}

    @cached_property
    def options_by_code(self) -> Mapping[str, Option]:
        return {o.code: o for g in self.option_groups for o in g.options}


# The parsers live in ``parsing`` (which imports this module); these thin wrappers keep the
# public import path ``openfab.catalog.definition.parse_product`` without an import cycle.


def parse_product(
    data: Mapping[str, Any],
    *,
    materials: Mapping[str, Material] | None = None,
    work_centers: Mapping[str, WorkCenter] | None = None,
) -> ProductDefinition:
    """Check and convert one product document; raise ``InvalidInput`` naming every problem."""
    from openfab.catalog import parsing

    return parsing.parse_product(data, materials=materials, work_centers=work_centers)


def parse_materials(data: object) -> dict[str, Material]:
    """Material definitions from a list of mappings (see :mod:`openfab.catalog.parsing`)."""
    from openfab.catalog import parsing

    return parsing.parse_materials(data)


def parse_work_centers(data: object) -> dict[str, WorkCenter]:
    """Work centers from a list of mappings (see :mod:`openfab.catalog.parsing`)."""
    from openfab.catalog import parsing

    return parsing.parse_work_centers(data)
