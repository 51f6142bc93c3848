"""What an MRP run answers: planned orders, reschedule messages, shortages, the records.

Every planned order and message carries its reason (the work orders, forecast or safety
stock it covers), so a planner — or the purchasing autopilot — can act on it and explain it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from openfab.catalog.results import JsonMixin

PegKind = Literal["WorkOrder", "Forecast", "SafetyStock", "PlannedOrder"]
OrderKind = Literal["Purchase", "Production"]
Action = Literal["Expedite", "Defer", "Cancel"]


@dataclass(frozen=True)
class Peg(JsonMixin):
    """A demand that a supply covers: a work order, a forecast, the safety stock or, one
    level down, a planned production order (``work_orders`` then names the orders above it).
    """

    kind: PegKind
    ref: str
    quantity: Decimal
    work_orders: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlannedOrder(JsonMixin):
    """A purchase (or, for ``Make`` materials, production) order MRP proposes.

    ``late`` is true when even releasing it today cannot meet the first need it covers.
    """

    id: str
    material: str
    kind: OrderKind
    supplier: str | None
    quantity: Decimal
    unit: str
    release: date
    due: date
    unit_price: Decimal
    value: Decimal
    pegs: tuple[Peg, ...]
    reason: str
    late: bool = False

    @property
    def work_orders(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w for p in self.pegs for w in p.work_orders))


@dataclass(frozen=True)
class RescheduleMessage(JsonMixin):
    """Move an open purchase order in (``Expedite``), out (``Defer``) or ``Cancel`` it."""

    action: Action
    purchase_order: str
    material: str
    supplier: str
    due: date
    new_due: date | None
    reason: str


@dataclass(frozen=True)
class Shortage(JsonMixin):
    """Material that will not be there when needed, and the work orders it stops.

    ``available`` is when the covering supply arrives (None: no supply at all).
    ``per_work_order`` splits ``quantity`` over the orders (one level down, a production
    order's share is split evenly over the work orders it serves).
    """

    material: str
    quantity: Decimal
    unit: str
    need: date
    available: date | None
    work_orders: tuple[str, ...]
    cause: str
    per_work_order: tuple[Decimal, ...] = ()


@dataclass(frozen=True)
class BucketRecord(JsonMixin):
    """One time bucket of a material's time-phased record (the classic MRP grid)."""

    start: date
    gross: Decimal
    scheduled_receipts: Decimal
    planned_receipts: Decimal
    projected: Decimal


@dataclass(frozen=True)
class MaterialRecord(JsonMixin):
    """A material's time-phased record: only buckets where something happens are listed."""

    material: str
    unit: str
    low_level_code: int
    on_hand: Decimal
    allocated: Decimal
    safety_stock: Decimal
    buckets: tuple[BucketRecord, ...]


@dataclass(frozen=True)
class MrpPlan(JsonMixin):
    """The answer of one MRP run."""

    today: date
    planned_orders: tuple[PlannedOrder, ...]
    messages: tuple[RescheduleMessage, ...]
    shortages: tuple[Shortage, ...]
    records: Mapping[str, MaterialRecord]

    @property
    def purchase_orders(self) -> tuple[PlannedOrder, ...]:
        return tuple(o for o in self.planned_orders if o.kind == "Purchase")

    @property
    def purchase_value(self) -> Decimal:
        return sum((o.value for o in self.purchase_orders), Decimal(0))
