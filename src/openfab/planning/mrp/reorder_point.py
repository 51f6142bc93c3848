"""Reorder-point purchasing, the classic ERP rule (the non-AI baseline MRP is measured
against): pure, typed, no I/O.

Per material, the *inventory position* is on hand + on order − allocated. When it is at or
below the *reorder point* — average daily use × (supplier lead time + safety days), or
average daily use × lead time + a fixed safety stock when one is given — the policy orders
up to the reorder point plus ``cover_days`` of use, rounded up to the supplier's minimum
order and lot multiple. It looks at no order book and no forecast: only the past average.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from openfab.errors import InvalidInput, Problem, ProblemCollector


@dataclass(frozen=True)
class ReorderPolicy:
    """How much buffer and how much per order, in days of average use."""

    safety_days: float = 3.0
    cover_days: float = 7.0

    def __post_init__(self) -> None:
        errors = ProblemCollector()
        for name in ("safety_days", "cover_days"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                errors.add(name, f"must be a finite number >= 0, got {value}")
        errors.raise_if_any("invalid reorder policy")


@dataclass(frozen=True)
class StockPosition:
    """One material as the policy sees it (quantities in the material's unit)."""

    material: str
    daily_use: float
    lead_time_days: float
    on_hand: float
    on_order: float = 0.0
    allocated: float = 0.0
    safety_stock: float | None = None
    """A fixed safety stock; None: ``daily_use × safety_days`` of the policy."""
    supplier: str | None = None
    minimum_order: float = 0.0
    lot_multiple: float = 0.0

    def __post_init__(self) -> None:
        problems = position_problems(self)
        if problems:
            raise InvalidInput(f"invalid stock position of {self.material!r}", problems)

    @property
    def inventory_position(self) -> float:
        return self.on_hand + self.on_order - self.allocated


@dataclass(frozen=True)
class ReorderOrder:
    """An order the rule places: ``quantity`` of ``material`` from ``supplier``."""

    material: str
    quantity: float
    supplier: str | None
    reorder_point: float
    inventory_position: float


def position_problems(p: StockPosition) -> list[Problem]:
    """Every problem of one stock position (all named at once)."""
    loc = f"material {p.material}" if p.material else "material"
    problems = [] if p.material else [Problem("material", "must not be empty", "missing")]
    values = {
        "daily_use": p.daily_use,
        "lead_time_days": p.lead_time_days,
        "on_order": p.on_order,
        "allocated": p.allocated,
        "minimum_order": p.minimum_order,
        "lot_multiple": p.lot_multiple,
    }
    if p.safety_stock is not None:
        values["safety_stock"] = p.safety_stock
    for name, value in values.items():
        if not math.isfinite(value) or value < 0:
            problems.append(Problem(f"{loc}.{name}", f"must be a finite number >= 0, got {value}"))
    if not math.isfinite(p.on_hand):  # on hand may be negative (a backlog), never NaN
        problems.append(Problem(f"{loc}.on_hand", f"must be finite, got {p.on_hand}"))
    return problems


def reorder_point(position: StockPosition, policy: ReorderPolicy) -> float:
    """Average use over the lead time plus the safety stock."""
    safety = position.safety_stock
    if safety is None:
        safety = position.daily_use * policy.safety_days
    return position.daily_use * position.lead_time_days + safety


def order_quantity(position: StockPosition, policy: ReorderPolicy, point: float) -> float:
    """Up to the reorder point plus ``cover_days`` of use, at least the supplier's minimum,
    in whole lot multiples."""
    wanted = point + policy.cover_days * position.daily_use - position.inventory_position
    wanted = max(wanted, position.minimum_order)
    if position.lot_multiple > 0:
        wanted = math.ceil(wanted / position.lot_multiple - 1e-9) * position.lot_multiple
    return wanted


def reorder(positions: Iterable[StockPosition], policy: ReorderPolicy) -> list[ReorderOrder]:
    """The orders to place now: one per material whose inventory position is at or below its
    reorder point (materials nobody uses are never bought)."""
    out = []
    for position in positions:
        point = reorder_point(position, policy)
        if position.daily_use <= 0 or position.inventory_position > point:
            continue
        quantity = order_quantity(position, policy, point)
        if quantity > 0:
            out.append(
                ReorderOrder(
                    position.material,
                    quantity,
                    position.supplier,
                    point,
                    position.inventory_position,
                )
            )
    return out
