"""The order service: place a configured order, cancel it, move it along, track it.

Placing an order configures it against the product's current revision (every violated rule
named, nothing written when invalid), prices it (an express order pays a surcharge, its own
line of the price breakdown), quotes a promise date by the desk's :class:`PromisePolicy`
(capacity-aware by default; express: with priority) and writes the order, its capacity load
and its event in one transaction.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Select, func, select

from openfab.catalog.configurator import ConfiguredProduct
from openfab.catalog.results import PriceLine
from openfab.catalog.service import CatalogService, PlantReference, ProductHandle
from openfab.errors import Conflict, Forbidden, NotFound, Problem
from openfab.identity.actor import SCHEDULERS, Actor, Role, without_people
from openfab.orders.book import Delta, OpenBook, order_needs, stage
from openfab.orders.orm import OrderLoadRow, SalesOrderRow
from openfab.orders.promise import (
    CapacityView,
    MaterialSupply,
    PromisePolicy,
    material_wait_days,
    quote_promise,
)
from openfab.orders.schemas import (
    OrderCreate,
    OrderDetail,
    OrderPublic,
    OrderRecord,
    OrdersFound,
    OrdersPublic,
    OrderStep,
    OrderTracking,
    OrderTransition,
    PromiseChange,
)
from openfab.orders.search import OrderQuery, filtered, summary
from openfab.orders.search import search as find_orders
from openfab.orders.states import OPEN_FOR_CAPACITY, OrderStatus, check_transition
from openfab.store import Database, EventRecord, UnitOfWork
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow

Query = TypeVar("Query", bound=Select[*tuple[Any, ...]])

ORDER_EVENTS = ("order.placed", "order.status_changed")
PROMISE_EVENTS = ("order.placed", "order.status_changed", "order.promise_changed")
EXPRESS_SURCHARGE = Decimal("0.15")
"""An express order's surcharge, a share of the configured price (the plant's default)."""
CENT = Decimal("0.01")


def routing_load(configured: ConfiguredProduct, quantity: int) -> dict[str, float]:
    """Minutes per work center; an operation that may run on several centers is shared."""
    load: dict[str, float] = defaultdict(float)
    for op in configured.routing:
        minutes = float(op.setup_minutes) + float(op.run_minutes) * quantity
        for center in op.work_centers:
            load[center] += minutes / len(op.work_centers)
    return dict(load)


class Shipment(NamedTuple):
    """One shipped order's dates: placed, shipped and promised."""

    placed: datetime
    shipped: datetime
    promised: datetime


def _require_orderable(handle: ProductHandle) -> None:
    """Only released products are sold: a draft (a promoted idea) is still being designed."""
    if handle.status != "Active":
        raise Conflict(
            f"product {handle.code!r} cannot be ordered: it is {handle.status}",
            [Problem("product", f"product {handle.code!r} is {handle.status}", "not_orderable")],
        )


def with_express_surcharge(configured: ConfiguredProduct, rate: Decimal) -> ConfiguredProduct:
    """The configuration priced as express: ``rate`` × its price on top, as its own line."""
    surcharge = (configured.price * rate).quantize(CENT)
    line = PriceLine("express", f"Express surcharge ({rate * 100:g} %)", surcharge)
    return dataclasses.replace(
        configured,
        price=configured.price + surcharge,
        price_breakdown=(*configured.price_breakdown, line),
    )


def wait_days(configured: ConfiguredProduct) -> int:
    """Days before production can start when nothing is known of the stock: the product's
    and its options' lead times."""
    return configured.lead_time_days


MaterialReader = Callable[[Collection[str], UnitOfWork | None], Mapping[str, MaterialSupply]]
"""Free stock and resupply lead time of materials (``MaterialService.available``), read in
the given unit of work (or its own when None)."""


def bom_needs(configured: ConfiguredProduct, quantity: int) -> dict[str, tuple[Decimal, str]]:
    """The order's whole material quantities ``{material: (quantity, unit)}``."""
    needs: dict[str, tuple[Decimal, str]] = {}
    for line in configured.bom:
        so_far = needs.get(line.material, (Decimal(0), line.unit))[0]
        needs[line.material] = (so_far + line.quantity * quantity, line.unit)
    return needs


class OrderService:
    """``promise_policy``: how promise dates are quoted (default: capacity-aware);
    ``express_surcharge``: the share of the price an express order pays on top;
    ``material_supply``: the stores' free stock and lead times, for available-to-promise
    (None: the product's quoted lead times stand for material, as without stock records)."""

    def __init__(
        self,
        db: Database,
        catalog: CatalogService,
        *,
        promise_policy: PromisePolicy | None = None,
        express_surcharge: Decimal = EXPRESS_SURCHARGE,
        material_supply: MaterialReader | None = None,
    ) -> None:
        if express_surcharge < 0:
            raise ValueError(f"express surcharge must be >= 0, got {express_surcharge}")
        self.db = db
        self.catalog = catalog
        self.promise_policy = promise_policy or PromisePolicy()
        self.express_surcharge = express_surcharge
        self._reference: PlantReference | None = None
        self.material_supply = material_supply
        self.book = OpenBook.of(db)

    def set_promise_policy(self, policy: PromisePolicy) -> None:
        """Quote orders placed from now on by ``policy`` (placed orders keep their dates)."""
        self.promise_policy = policy

    def reference(self) -> PlantReference:
        if self._reference is None:
            self._reference = self.catalog.reference()
        return self._reference

    # -- commands --------------------------------------------------------------------------
    def place(self, actor: Actor, data: OrderCreate) -> OrderDetail:
        actor.require(Role.CUSTOMER, Role.PLANNER, Role.ADMIN)
        capacity, open_needs = self._capacity()
        with self.db.unit(Scope.tenant(actor.require_tenant()), actor=actor.name) as uow:
            handle = self.catalog.handle_in(uow, data.product)
            _require_orderable(handle)
            configured = handle.configurator.configure(data.choices)
            if data.express:
                configured = with_express_surcharge(configured, self.express_surcharge)
            load = routing_load(configured, data.quantity)
            needs = bom_needs(configured, data.quantity)
            document = configured.to_dict()
            promise = quote_promise(
                now=utcnow(),
                load=load,
                capacity=capacity,
                material_days=self._material_days(uow, configured, needs, open_needs),
                express=data.express,
                policy=self.promise_policy,
            )
            row = SalesOrderRow(
                number=f"SO-{uuid.uuid4().hex[:10].upper()}",
                customer_id=actor.user_id if Role.CUSTOMER in actor.roles else None,
                product_code=handle.code,
                product_revision=handle.revision,
                choices=document["choices"],
                configured=document,
                quantity=data.quantity,
                unit_price=configured.price,
                total_price=configured.price * data.quantity,
                currency=configured.currency,
                promise_date=promise.promise_date,
                status=OrderStatus.RECEIVED,
                express=data.express,
                delivery_address=(data.delivery_address or "").strip() or None,
            )
            uow.session.add(row)
            uow.session.flush()
            uow.session.add_all(
                OrderLoadRow(order_id=row.id, work_center=wc, minutes=m, express=data.express)
                for wc, m in load.items()
            )
            loads = tuple((wc, data.express, m) for wc, m in load.items())
            stage(uow.session, Delta(loads, order_needs(document, data.quantity), 1))
            uow.record(
                "order.placed",
                "sales_order",
                row.id,
                {
                    "number": row.number,
                    "product": row.product_code,
                    "revision": row.product_revision,
                    "choices": row.choices,
                    "quantity": row.quantity,
                    "total_price": str(row.total_price),
                    "promise_date": row.promise_date.isoformat(),
                    "bottleneck": promise.bottleneck,
                    "quote": promise.quote,
                    "express": row.express,
                    "status": row.status,
                },
            )
            return OrderDetail.model_validate(row)

    def transition(self, actor: Actor, order_id: str, change: OrderTransition) -> OrderPublic:
        """Move an order to its next step: a brand (its staff, or the customer) may cancel
        its own; every other step is the plant's (its planners)."""
        if actor.is_plant:
            actor.require(*SCHEDULERS)  # the plant's planners, for every step and a cancel
        elif change.status != OrderStatus.CANCELLED:
            raise Forbidden("only the plant moves orders through production")
        with self.db.unit(actor.scope, actor=actor.name) as uow:
            row = self._get(uow, actor, order_id)
            self.advance_in(uow, row, OrderStatus(change.status), change.note)
            return _for_reader(OrderPublic.model_validate(row), actor)

    def cancel(self, actor: Actor, order_id: str, note: str = "") -> OrderPublic:
        return self.transition(actor, order_id, OrderTransition(status="Cancelled", note=note))

    @staticmethod
    def advance_in(
        uow: UnitOfWork,
        order: SalesOrderRow,
        target: OrderStatus,
        note: str = "",
        *,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Move ``order`` to ``target`` inside the caller's unit of work, with the checks,
        capacity release and event of ``transition``: shop-floor execution moves orders as
        work is reported, and planning as it schedules them, in the same transaction as that
        work. ``details`` joins the event's payload (planning adds the new promise date)."""
        current = OrderStatus(order.status)
        check_transition(current, target)
        order.status, order.updated_at = target, utcnow()
        if target not in OPEN_FOR_CAPACITY:
            with uow.session.no_autoflush:  # loads are written when orders are placed or
                loads = uow.session.scalars(  # planned, never mid-batch: no flush needed
                    select(OrderLoadRow).where(OrderLoadRow.order_id == order.id)
                ).all()
            for load in loads:
                uow.session.delete(load)
            if current in OPEN_FOR_CAPACITY:  # the open-order book forgets it on commit
                released = tuple((r.work_center, bool(r.express), r.minutes) for r in loads)
                needs = order_needs(order.configured or {}, order.quantity)
                stage(uow.session, Delta(released, needs, -1))
        uow.record(
            "order.status_changed",
            "sales_order",
            order.id,
            {
                **(details or {}),
                "number": order.number,
                "express": bool(order.express),
                "from": current,
                "to": target,
                "note": note,
            },
            tenant_id=order.tenant_id,
        )

    # -- queries ---------------------------------------------------------------------------
    def get(self, actor: Actor, order_id: str) -> OrderDetail:
        with self.db.unit(actor.scope, actor=actor.name, readonly=True) as u:
            return _for_reader(OrderDetail.model_validate(self._get(u, actor, order_id)), actor)

    def list(
        self,
        actor: Actor,
        *,
        status: OrderStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> OrdersPublic:
        query = self._visible(select(SalesOrderRow), actor)
        if status is not None:
            query = query.where(SalesOrderRow.status == status)
        with self.db.unit(actor.scope, actor=actor.name, readonly=True) as u:
            count = u.session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = u.session.scalars(
                query.order_by(SalesOrderRow.created_at.desc(), SalesOrderRow.id)
                .limit(limit)
                .offset(offset)
            ).all()
            data = [_for_reader(OrderPublic.model_validate(r), actor) for r in rows]
            return OrdersPublic(data=data, count=count)

    def search(self, actor: Actor, query: OrderQuery) -> OrdersFound:
        """Orders matching ``query`` that ``actor`` may see, newest first, a page at a time
        (see :mod:`openfab.orders.search`)."""
        with self.db.unit(actor.scope, actor=actor.name, readonly=True) as u:
            return find_orders(u, actor, query, utcnow())

    def record(self, actor: Actor, ref: str) -> OrderRecord:
        """One order (by id or number) with whom it is for, its steps and every promise it
        was given, from the event log: the staff's order page."""
        with self.db.unit(actor.scope, actor=actor.name, readonly=True) as u:
            row = self._get(u, actor, ref)
            found, name, mail, brand = u.session.execute(
                filtered(OrderQuery(), actor, utcnow()).where(SalesOrderRow.id == row.id)
            ).one()
            order = summary(found, name, mail, brand, actor, utcnow())
            events = u.session.scalars(
                select(EventRecord)
                .where(EventRecord.entity_id == row.id, EventRecord.type.in_(PROMISE_EVENTS))
                .order_by(EventRecord.seq)
            ).all()
            steps = _steps([e for e in events if e.type in ORDER_EVENTS], actor)
            return OrderRecord(
                order=order,
                configured=row.configured or {},
                steps=steps,
                promises=_promises(events),
            )

    def track(self, actor: Actor, order_id: str) -> OrderTracking:
        """The order and every step it went through, with times, from the event log."""
        with self.db.unit(actor.scope, actor=actor.name, readonly=True) as u:
            row = self._get(u, actor, order_id)
            events = u.session.scalars(
                select(EventRecord)
                .where(EventRecord.entity_id == row.id, EventRecord.type.in_(ORDER_EVENTS))
                .order_by(EventRecord.seq)
            ).all()
            order = _for_reader(OrderPublic.model_validate(row), actor)
            return OrderTracking(order=order, steps=_steps(events, actor))

    def status_counts(self, actor: Actor) -> dict[str, int]:
        query = self._visible(
            select(SalesOrderRow.status, func.count()).group_by(SalesOrderRow.status), actor
        )
        with self.db.unit(actor.scope, actor=actor.name, readonly=True) as u:
            return {str(s): int(n) for s, n in u.session.execute(query).all()}

    def nth_newest_since(self, tenant_id: str, since: datetime, n: int) -> datetime | None:
        """When the tenant placed its ``n``-th newest order after ``since`` (None: fewer
        than ``n``): the database's count, shared by every process, for the order quota."""
        query = (
            select(SalesOrderRow.created_at)
            .where(SalesOrderRow.created_at > since)
            .order_by(SalesOrderRow.created_at.desc())
            .offset(n - 1)
            .limit(1)
        )
        with self.db.unit(Scope.tenant(tenant_id), actor="system:quotas", readonly=True) as u:
            placed: datetime | None = u.session.scalar(query)
            return placed

    def placed_since(self, actor: Actor, since: datetime) -> int:
        """How many orders the actor's tenant received since ``since`` (a dashboard tile)."""
        query = select(func.count()).select_from(SalesOrderRow)
        with self.db.unit(actor.scope, actor=actor.name, readonly=True) as u:
            return int(u.session.scalar(query.where(SalesOrderRow.created_at >= since)) or 0)

    def shipments(self, actor: Actor, since: datetime) -> tuple[Shipment, ...]:
        """The tenant's orders shipped since ``since``, with when each was placed and
        promised: what order-to-ship time and on-time delivery are computed from."""
        query = (
            select(SalesOrderRow.created_at, EventRecord.occurred_at, SalesOrderRow.promise_date)
            .join(EventRecord, EventRecord.entity_id == SalesOrderRow.id)
            .where(
                EventRecord.type == "order.status_changed",
                EventRecord.payload["to"].as_string() == OrderStatus.SHIPPED.value,
                EventRecord.occurred_at >= since,
            )
        )
        with self.db.unit(actor.scope, actor=actor.name, readonly=True) as u:
            return tuple(Shipment(*row) for row in u.session.execute(query))

    def preview_promise(
        self, configured: ConfiguredProduct, quantity: int, *, express: bool = False
    ) -> datetime:
        """The promise date an order of this configuration would get now: the same quote
        as :meth:`place`, against the whole plant's open load and stock (so no tenant data
        leaves)."""
        capacity, open_needs = self._capacity()
        needs = bom_needs(configured, quantity)
        material_days = self._material_days(None, configured, needs, open_needs)
        promise = quote_promise(
            now=utcnow(),
            load=routing_load(configured, quantity),
            capacity=capacity,
            material_days=material_days,
            express=express,
            policy=self.promise_policy,
        )
        return promise.promise_date

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _visible(query: Query, actor: Actor) -> Query:
        """Customers see their own orders only; staff see all of their tenant's."""
        if actor.is_staff:
            return query
        return query.where(SalesOrderRow.customer_id == actor.user_id)

    def _get(self, uow: UnitOfWork, actor: Actor, order_id: str) -> SalesOrderRow:
        query = self._visible(select(SalesOrderRow), actor).where(
            (SalesOrderRow.id == order_id) | (SalesOrderRow.number == order_id)
        )
        row: SalesOrderRow | None = uow.session.scalar(query)
        if row is None:
            raise NotFound(f"order {order_id!r} not found")
        return row

    def _capacity(self) -> tuple[CapacityView, dict[tuple[str, str], Decimal]]:
        """Plant-wide open load (all tenants share the machines) against daily capacity,
        the express orders' part of it, and what open orders need of each material
        ``{(material, unit): quantity}`` — from the open-order book, not a query."""
        open_load, express_load, open_needs = self.book.totals()
        per_day = {
            wc.code: wc.machines * wc.hours_per_day * 60
            for wc in self.reference().work_centers.values()
        }
        view = CapacityView(minutes_per_day=per_day, open_load=open_load, express_load=express_load)
        return view, open_needs

    def _material_days(
        self,
        uow: UnitOfWork | None,
        configured: ConfiguredProduct,
        needs: Mapping[str, tuple[Decimal, str]],
        open_needs: Mapping[tuple[str, str], Decimal],
    ) -> int:
        """Available-to-promise: the stores' free stock less what open orders need, against
        this order's needs (:func:`~openfab.orders.promise.material_wait_days`)."""
        if self.material_supply is None:
            return wait_days(configured)
        supply = {
            material: dataclasses.replace(
                known, available=known.available - open_needs.get((material, known.unit), 0)
            )
            for material, known in self.material_supply(list(needs), uow).items()
        }
        return material_wait_days(needs, supply, wait_days(configured))


def _steps(events: Iterable[EventRecord], reader: Actor) -> list[OrderStep]:
    steps = []
    for e in events:
        status = e.payload.get("to", e.payload.get("status"))
        who = without_people(e.actor, reader)
        note = without_people(e.payload.get("note", ""), reader)
        steps.append(OrderStep(status=status, at=e.occurred_at, actor=who, note=note))
    return steps


def _promises(events: Iterable[EventRecord]) -> list[PromiseChange]:
    """Every promise date the order was given, oldest first: quoted when placed, then each
    plan's (the event carries the one it replaced)."""
    changes = []
    for e in events:
        promise = e.payload.get("promise_date")
        if not promise:
            continue
        previous = e.payload.get("previous_promise_date")
        changes.append(
            PromiseChange(
                at=e.occurred_at,
                promise_date=datetime.fromisoformat(str(promise)),
                previous=datetime.fromisoformat(str(previous)) if previous else None,
                event_seq=e.seq,
            )
        )
    return changes


Public = TypeVar("Public", bound=OrderPublic)


def _for_reader(order: Public, reader: Actor) -> Public:
    """The plant's staff run every brand's orders but see none of their customers."""
    return order.model_copy(update={"customer_id": None}) if reader.is_plant else order
