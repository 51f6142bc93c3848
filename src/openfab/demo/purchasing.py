"""Material in the demo: the opening stock and what each planner buys.

Both runs of ``--compare`` start from the same opening stock: the expected use of every
material a supplier sells over its lead time plus ``opening_days``, booked as a receipt at
the start so the platform and the twin agree. After that nothing is conjured; only a
material no supplier sells is still received on demand by the twin (``auto_stock``), and
booked like any lot.
OpenFab buys with the purchasing autopilot (MRP over the open orders, released within its
limits); the baseline by reorder point on the expected daily use. Every order goes to the
twin as a purchase order due after its supplier's lead time (the twin's supplier is late or
early); each lot that arrives is reported by the plant's receiving dock as a ``goods.received``
message and each lot a line draws as ``material.consumed`` (``demo.machines``), so genealogy's
lots are the platform's lots.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from openfab.autopilot.purchasing import PurchasingAutopilot
from openfab.catalog.definition import ProductDefinition
from openfab.catalog.service import CatalogService
from openfab.demo.brands import random_choices
from openfab.demo.machines import StockCard
from openfab.errors import Infeasible, InvalidInput, OpenFabError, Problem
from openfab.identity.actor import Actor
from openfab.planning.mrp.reorder_point import ReorderPolicy, StockPosition, reorder
from openfab.planning.mrp.service import MaterialService
from openfab.twin import PurchaseOrder

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
    samples: int = 500,
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
                PurchaseOrder(
                    f"OPEN-{material}",
                    material,
                    quantity,
                    due=minute,
                    ordered_at=minute,
                    supplier=source.supplier,
                )
            )
    return out


class Buyer(Protocol):
    """Decides, once per planning cycle, what to order; returns the twin's purchase orders."""

    def buy(self, now: datetime, minute: float) -> list[PurchaseOrder]: ...


class MrpBuyer:
    """OpenFab: the purchasing autopilot plans with MRP over the open orders and releases
    what is due within its limits; each released order goes to its supplier."""

    def __init__(
        self, autopilot: PurchasingAutopilot, sources: Sources, platform_orders: set[str]
    ) -> None:
        self.autopilot, self.sources = autopilot, sources
        self.platform_orders = platform_orders
        """The platform's purchase order numbers, so the dock's receipt names its order."""

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
            self.platform_orders.add(po.number)
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
        card: StockCard,
        policy: ReorderPolicy | None = None,
    ) -> None:
        self.use, self.sources, self.card = use, sources, card
        self.policy = policy or ReorderPolicy()
        self.placed = 0

    def positions(self) -> list[StockPosition]:
        return [
            StockPosition(
                material,
                daily_use=self.use.get(material, 0.0),
                lead_time_days=source.lead_time_days,
                on_hand=float(self.card.on_hand.get(material, Decimal(0))),
                on_order=self.card.on_order(material),
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
