"""Promise dates: a capacity-aware estimate, or a fixed quoted lead time (the scheduler
replaces either once it plans the order).

Capacity (the default): the order waits for its material (available-to-promise: nothing
when the stores can cover its bill of materials after what open orders already need, else
the longest lead time of the materials that are short; the product's and options' lead
times only when the plant keeps no stock records at all — :func:`material_wait_days`), then
queues behind the open load at each work center its routing visits; the
bottleneck sets the production days. An express order jumps the queue: it waits only behind
the other express orders' load, so it is promised the earliest the plant can do with
priority.

Fixed (what a plant without a capacity model quotes): order time + a fixed lead time,
shorter for express, whatever the load.

Pure: load, capacity and policy come in, a date goes out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from openfab.errors import ProblemCollector

SHIPPING_DAYS = 1

QuoteKind = Literal["capacity", "fixed"]
QUOTES: tuple[QuoteKind, ...] = ("capacity", "fixed")
DEFAULT_FIXED_LEAD_DAYS = 5
DEFAULT_FIXED_EXPRESS_DAYS = 2


@dataclass(frozen=True)
class PromisePolicy:
    """How the order desk quotes promise dates.

    ``quote="capacity"``: the capacity-aware estimate (express: with priority).
    ``quote="fixed"``: order time + ``fixed_lead_days`` (express: ``fixed_express_days``)
    + ``SHIPPING_DAYS``, ignoring load and material.
    """

    quote: QuoteKind = "capacity"
    fixed_lead_days: int = DEFAULT_FIXED_LEAD_DAYS
    fixed_express_days: int = DEFAULT_FIXED_EXPRESS_DAYS

    def __post_init__(self) -> None:
        errors = ProblemCollector()
        if self.quote not in QUOTES:
            errors.add("quote", f"must be 'capacity' or 'fixed', got {self.quote!r}")
        for name in ("fixed_lead_days", "fixed_express_days"):
            days = getattr(self, name)
            if not isinstance(days, int) or isinstance(days, bool) or days < 0:
                errors.add(name, f"must be whole days >= 0, got {days!r}")
        errors.raise_if_any("invalid promise policy")
        if self.fixed_express_days > self.fixed_lead_days:
            errors.add(
                "fixed_express_days",
                f"express ({self.fixed_express_days} days) must not be slower than standard "
                f"({self.fixed_lead_days} days)",
            )
        errors.raise_if_any("invalid promise policy")

    @classmethod
    def capacity(cls) -> PromisePolicy:
        return cls("capacity")

    @classmethod
    def fixed(
        cls,
        lead_days: int = DEFAULT_FIXED_LEAD_DAYS,
        express_days: int = DEFAULT_FIXED_EXPRESS_DAYS,
    ) -> PromisePolicy:
        return cls("fixed", lead_days, express_days)


@dataclass(frozen=True)
class CapacityView:
    """Minutes per day each work center can work, and minutes already promised to open orders
    (``express_load``: the part of ``open_load`` that belongs to express orders)."""

    minutes_per_day: Mapping[str, float]
    open_load: Mapping[str, float]
    express_load: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class MaterialSupply:
    """One material as the stores see it: what a new order can still have (on hand less
    what is reserved and what open orders need; may be negative), in ``unit``, and how many
    days buying more takes."""

    available: Decimal
    unit: str
    lead_time_days: int


def material_wait_days(
    needs: Mapping[str, tuple[Decimal, str]],
    supply: Mapping[str, MaterialSupply],
    fallback_days: int,
) -> int:
    """Days before an order's material is there (available-to-promise).

    ``needs``: the order's whole quantity per material ``(quantity, unit)``. No wait when
    every material is covered; otherwise the longest lead time among the short ones. Without
    any stock information (``supply`` empty) the order waits ``fallback_days`` (the product's
    quoted lead time); a material the stores do not know, or count in another unit, is
    treated as short by ``fallback_days`` too.
    """
    if not needs:
        return 0
    if not supply:
        return fallback_days
    wait = 0
    for material, (quantity, unit) in needs.items():
        known = supply.get(material)
        if known is None or known.unit != unit:
            wait = max(wait, fallback_days)
        elif quantity > known.available:
            wait = max(wait, known.lead_time_days)
    return wait


@dataclass(frozen=True)
class Promise:
    promise_date: datetime
    material_days: int
    production_days: int
    bottleneck: str | None
    quote: QuoteKind = "capacity"


def estimate_promise(
    *,
    now: datetime,
    load: Mapping[str, float],
    capacity: CapacityView,
    material_days: int,
    express: bool = False,
) -> Promise:
    """``load`` is this order's minutes per work center. An express order queues only behind
    the open express load (never more than the whole open load)."""
    busiest, bottleneck = 0.0, None
    for center, minutes in load.items():
        per_day = capacity.minutes_per_day.get(center, 0.0)
        if per_day <= 0:
            continue
        ahead = capacity.open_load.get(center, 0.0)
        if express:
            ahead = min(ahead, capacity.express_load.get(center, 0.0))
        days = (ahead + minutes) / per_day
        if days > busiest:
            busiest, bottleneck = days, center
    production_days = math.ceil(busiest)
    total = material_days + max(production_days, 1) + SHIPPING_DAYS
    return Promise(now + timedelta(days=total), material_days, production_days, bottleneck)


def fixed_promise(*, now: datetime, policy: PromisePolicy, express: bool = False) -> Promise:
    """The quoted lead time of ``policy`` (express or standard) plus shipping, from ``now``."""
    days = policy.fixed_express_days if express else policy.fixed_lead_days
    return Promise(now + timedelta(days=days + SHIPPING_DAYS), 0, days, None, "fixed")


def quote_promise(
    *,
    now: datetime,
    load: Mapping[str, float],
    capacity: CapacityView,
    material_days: int,
    express: bool = False,
    policy: PromisePolicy | None = None,
) -> Promise:
    """The promise ``policy`` quotes (default: the capacity-aware estimate)."""
    policy = policy or PromisePolicy()
    if policy.quote == "fixed":
        return fixed_promise(now=now, policy=policy, express=express)
    return estimate_promise(
        now=now, load=load, capacity=capacity, material_days=material_days, express=express
    )
