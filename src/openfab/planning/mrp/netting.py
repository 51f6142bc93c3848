"""Net one material: requirements in need order against on-hand stock, open purchase
orders and, when those run out, new planned orders.

Supply is used first-in first-out by arrival: stock, then open orders by due date, then
planned orders. An open order that covers a need before it arrives gets an expedite message;
one first needed well after it arrives, a defer message; one nobody needs, a cancel message.
A need covered by supply arriving after it is a shortage naming its work orders.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from openfab.planning.mrp.explode import PRIORITY, Calendar, Requirement
from openfab.planning.mrp.lotsize import lot_size, round_up
from openfab.planning.mrp.model import LotSizing, PeriodOrderQuantity
from openfab.planning.mrp.results import Peg, PegKind
from openfab.planning.mrp.suppliers import Offer, split

ZERO = Decimal(0)
ON_HAND_BUCKET = -1

SupplyKind = Literal["OnHand", "Open", "Planned"]


@dataclass
class Supply:
    """Stock, an open purchase order or a planned order, and the demand it covers."""

    kind: SupplyKind
    ref: str
    bucket: int
    quantity: Decimal
    remaining: Decimal
    due_day: int = 0
    release_day: int = 0
    offer: Offer | None = None
    late_cause: str = ""
    covered: dict[tuple[PegKind, str], list[Decimal]] = field(default_factory=dict)
    served: dict[tuple[PegKind, str], tuple[str, ...]] = field(default_factory=dict)
    first_use: int | None = None

    def take(self, requirement: Requirement, quantity: Decimal, bucket: int) -> None:
        self.remaining -= quantity
        key = (requirement.kind, requirement.ref)
        total = self.covered.get(key)
        if total is None:
            self.covered[key] = [quantity]
            self.served[key] = requirement.work_orders
        else:
            total[0] += quantity
        if requirement.kind == "SafetyStock":
            return  # keeping safety stock never makes a receipt urgent
        if self.first_use is None or bucket < self.first_use:
            self.first_use = bucket

    @property
    def pegs(self) -> tuple[Peg, ...]:
        """The demand this supply covers, by kind and reference."""
        return tuple(
            Peg(kind, ref, total[0], self.served[(kind, ref)])
            for (kind, ref), total in sorted(self.covered.items())
        )


@dataclass(frozen=True)
class Late:
    """Part of a requirement covered by supply that arrives after the need."""

    need_bucket: int
    arrival_day: int
    quantity: Decimal
    work_orders: tuple[str, ...]
    kind: str
    cause: str


@dataclass
class Netting:
    """The state of netting one material (see module docstring)."""

    unit: str
    calendar: Calendar
    lot_sizing: LotSizing
    eoq: Decimal
    offers: Sequence[Offer]
    make_lead_time_days: int | None
    next_id: list[int]
    supplies: list[Supply] = field(default_factory=list)
    late: list[Late] = field(default_factory=list)
    gross: dict[int, Decimal] = field(default_factory=dict)

    def run(self, requirements: list[Requirement]) -> None:
        """Cover ``requirements`` in need order (work orders before forecasts before safety
        stock within a bucket), planning orders when the existing supply runs out."""
        bucket = self.calendar.bucket
        width = self.calendar.bucket_days
        requirements.sort(key=lambda r: (r.day // width, PRIORITY[r.kind], r.day, r.ref))
        left: dict[int, Decimal] = defaultdict(Decimal)
        for r in requirements:
            b = bucket(r.day)
            left[b] += r.quantity
            if r.kind != "SafetyStock":
                self.gross[b] = self.gross.get(b, ZERO) + r.quantity
        buckets = sorted(left)
        cursor = 0
        for r in requirements:
            b = bucket(r.day)
            left[b] -= r.quantity
            need = r.quantity
            while need > 0:
                if cursor == len(self.supplies):
                    self._plan(b, need + left[b], self._later_net(b, buckets, left))
                supply = self.supplies[cursor]
                take = need if need <= supply.remaining else supply.remaining
                supply.take(r, take, b)
                need -= take
                if supply.bucket > b and r.kind != "SafetyStock":
                    self._record_late(r, b, supply, take)
                if supply.remaining <= 0:
                    cursor += 1

    def _later_net(self, b: int, buckets: list[int], left: dict[int, Decimal]) -> Decimal:
        """What the period-order window after bucket ``b`` needs (all supply is used up)."""
        if not isinstance(self.lot_sizing, PeriodOrderQuantity):
            return ZERO
        end = b + self.lot_sizing.periods
        first = bisect.bisect_right(buckets, b)
        last = bisect.bisect_left(buckets, end)
        return sum((left[k] for k in buckets[first:last]), ZERO)

    def _plan(self, b: int, net: Decimal, later_net: Decimal) -> None:
        quantity = round_up(lot_size(self.lot_sizing, net, later_net, self.eoq), self.unit)
        need_day = self.calendar.start(b)
        if self.make_lead_time_days is not None:
            self._add_make(need_day, quantity, self.make_lead_time_days)
            return
        for piece in sorted(split(self.offers, quantity, need_day), key=lambda p: p.day):
            cause = self._late_cause(piece.offer, need_day, piece.day)
            self._add(piece.day, piece.quantity, piece.offer.lead_time_days, piece.offer, cause)

    def _add_make(self, need_day: int, quantity: Decimal, lead: int) -> None:
        day = max(need_day, lead)
        cause = f"production lead time {lead} days" if day > need_day else ""
        self._add(day, quantity, lead, None, cause)

    def _add(self, day: int, quantity: Decimal, lead: int, offer: Offer | None, cause: str) -> None:
        self.next_id[0] += 1
        self.supplies.append(
            Supply(
                kind="Planned",
                ref=f"PL-{self.next_id[0]:05d}",
                bucket=self.calendar.arrival_bucket(day),
                quantity=quantity,
                remaining=quantity,
                due_day=day,
                release_day=day - lead,
                offer=offer,
                late_cause=cause,
            )
        )

    def _late_cause(self, offer: Offer, need_day: int, day: int) -> str:
        if day <= need_day:
            return ""
        if offer.lead_time_days > need_day:
            earliest = self.calendar.date(offer.lead_time_days)
            lead = offer.lead_time_days
            return f"lead time of {offer.supplier} is {lead} days (earliest {earliest})"
        return f"capacity of {offer.supplier} is booked until {self.calendar.date(day)}"

    def _record_late(self, r: Requirement, b: int, supply: Supply, quantity: Decimal) -> None:
        if not supply.late_cause:
            arrives = self.calendar.date(supply.due_day)
            supply.late_cause = (
                f"open purchase order {supply.ref} arrives {arrives}"
                if supply.kind == "Open"
                else "arrives after the need"
            )
        cause = supply.late_cause
        self.late.append(Late(b, supply.due_day, quantity, r.work_orders, r.kind, cause))
