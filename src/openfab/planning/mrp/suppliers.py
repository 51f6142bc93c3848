"""Suppliers as the netting sees them: quantities in the material's unit, capacity booked.

Each planned purchase is split over the offers: preferred suppliers that can deliver in
time first, each filling its per-period capacity backwards from the need date (earlier is
better than late); only what no capacity can deliver in time arrives late.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from openfab.planning.mrp.lotsize import multiple_down, multiple_up, round_up
from openfab.planning.mrp.model import SupplierItem
from openfab.planning.mrp.units import factor

ZERO = Decimal(0)
MAX_LATE_PERIODS = 520


@dataclass
class Offer:
    """One supplier item converted to the material's unit, with the capacity it has left."""

    supplier: str
    unit: str
    lead_time_days: int
    price: Decimal
    minimum_order: Decimal
    lot_multiple: Decimal
    capacity: Decimal | None
    period_days: int
    priority: int
    used: dict[int, Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    @classmethod
    def of(cls, item: SupplierItem, unit: str) -> Offer:
        to_material = factor(item.unit, unit)
        capacity = item.capacity_per_period
        return cls(
            supplier=item.supplier,
            unit=unit,
            lead_time_days=item.lead_time_days,
            price=item.price / to_material,
            minimum_order=item.minimum_order * to_material,
            lot_multiple=item.lot_multiple * to_material,
            capacity=None if capacity is None else capacity * to_material,
            period_days=item.period_days,
            priority=item.priority,
        )

    def period(self, day: int) -> int:
        return day // self.period_days

    def rounded(self, quantity: Decimal) -> Decimal:
        """``quantity`` raised to the minimum order and the next lot multiple."""
        return multiple_up(
            max(round_up(quantity, self.unit), self.minimum_order), self.lot_multiple
        )

    def fit(self, quantity: Decimal, period: int) -> Decimal:
        """The largest valid order up to ``quantity`` (rounded) that fits ``period``."""
        if self.capacity is None:
            return self.rounded(quantity)
        free = self.capacity - self.used[period]
        if free <= 0:
            return ZERO
        wanted = self.rounded(min(quantity, free))
        if wanted > free:
            wanted = multiple_down(free, self.lot_multiple)
        return wanted if wanted > 0 and wanted >= self.minimum_order else ZERO


@dataclass(frozen=True)
class Piece:
    """Part of a planned purchase: this offer delivers ``quantity`` on ``day``."""

    offer: Offer
    day: int
    quantity: Decimal


def split(offers: Sequence[Offer], quantity: Decimal, need_day: int) -> list[Piece]:
    """Spread ``quantity`` needed on ``need_day`` over the offers (see module docstring)."""
    ranked = sorted(
        offers,
        key=lambda o: (o.lead_time_days > need_day, o.priority, o.price, o.supplier),
    )
    pieces: list[Piece] = []
    remaining = quantity
    for offer in ranked:
        due = max(need_day, offer.lead_time_days)
        for period in range(offer.period(due), offer.period(offer.lead_time_days) - 1, -1):
            if remaining <= 0:
                break
            day = due if period == offer.period(due) else (period + 1) * offer.period_days - 1
            remaining -= _book(offer, max(day, offer.lead_time_days), period, remaining, pieces)
        if remaining <= 0:
            return pieces
    for late in range(1, MAX_LATE_PERIODS + 1):
        for offer in ranked:
            if remaining <= 0:
                return pieces
            period = offer.period(max(need_day, offer.lead_time_days)) + late
            remaining -= _book(offer, period * offer.period_days, period, remaining, pieces)
    if remaining > 0:  # beyond ten years of capacity: order anyway, it shows as late
        offer = ranked[0]
        day = max(need_day, offer.lead_time_days) + MAX_LATE_PERIODS * offer.period_days
        pieces.append(Piece(offer, day, offer.rounded(remaining)))
    return pieces


def _book(offer: Offer, day: int, period: int, wanted: Decimal, pieces: list[Piece]) -> Decimal:
    quantity = offer.fit(wanted, period)
    if quantity > 0:
        offer.used[period] += quantity
        pieces.append(Piece(offer, day, quantity))
    return quantity
