"""Material in the demo: the opening stock, what each planner buys, and the stock keeper who
books into the platform every lot the twin receives and every lot it draws from.

Both runs of ``--compare`` start from the same opening stock: the expected use of every
material a supplier sells over its lead time plus ``opening_days``, booked as a receipt at
the start so the platform and the twin agree. After that nothing is conjured; only a
material no supplier sells is still received on demand by the twin (``auto_stock``), and
booked like any lot.
OpenFab buys with the purchasing autopilot (MRP over the open orders, released within its
limits); the baseline by reorder point on the expected daily use. Every order goes to the
twin as a purchase order due after its supplier's lead time (the twin's supplier is late or
early), and each lot that arrives becomes a goods receipt, so genealogy's lots are the
platform's lots.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from openfab.autopilot.purchasing import PurchasingAutopilot
from openfab.catalog.definition import ProductDefinition
from openfab.catalog.service import CatalogService
from openfab.demo.brands import random_choices
from openfab.errors import Infeasible, InvalidInput, OpenFabError, Problem
from openfab.identity.actor import Actor
from openfab.planning.mrp.reorder_point import ReorderPolicy, StockPosition, reorder
from openfab.planning.mrp.schemas import GoodsReceipt, MoveCreate, MoveKind
from openfab.planning.mrp.service import MaterialService
from openfab.twin import MaterialLotArrived, OperationStarted, PurchaseOrder, TwinEvent

log = logging.getLogger(__name__)
STORES = Actor.system("stores")
DAY = 1440.0
"""Minutes per day: the twin's purchase orders are due a lead time of days after release."""
PLACES = Decimal("0.0001")
ORDER_QUANTITIES = (1, 1, 1, 2)
"""Units per customer order, as the demo's customers order them."""


@dataclass(frozen=True)
class Source:
    """A supplier item the demo buys from (quantities in the material's unit)."""

    supplier: str
    lead_time_days: int
    price: float
    minimum_order: float
    lot_multiple: float


@dataclass(frozen=True)
class Sources:
    """Each material's preferred source, and every (supplier, material) lead time."""

    preferred: Mapping[str, Source]
    lead_days: Mapping[tuple[str, str], int]

    def price(self, material: str) -> float:
        source = self.preferred.get(material)
        return source.price if source is not None else 0.0


def load_sources(materials: MaterialService) -> Sources:
    """The active suppliers' items: the preferred one per material is the lowest priority
    number, then the cheapest (the express distributor is the second source)."""
    best: dict[str, tuple[tuple[int, Decimal, str], Source]] = {}
    lead: dict[tuple[str, str], int] = {}
    for supplier in materials.suppliers(STORES):
        if not supplier.active:
            continue
        for item in supplier.items:
            lead[(item.supplier, item.material)] = item.lead_time_days
            rank = (item.priority, item.price, item.supplier)
            known = best.get(item.material)
            if known is None or rank < known[0]:
                source = Source(
                    item.supplier,
                    item.lead_time_days,
                    float(item.price),
                    float(item.minimum_order),
                    float(item.lot_multiple),
                )
                best[item.material] = (rank, source)
    return Sources({m: s for m, (_, s) in sorted(best.items())}, lead)


def expected_use(
    catalog: CatalogService,
    customers: Sequence[tuple[Actor, str]],
    definitions: Mapping[tuple[str, str], ProductDefinition],
    *,
    orders_per_day: float,
    seed: int,
    samples: int = 120,
) -> dict[str, float]:
    """Material per day at ``orders_per_day``: the mean configured BOM of ``samples`` random
    customer wishes (a stream of its own, so the run's orders stay the same) times the mean
    order quantity — the planner's master data for opening stock and reorder points."""
    problems = []
    if samples < 1:
        problems.append(Problem("samples", f"must be >= 1, got {samples}"))
    if not orders_per_day >= 0:
        problems.append(Problem("orders_per_day", f"must be >= 0, got {orders_per_day}"))
    if not customers:
        problems.append(Problem("customers", "there is no customer to sample", "missing"))
    if problems:
        raise InvalidInput("cannot estimate material use", problems)
    rng = random.Random(f"expected-use-{seed}")
    total: defaultdict[str, float] = defaultdict(float)
    for _ in range(samples):
        customer, code = rng.choice(customers)
        definition = definitions[(customer.require_tenant(), code)]
        try:
            configured = catalog.complete(customer, code, random_choices(definition, rng))
        except (Infeasible, InvalidInput):
            configured = catalog.complete(customer, code, {})
        for line in configured.bom:
            total[line.material] += float(line.quantity)
    per_order = sum(ORDER_QUANTITIES) / len(ORDER_QUANTITIES) * orders_per_day / samples
    return {m: q * per_order for m, q in sorted(total.items())}


def opening_stock(
    use: Mapping[str, float], sources: Sources, *, days: float, minute: float = 0.0
) -> list[PurchaseOrder]:
    """Expected use of every material a supplier sells, on hand at ``minute``, over its
    preferred supplier's lead time plus ``days``: a plant in steady state holds what lasts
    until an order placed today arrives (a purchase order due when placed is stock on hand).
    Negative ``days`` start the plant short."""
    out = []
    for material, rate in use.items():
        source = sources.preferred.get(material)
        if source is None:
            continue
        quantity = round(rate * max(0.0, source.lead_time_days + days), 3)
        if quantity > 0:
            out.append(
                PurchaseOrder(f"OPEN-{material}", material, quantity, due=minute, ordered_at=minute)
            )
    return out


class Storeroom:
    """The platform's stock keeper: books each lot the twin receives (a goods receipt when
    a platform purchase order brought it) and each lot an operation draws (an issue to the
    customer order), and keeps the platform's balances for the buyers."""

    def __init__(self, materials: MaterialService, units: Mapping[str, str]) -> None:
        self.materials = materials
        self.units = units
        self.lots: dict[tuple[str, str], Decimal] = {}
        self.on_hand: defaultdict[str, Decimal] = defaultdict(Decimal)
        self.received: defaultdict[str, Decimal] = defaultdict(Decimal)
        self.issued: defaultdict[str, Decimal] = defaultdict(Decimal)
        self.platform_orders: dict[str, str] = {}
        """Twin purchase order id → the platform's purchase order id (MRP's orders)."""
        self.open: dict[str, tuple[str, float]] = {}
        """Twin purchase order id → (material, quantity not arrived yet)."""
        self.unbooked = 0
        """Issues from a lot the platform never received (should stay 0)."""

    def ordered(self, orders: Sequence[PurchaseOrder]) -> None:
        for po in orders:
            self.open[po.id] = (po.material, po.quantity)

    def on_order(self, material: str) -> float:
        return sum(q for m, q in self.open.values() if m == material)

    def value(self, prices: Sources) -> float:
        """What the stock on hand is worth at the preferred suppliers' prices."""
        return sum(float(q) * prices.price(m) for m, q in self.on_hand.items())

    def book(self, events: Sequence[TwinEvent], order_of: Callable[[str], str | None]) -> None:
        """Receipts first, then the issues of the operations that started (``order_of``:
        twin work order → the customer order it builds)."""
        for event in events:
            if isinstance(event, MaterialLotArrived):
                self._receive(event)
        moves = [
            move
            for event in events
            if isinstance(event, OperationStarted) and event.lots
            for move in self._issues(event, order_of(event.work_order))
        ]
        self.materials.book(STORES, moves)

    def _receive(self, event: MaterialLotArrived) -> None:
        quantity = Decimal(repr(event.quantity)).quantize(PLACES)
        if quantity <= 0:
            return
        po = event.purchase_order
        if not self._goods_receipt(po, event, quantity):
            why = f"purchase order {po}" if po else "received on demand (no supplier)"
            self.materials.move(
                STORES, self._move(MoveKind.RECEIVE, event.material, event.lot, quantity, why)
            )
        self._arrived(event, quantity)

    def _goods_receipt(self, po: str | None, event: MaterialLotArrived, quantity: Decimal) -> bool:
        """Receive against the platform's purchase order, when one brought the lot; False
        when none did (opening stock, the baseline's orders, material received on demand)
        or the order no longer takes receipts (then it is booked as a plain receipt)."""
        platform_po = self.platform_orders.get(po or "")
        if platform_po is None:
            return False
        try:
            self.materials.receive(
                STORES, platform_po, GoodsReceipt(quantity=quantity, lot=event.lot)
            )
        except OpenFabError as exc:
            log.warning("goods receipt of lot %s refused: %s", event.lot, exc)
            return False
        return True

    def _arrived(self, event: MaterialLotArrived, quantity: Decimal) -> None:
        po = event.purchase_order
        if po in self.open:
            material, left = self.open[po]
            left -= event.quantity
            if left <= 1e-9:
                del self.open[po]
            else:
                self.open[po] = (material, left)
        key = (event.material, event.lot)
        self.lots[key] = self.lots.get(key, Decimal(0)) + quantity
        self.on_hand[event.material] += quantity
        self.received[event.material] += quantity

    def _issues(self, event: OperationStarted, order_id: str | None) -> list[MoveCreate]:
        moves = []
        for use in event.lots:
            key = (use.material, use.lot)
            held = self.lots.get(key)
            if held is None or order_id is None:
                self.unbooked += 1
                continue
            quantity = min(Decimal(repr(use.quantity)).quantize(PLACES), held)
            if quantity <= 0:
                continue
            self.lots[key] = held - quantity
            self.on_hand[use.material] -= quantity
            self.issued[use.material] += quantity
            move = self._move(MoveKind.ISSUE, use.material, use.lot, quantity, event.operation)
            moves.append(move.model_copy(update={"order_id": order_id}))
        return moves

    def _move(
        self, kind: MoveKind, material: str, lot: str, quantity: Decimal, why: str
    ) -> MoveCreate:
        return MoveCreate(
            kind=kind,
            material=material,
            lot=lot,
            quantity=quantity,
            unit=self.units.get(material, "pcs"),
            reason=why[:200],
        )


class Buyer(Protocol):
    """Decides, once per planning cycle, what to order; returns the twin's purchase orders."""

    def buy(self, now: datetime, minute: float) -> list[PurchaseOrder]: ...


class MrpBuyer:
    """OpenFab: the purchasing autopilot plans with MRP over the open orders and releases
    what is due within its limits; each released order goes to its supplier."""

    def __init__(
        self,
        autopilot: PurchasingAutopilot,
        sources: Sources,
        storeroom: Storeroom,
    ) -> None:
        self.autopilot, self.sources, self.storeroom = autopilot, sources, storeroom

    def buy(self, now: datetime, minute: float) -> list[PurchaseOrder]:
        try:
            released = self.autopilot.run(today=now.date(), trigger="demo").released
        except OpenFabError as exc:  # bad master data: no purchase this cycle, said why
            log.warning("purchasing failed at %s: %s", now, exc)
            return []
        out = []
        for po in released:
            fallback = max(0, (po.due_date - now.date()).days)
            lead = self.sources.lead_days.get((po.supplier, po.material), fallback)
            self.storeroom.platform_orders[po.number] = po.id
            out.append(
                PurchaseOrder(
                    po.number,
                    po.material,
                    float(po.quantity),
                    due=minute + lead * DAY,
                    ordered_at=minute,
                    supplier=po.supplier,
                )
            )
        return out


class ReorderBuyer:
    """The non-AI baseline: reorder point on the expected daily use, from the preferred
    supplier, against the stock keeper's on hand and on order."""

    def __init__(
        self,
        use: Mapping[str, float],
        sources: Sources,
        storeroom: Storeroom,
        policy: ReorderPolicy | None = None,
    ) -> None:
        self.use, self.sources, self.storeroom = use, sources, storeroom
        self.policy = policy or ReorderPolicy()
        self.placed = 0

    def positions(self) -> list[StockPosition]:
        return [
            StockPosition(
                material,
                daily_use=self.use.get(material, 0.0),
                lead_time_days=source.lead_time_days,
                on_hand=float(self.storeroom.on_hand.get(material, Decimal(0))),
                on_order=self.storeroom.on_order(material),
                supplier=source.supplier,
                minimum_order=source.minimum_order,
                lot_multiple=source.lot_multiple,
            )
            for material, source in self.sources.preferred.items()
        ]

    def buy(self, now: datetime, minute: float) -> list[PurchaseOrder]:
        out = []
        for order in reorder(self.positions(), self.policy):
            self.placed += 1
            lead = self.sources.preferred[order.material].lead_time_days
            out.append(
                PurchaseOrder(
                    f"RP-{self.placed:05d}",
                    order.material,
                    order.quantity,
                    due=minute + lead * DAY,
                    ordered_at=minute,
                    supplier=order.supplier,
                )
            )
        return out
