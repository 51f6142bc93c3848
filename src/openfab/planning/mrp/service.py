"""The material service: MRP runs over the whole plant, purchase orders, stock and moves.

A run loads every open order with its configured BOM and scheduled start, plans with the
pure engine, replaces the previous run's still-planned purchase orders with the new ones and
files each shortage under the tenant whose order it stops — all in one transaction with a
``material.planned`` event. Purchase orders then move Planned → Released → Received (or
Cancelled), each step an event with its reason; a receipt creates or tops up a lot.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from datetime import time as clock_time
from decimal import Decimal
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import delete, func, insert, select, union_all

from openfab.catalog.orm import MaterialRow
from openfab.catalog.service import CatalogService
from openfab.errors import Conflict, InvalidInput, NotFound, OpenFabError, Problem
from openfab.identity.actor import BRAND_STAFF, SCHEDULERS, STOCK_KEEPERS, Actor
from openfab.orders.orm import SalesOrderRow
from openfab.orders.promise import MaterialSupply
from openfab.planning.mrp.engine import plan as plan_materials
from openfab.planning.mrp.inventory import ORDERS, apply_move, order_exists
from openfab.planning.mrp.loader import OrderRef, load_problem
from openfab.planning.mrp.model import ForecastDemand
from openfab.planning.mrp.orm import (
    QUARANTINE,
    AllocationRow,
    InventoryMoveRow,
    MaterialLotRow,
    MaterialMessageRow,
    MaterialPlanRunRow,
    MaterialPolicyRow,
    MaterialShortageRow,
    PurchaseOrderRow,
    PurchasePegRow,
    SupplierItemRow,
    SupplierRow,
)
from openfab.planning.mrp.results import MrpPlan, PlannedOrder
from openfab.planning.mrp.schemas import (
    AllocationCreate,
    GoodsReceipt,
    LotPublic,
    MaterialPlanPublic,
    MaterialPlanRunPublic,
    MaterialPolicyIn,
    MessagePublic,
    MoveCreate,
    MoveKind,
    MovePublic,
    PurchaseOrderPublic,
    PurchaseOrdersPublic,
    PurchaseStatus,
    ShortagePublic,
    StockPublic,
    SupplierItemPublic,
    SupplierPublic,
)
from openfab.planning.mrp.units import UnitMismatch, convert
from openfab.store import Database, UnitOfWork
from openfab.store.base import new_id
from openfab.store.inbox import InboxRow, first_delivery
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow

MAX_SAFETY_STOCK_VALUE = Decimal("50000")
"""The most a material's safety stock may be worth (at its standard cost): a policy can
never make the autopilot buy a warehouse."""
ZERO = Decimal(0)


DemandSource = Callable[[], Iterable[ForecastDemand]]
"""Independent demand another domain adds to every MRP run (maintenance spare parts)."""


class MaterialService:
    def __init__(self, db: Database, catalog: CatalogService) -> None:
        self.db = db
        self.catalog = catalog
        self.demand_sources: list[DemandSource] = []
        self._master: dict[str, tuple[str, int]] = {}  # available(): units and lead times
        self._master_until = float("-inf")

    # -- suppliers and policies ------------------------------------------------------------
    def install_sample_suppliers(self, actor: Actor) -> int:
        """Load the sample suppliers of the sample materials (idempotent); returns items."""
        actor.require_plant(*SCHEDULERS)
        self.catalog.install_reference_data(Actor.system("catalog"))
        text = resources.files("openfab.planning.mrp.data").joinpath("suppliers.yaml")
        document = yaml.safe_load(text.read_text(encoding="utf-8"))
        count = 0
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            for supplier in document["suppliers"]:
                uow.session.merge(SupplierRow(code=supplier["code"], name=supplier["name"]))
                uow.session.flush()
                for item in supplier["items"]:
                    uow.session.merge(_supplier_item(supplier["code"], item))
                    count += 1
            uow.record("supplier.installed", "supplier", "sample", {"items": count})
        return count

    def suppliers(self, actor: Actor) -> list[SupplierPublic]:
        actor.require_plant(*STOCK_KEEPERS)
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            items: dict[str, list[SupplierItemPublic]] = defaultdict(list)
            for row in uow.session.scalars(
                select(SupplierItemRow).order_by(SupplierItemRow.material)
            ):
                items[row.supplier].append(SupplierItemPublic.model_validate(row))
            return [
                SupplierPublic(code=s.code, name=s.name, active=s.active, items=items[s.code])
                for s in uow.session.scalars(select(SupplierRow).order_by(SupplierRow.code))
            ]

    def set_policy(self, actor: Actor, material: str, data: MaterialPolicyIn) -> MaterialPolicyIn:
        """Lot sizing and safety stock of one material (planners; demand sensing)."""
        actor.require_plant(*SCHEDULERS)
        problems = _policy_problems(data)
        if problems:
            raise InvalidInput(f"invalid policy for {material}", problems)
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            row = uow.session.get(MaterialRow, material)
            if row is None:
                raise NotFound(f"material {material!r} not found")
            _check_safety_stock(row, data.safety_stock)
            uow.session.merge(MaterialPolicyRow(material=material, **data.model_dump()))
            uow.record("material.policy_set", "material", material, data.model_dump(mode="json"))
        return data

    # -- material plan ---------------------------------------------------------------------
    def run(
        self,
        actor: Actor,
        *,
        trigger: str = "manual",
        today: date | None = None,
        forecasts: Iterable[ForecastDemand] = (),
        safety_stock: Mapping[str, Decimal] | None = None,
    ) -> MaterialPlanRunPublic:
        """Plan the plant's materials now; replaces the previous still-planned purchases."""
        actor.require_plant(*SCHEDULERS)
        now = utcnow()
        today = today or now.date()
        forecasts = [*forecasts, *(d for source in self.demand_sources for d in source())]
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            loaded = load_problem(
                uow, today=today, now=now, forecasts=forecasts, safety_stock=safety_stock
            )
        started = time.perf_counter()
        try:
            result = plan_materials(loaded.problem)
        except OpenFabError as exc:  # bad master data: say so in the log, keep the old plan
            with self.db.unit(Scope.plant(), actor=actor.name) as uow:
                problems = [str(p) for p in exc.problems][:50]
                payload = {"trigger": trigger, "detail": exc.detail, "problems": problems}
                uow.record("material.plan_failed", "material_plan_run", "-", payload)
            raise
        seconds = time.perf_counter() - started
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            run = MaterialPlanRunRow(
                trigger=trigger[:200],
                plan_date=today,
                work_orders=len(loaded.problem.work_orders),
                planned_orders=len(result.purchase_orders),
                shortages=len(result.shortages),
                messages=len(result.messages),
                purchase_value=result.purchase_value.quantize(Decimal("0.01")),
                seconds=round(seconds, 4),
            )
            uow.session.add(run)
            uow.session.flush()
            self._write_plan(uow, run, result, loaded.orders)
            public = MaterialPlanRunPublic.model_validate(run)
            uow.record(
                "material.planned", "material_plan_run", run.id, public.model_dump(mode="json")
            )
            return public

    def _write_plan(
        self,
        uow: UnitOfWork,
        run: MaterialPlanRunRow,
        result: MrpPlan,
        orders: Mapping[str, OrderRef],
    ) -> None:
        session = uow.session
        stale = select(PurchaseOrderRow.id).where(PurchaseOrderRow.status == PurchaseStatus.PLANNED)
        session.execute(delete(PurchasePegRow).where(PurchasePegRow.purchase_order_id.in_(stale)))
        session.execute(
            delete(PurchaseOrderRow).where(PurchaseOrderRow.status == PurchaseStatus.PLANNED)
        )
        # only the plan in force keeps its messages and shortages (runs stay as history)
        session.execute(delete(MaterialShortageRow).where(MaterialShortageRow.run_id != run.id))
        session.execute(delete(MaterialMessageRow).where(MaterialMessageRow.run_id != run.id))
        for planned in result.purchase_orders:
            row = _purchase_row(planned, run.id)
            session.add(row)
            session.flush()
            for order_id, quantity in _work_order_shares(planned).items():
                ref = orders.get(order_id)
                if ref is not None:
                    session.add(
                        PurchasePegRow(
                            tenant_id=ref.tenant_id,
                            purchase_order_id=row.id,
                            order_id=order_id,
                            order_number=ref.number,
                            quantity=quantity,
                        )
                    )
        for m in result.messages:
            session.add(
                MaterialMessageRow(
                    run_id=run.id,
                    purchase_order_id=m.purchase_order,
                    action=m.action,
                    material=m.material,
                    due_date=m.due,
                    new_due_date=m.new_due,
                    reason=_neutral(m.reason)[:500],
                )
            )
        for s in result.shortages:
            for order_id, quantity in zip(s.work_orders, s.per_work_order, strict=True):
                ref = orders.get(order_id)
                if ref is None:
                    continue
                session.add(
                    MaterialShortageRow(
                        tenant_id=ref.tenant_id,
                        run_id=run.id,
                        order_id=order_id,
                        order_number=ref.number,
                        material=s.material,
                        quantity=quantity,
                        unit=s.unit,
                        need_date=s.need,
                        available_date=s.available,
                        cause=s.cause[:300],
                    )
                )

    def latest_run(self, uow: UnitOfWork) -> MaterialPlanRunRow | None:
        return uow.session.scalars(
            select(MaterialPlanRunRow).order_by(MaterialPlanRunRow.created_at.desc()).limit(1)
        ).first()

    def material_plan(self, actor: Actor) -> MaterialPlanPublic:
        """The latest plan: planned purchases, messages and the actor's tenant's shortages."""
        actor.require_plant(*STOCK_KEEPERS)
        with self.db.unit(actor.scope, actor=actor.name, readonly=True) as uow:
            run = self.latest_run(uow)
            if run is None:
                return MaterialPlanPublic(run=None, planned=[], messages=[], shortages=[])
            planned = self._purchase_orders(uow, [PurchaseStatus.PLANNED])
            messages = uow.session.scalars(
                select(MaterialMessageRow).where(MaterialMessageRow.run_id == run.id)
            )
            return MaterialPlanPublic(
                run=MaterialPlanRunPublic.model_validate(run),
                planned=planned,
                messages=[MessagePublic.model_validate(m) for m in messages],
                shortages=self._shortages(uow, run.id),
            )

    def shortages(self, actor: Actor) -> list[ShortagePublic]:
        """Shortages of the latest plan: a brand's staff see their orders', the plant all."""
        if not actor.is_plant:
            actor.require(*BRAND_STAFF)
        else:
            actor.require(*STOCK_KEEPERS)
        with self.db.unit(actor.scope, actor=actor.name, readonly=True) as uow:
            run = self.latest_run(uow)
            return [] if run is None else self._shortages(uow, run.id)

    @staticmethod
    def _shortages(uow: UnitOfWork, run_id: str) -> list[ShortagePublic]:
        rows = uow.session.scalars(
            select(MaterialShortageRow)
            .where(MaterialShortageRow.run_id == run_id)
            .order_by(MaterialShortageRow.need_date, MaterialShortageRow.material)
        )
        return [ShortagePublic.model_validate(r) for r in rows]

    def material_release_dates(self, order_ids: Iterable[str]) -> dict[str, datetime]:
        """When each order's last missing material arrives (latest plan), for the scheduler:
        an order with a shortage cannot start before that day (00:00 UTC)."""
        wanted = set(order_ids)
        with self.db.unit(Scope.plant(), actor="system:materials", readonly=True) as uow:
            run = self.latest_run(uow)
            if run is None or not wanted:
                return {}
            query = (
                select(MaterialShortageRow.order_id, func.max(MaterialShortageRow.available_date))
                .where(MaterialShortageRow.run_id == run.id)
                .group_by(MaterialShortageRow.order_id)
            )
            return {
                order: datetime.combine(day, clock_time(0), tzinfo=UTC)
                for order, day in uow.session.execute(query)
                if order in wanted and day is not None
            }

    def available(
        self, materials: Iterable[str], uow: UnitOfWork | None = None
    ) -> dict[str, MaterialSupply]:
        """Free stock (on hand less allocated, in the material's unit) and resupply lead time
        (the preferred active supplier's, else the material's own) of each known material,
        for the order desk's available-to-promise; read in ``uow`` when given (the plant's
        stock is plant-level, readable from any scope). Unknown materials are left out."""
        wanted = sorted(set(materials))
        if not wanted:
            return {}
        if uow is None:
            with self.db.unit(Scope.plant(), actor="system:materials", readonly=True) as own:
                return self.available(wanted, own)
        session = uow.session
        master = self._supply_master(session, wanted)
        if not master:
            return {}
        stock = union_all(
            select(MaterialLotRow.material, MaterialLotRow.unit, MaterialLotRow.quantity).where(
                MaterialLotRow.material.in_(wanted),
                MaterialLotRow.quantity > 0,
                MaterialLotRow.location != QUARANTINE,
            ),
            select(AllocationRow.material, AllocationRow.unit, -AllocationRow.quantity).where(
                AllocationRow.material.in_(wanted)
            ),
        )
        free: dict[str, Decimal] = defaultdict(Decimal)
        for code, unit, quantity in session.execute(stock):
            free[code] += convert(Decimal(str(quantity)), unit, master[code][0])
        return {code: MaterialSupply(free[code], u, days) for code, (u, days) in master.items()}

    def _supply_master(self, session: Any, wanted: list[str]) -> dict[str, tuple[str, int]]:
        """Unit and resupply lead time per material (master data: reread every 30 s)."""
        now = time.monotonic()
        if self._master_until < now:
            master: dict[str, tuple[str, int]] = {}
            preferred: dict[str, tuple[int, Decimal]] = {}
            query = (
                select(
                    MaterialRow.code,
                    MaterialRow.unit,
                    MaterialRow.lead_time_days,
                    SupplierItemRow.lead_time_days,
                    SupplierItemRow.priority,
                    SupplierItemRow.price,
                    SupplierRow.active,
                )
                .outerjoin(SupplierItemRow, SupplierItemRow.material == MaterialRow.code)
                .outerjoin(SupplierRow, SupplierRow.code == SupplierItemRow.supplier)
            )
            for code, unit, own, days, priority, price, active in session.execute(query):
                master.setdefault(code, (unit, int(own)))
                if days is None or not active:
                    continue
                if code not in preferred or (priority, price) < preferred[code]:
                    preferred[code] = (priority, price)
                    master[code] = (unit, int(days))
            self._master, self._master_until = master, now + 30.0
        return {code: self._master[code] for code in wanted if code in self._master}

    # -- purchase orders -------------------------------------------------------------------
    def purchase_orders(
        self, actor: Actor, *, status: PurchaseStatus | None = None
    ) -> PurchaseOrdersPublic:
        actor.require_plant(*STOCK_KEEPERS)
        with self.db.unit(actor.scope, actor=actor.name, readonly=True) as uow:
            data = self._purchase_orders(uow, [status] if status else None)
            return PurchaseOrdersPublic(data=data, count=len(data))

    def purchase_order(self, actor: Actor, po_id: str) -> PurchaseOrderPublic:
        actor.require_plant(*STOCK_KEEPERS)
        with self.db.unit(actor.scope, actor=actor.name, readonly=True) as uow:
            return self._public(uow, self._get_po(uow, po_id))

    def _purchase_orders(
        self, uow: UnitOfWork, statuses: list[PurchaseStatus] | None
    ) -> list[PurchaseOrderPublic]:
        query = select(PurchaseOrderRow).order_by(
            PurchaseOrderRow.release_date, PurchaseOrderRow.number
        )
        if statuses:
            query = query.where(PurchaseOrderRow.status.in_([s.value for s in statuses]))
        rows = list(uow.session.scalars(query))
        pegs: dict[str, list[str]] = defaultdict(list)
        if rows:  # tenant-scoped: only the actor's tenant's order numbers appear
            for peg in uow.session.scalars(select(PurchasePegRow)):
                pegs[peg.purchase_order_id].append(peg.order_number)
        return [
            PurchaseOrderPublic.model_validate(r).model_copy(update={"work_orders": pegs[r.id]})
            for r in rows
        ]

    def _public(self, uow: UnitOfWork, row: PurchaseOrderRow) -> PurchaseOrderPublic:
        numbers = uow.session.scalars(
            select(PurchasePegRow.order_number).where(PurchasePegRow.purchase_order_id == row.id)
        )
        return PurchaseOrderPublic.model_validate(row).model_copy(
            update={"work_orders": list(numbers)}
        )

    @staticmethod
    def _get_po(uow: UnitOfWork, po_id: str) -> PurchaseOrderRow:
        row = uow.session.get(PurchaseOrderRow, po_id)
        if row is None:
            row = uow.session.scalars(
                select(PurchaseOrderRow).where(PurchaseOrderRow.number == po_id)
            ).first()
        if row is None:
            raise NotFound(f"purchase order {po_id!r} not found")
        return row

    def release(self, actor: Actor, po_id: str, reason: str = "") -> PurchaseOrderPublic:
        """Send a planned purchase order to its supplier."""
        actor.require_plant(*SCHEDULERS)
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            row = self._get_po(uow, po_id)
            if row.status != PurchaseStatus.PLANNED:
                raise Conflict(f"purchase order {row.number} is {row.status}, not Planned")
            row.status, row.released_at, row.updated_at = (
                PurchaseStatus.RELEASED,
                utcnow(),
                utcnow(),
            )
            why = reason or row.reason
            row.reason = why[:500]
            uow.record("purchase_order.released", "purchase_order", row.id, _payload(row, why))
            return self._public(uow, row)

    def hold(self, actor: Actor, po_id: str, why: str) -> None:
        """Record that a planned purchase waits for a planner (outside the autopilot's limits)."""
        actor.require_plant(*SCHEDULERS)
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            row = self._get_po(uow, po_id)
            uow.record("purchase_order.held", "purchase_order", row.id, _payload(row, why))

    def cancel(self, actor: Actor, po_id: str, reason: str = "") -> PurchaseOrderPublic:
        actor.require_plant(*SCHEDULERS)
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            row = self._get_po(uow, po_id)
            if row.status not in (PurchaseStatus.PLANNED, PurchaseStatus.RELEASED):
                raise Conflict(
                    f"purchase order {row.number} is {row.status}; it cannot be cancelled"
                )
            row.status, row.updated_at = PurchaseStatus.CANCELLED, utcnow()
            uow.record("purchase_order.cancelled", "purchase_order", row.id, _payload(row, reason))
            return self._public(uow, row)

    def receive(
        self,
        actor: Actor,
        po_id: str,
        receipt: GoodsReceipt,
        *,
        message_key: str | None = None,
    ) -> PurchaseOrderPublic:
        """Goods receipt: the material becomes (or tops up) a lot; the order is Received when
        complete. A receipt after the due date is recorded as late. With ``message_key`` (a
        shop-floor message), a redelivered receipt changes nothing."""
        actor.require_plant(*STOCK_KEEPERS)
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            row = self._get_po(uow, po_id)
            if not first_delivery(uow, message_key, "goods.received"):
                return self._public(uow, row)
            if row.status != PurchaseStatus.RELEASED:
                raise Conflict(f"purchase order {row.number} is {row.status}, not Released")
            move = MoveCreate(
                kind=MoveKind.RECEIVE,
                material=row.material,
                lot=receipt.lot,
                location=receipt.location,
                quantity=receipt.quantity,
                unit=row.unit,
                reason=f"goods receipt {row.number}",
            )
            apply_move(uow, move, purchase_order_id=row.id)
            row.received_quantity += receipt.quantity
            row.updated_at = utcnow()
            if row.received_quantity >= row.quantity:
                row.status = PurchaseStatus.RECEIVED
            days_late = (utcnow().date() - row.due_date).days
            payload = _payload(row, f"received {receipt.quantity} {row.unit} as lot {receipt.lot}")
            uow.record(
                "purchase_order.received",
                "purchase_order",
                row.id,
                payload | {"days_late": max(days_late, 0)},
            )
            return self._public(uow, row)

    def flag_late(self, actor: Actor, *, today: date | None = None) -> list[PurchaseOrderPublic]:
        """Released orders past their due date and not complete: each raises ``material.late``
        once (the re-planning autopilot listens), so the schedule moves around the gap."""
        actor.require_plant(*SCHEDULERS)
        today = today or utcnow().date()
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            rows = uow.session.scalars(
                select(PurchaseOrderRow).where(
                    PurchaseOrderRow.status == PurchaseStatus.RELEASED,
                    PurchaseOrderRow.due_date < today,
                    PurchaseOrderRow.late.is_(False),
                )
            ).all()
            late = []
            for row in rows:
                row.late, row.updated_at = True, utcnow()
                payload = _payload(row, "not received by its due date") | {
                    "days_late": (today - row.due_date).days
                }
                uow.record("material.late", "purchase_order", row.id, payload)
                late.append(self._public(uow, row))
            return late

    # -- inventory -------------------------------------------------------------------------
    def quarantine_lot(self, actor: Actor, material: str, lot: str, reason: str) -> Decimal:
        """Put every stock of ``lot`` on hold (location ``QUARANTINE``): the order desk does
        not promise from it, MRP does not plan with it and the floor cannot draw it. Returns
        the quantity held (0 when nothing of it is in stock, or it is held already)."""
        actor.require_plant(*STOCK_KEEPERS)
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            rows = list(
                uow.session.scalars(
                    select(MaterialLotRow).where(
                        MaterialLotRow.material == material,
                        MaterialLotRow.lot == lot,
                        MaterialLotRow.location != QUARANTINE,
                        MaterialLotRow.quantity > 0,
                    )
                )
            )
            held = sum((r.quantity for r in rows), Decimal(0))
            for row in rows:
                row.location = QUARANTINE
            if rows:
                uow.record(
                    "material.lot_quarantined",
                    "material_lot",
                    rows[0].id,
                    {"material": material, "lot": lot, "quantity": str(held), "reason": reason},
                )
        return held

    def move(self, actor: Actor, data: MoveCreate) -> MovePublic:
        """One inventory move (receive, issue to a work order, return, scrap, count)."""
        actor.require_plant(*STOCK_KEEPERS)
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            return apply_move(uow, data)

    def consume(
        self, actor: Actor, material: str, quantity: Decimal, *, reason: str, message_key: str
    ) -> Decimal:
        """Take ``quantity`` of ``material`` for the plant's own use (no sales order), from
        its oldest usable lots; returns what was taken (less when the stock is short; the
        shortfall is the caller's to report). Once per ``message_key``."""
        actor.require_plant(*STOCK_KEEPERS)
        taken = ZERO
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            if not first_delivery(uow, message_key, "stock.consume"):
                return ZERO
            lots = uow.session.scalars(
                select(MaterialLotRow)
                .where(
                    MaterialLotRow.material == material,
                    MaterialLotRow.quantity > 0,
                    MaterialLotRow.location != QUARANTINE,
                )
                .order_by(MaterialLotRow.created_at, MaterialLotRow.lot)
            ).all()
            for lot in lots:
                take = min(lot.quantity, quantity - taken)
                if take <= 0:
                    break
                move = MoveCreate(
                    kind=MoveKind.CONSUME, material=material, lot=lot.lot,
                    location=lot.location, quantity=take, unit=lot.unit, reason=reason[:200],
                )  # fmt: skip
                apply_move(uow, move)
                taken += take
        return taken

    def book(
        self, actor: Actor, moves: Sequence[MoveCreate], *, message_key: str | None = None
    ) -> int:
        """Many inventory moves in one transaction — a shop floor's issues of a shift, booked
        together rather than one commit each; all or none. Returns how many were booked (0
        for a redelivered ``message_key``)."""
        actor.require_plant(*STOCK_KEEPERS)
        if not moves:
            return 0
        with self.db.unit(Scope.plant(), actor=actor.name) as uow, uow.session.no_autoflush:
            if not first_delivery(uow, message_key, "stock.moves"):
                return 0
            for data in moves:
                apply_move(uow, data)
        return len(moves)

    def book_messages(self, actor: Actor, messages: Sequence[tuple[str, MoveCreate]]) -> int:
        """Moves of many shop-floor messages in one transaction, each under its message key
        (a redelivered one is skipped); all or none. Returns how many were new."""
        actor.require_plant(*STOCK_KEEPERS)
        if not messages:
            return 0
        with self.db.unit(Scope.plant(), actor=actor.name) as uow, uow.session.no_autoflush:
            seen = _applied_keys(uow, [key for key, _ in messages])
            _known_orders(uow, {d.order_id for _, d in messages if d.order_id})
            inbox: list[dict[str, object]] = []
            moves: list[dict[str, object]] = []
            for key, data in messages:  # in order: a lot's moves apply one after the other
                if key in seen:
                    continue
                seen.add(key)
                inbox.append({"key": key[:200], "type": "stock.moves", "applied_at": utcnow()})
                apply_move(uow, data, bulk=moves)
            for model, rows in ((InboxRow, inbox), (InventoryMoveRow, moves)):
                if rows:  # plant tables, in the same transaction as the lots and events
                    uow.session.execute(insert(model), rows)
        return len(inbox)

    def allocate(self, actor: Actor, data: AllocationCreate) -> StockPublic:
        """Reserve free stock for a work order; more than is free is refused."""
        actor.require_plant(*STOCK_KEEPERS)
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            material = uow.session.get(MaterialRow, data.material)
            if material is None:
                raise NotFound(f"material {data.material!r} not found")
            if not order_exists(uow, data.order_id):
                raise NotFound(f"order {data.order_id!r} not found")
            try:
                quantity = convert(data.quantity, data.unit, material.unit)
            except UnitMismatch as exc:
                raise InvalidInput(
                    "invalid allocation",
                    [Problem("unit", f"material {data.material}: {exc}", "unit")],
                ) from exc
            stock = self._stock(uow, material)
            if quantity > stock.free:
                raise Conflict(
                    f"only {stock.free.normalize():f} {material.unit} of {material.code} are free; "
                    f"cannot reserve {quantity.normalize():f}"
                )
            uow.session.add(
                AllocationRow(
                    material=material.code,
                    order_id=data.order_id,
                    quantity=quantity,
                    unit=material.unit,
                )
            )
            uow.session.flush()
            uow.record(
                "inventory.allocated", "material", material.code, data.model_dump(mode="json")
            )
            return self._stock(uow, material)

    def stock(self, actor: Actor, material: str | None = None) -> list[StockPublic]:
        """Stock by material: lots with location, total, reserved and free."""
        actor.require_plant(*STOCK_KEEPERS)
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            query = select(MaterialRow).order_by(MaterialRow.code)
            if material is not None:
                query = query.where(MaterialRow.code == material)
            rows = list(uow.session.scalars(query))
            if material is not None and not rows:
                raise NotFound(f"material {material!r} not found")
            return [self._stock(uow, m) for m in rows]

    @staticmethod
    def _stock(uow: UnitOfWork, material: MaterialRow) -> StockPublic:
        lots = list(
            uow.session.scalars(
                select(MaterialLotRow)
                .where(MaterialLotRow.material == material.code, MaterialLotRow.quantity > 0)
                .order_by(MaterialLotRow.created_at, MaterialLotRow.lot)
            )
        )
        on_hand = sum((convert(lot.quantity, lot.unit, material.unit) for lot in lots), ZERO)
        allocated = sum(
            uow.session.scalars(
                select(AllocationRow.quantity).where(AllocationRow.material == material.code)
            ),
            ZERO,
        )
        return StockPublic(
            material=material.code,
            unit=material.unit,
            on_hand=on_hand,
            allocated=allocated,
            free=on_hand - allocated,
            lots=[LotPublic.model_validate(lot) for lot in lots],
        )

    def moves(
        self, actor: Actor, *, material: str | None = None, limit: int = 100
    ) -> list[MovePublic]:
        actor.require_plant(*STOCK_KEEPERS)
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            query = select(InventoryMoveRow).order_by(InventoryMoveRow.moved_at.desc()).limit(limit)
            if material is not None:
                query = query.where(InventoryMoveRow.material == material)
            return [MovePublic.model_validate(m) for m in uow.session.scalars(query)]


KEY_CHUNK = 500
"""Message keys (or order ids) looked up per statement."""


def _applied_keys(uow: UnitOfWork, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` the inbox holds: a batch's redeliveries, read in a few statements."""
    wanted = sorted(set(keys))
    found: set[str] = set()
    for start in range(0, len(wanted), KEY_CHUNK):
        chunk = wanted[start : start + KEY_CHUNK]
        found.update(uow.session.scalars(select(InboxRow.key).where(InboxRow.key.in_(chunk))))
    return found


def _known_orders(uow: UnitOfWork, order_ids: set[str]) -> None:
    """Read which of ``order_ids`` exist in a few statements, for ``order_exists`` (which
    then asks the database only about the ones not found)."""
    known: set[str] = uow.session.info.setdefault(ORDERS, set())
    wanted = sorted(order_ids - known)
    for start in range(0, len(wanted), KEY_CHUNK):
        chunk = wanted[start : start + KEY_CHUNK]
        known.update(
            uow.session.scalars(select(SalesOrderRow.id).where(SalesOrderRow.id.in_(chunk)))
        )


def _check_safety_stock(material: MaterialRow, quantity: Decimal) -> None:
    value = quantity * material.unit_cost
    if value > MAX_SAFETY_STOCK_VALUE:
        raise InvalidInput(
            f"invalid policy for {material.code}",
            [
                Problem(
                    "safety_stock",
                    f"{quantity.normalize():f} {material.unit} is worth {value:.0f}; "
                    f"safety stock may be worth at most {MAX_SAFETY_STOCK_VALUE}",
                    "out_of_bounds",
                )
            ],
        )


def _supplier_item(supplier: str, item: Mapping[str, Any]) -> SupplierItemRow:
    def dec(key: str, default: str | None = "0") -> Decimal | None:
        value = item.get(key, default)
        return None if value is None else Decimal(str(value))

    return SupplierItemRow(
        supplier=supplier,
        material=item["material"],
        unit=item["unit"],
        lead_time_days=int(item["lead_time_days"]),
        price=dec("price"),
        minimum_order=dec("minimum_order"),
        lot_multiple=dec("lot_multiple"),
        capacity_per_period=dec("capacity_per_period", None),
        period_days=int(item.get("period_days", 7)),
        priority=int(item.get("priority", 0)),
    )


def _policy_problems(data: MaterialPolicyIn) -> list[Problem]:
    needs = {"Fixed": "fixed_quantity", "EOQ": "ordering_cost", "POQ": "periods"}
    field = needs.get(data.lot_sizing)
    if field is not None and getattr(data, field) is None:
        return [Problem(field, f"{data.lot_sizing} lot sizing needs {field}", "missing")]
    return []


def _purchase_row(planned: PlannedOrder, run_id: str) -> PurchaseOrderRow:
    """A planned purchase; its number is derived from its id, so numbers never repeat even
    though each run replaces the previous run's planned orders. Twelve hex digits (48 random
    bits): eight collided in CI, since a week of hourly runs compares every new number with
    every order kept (birthday odds of about 1 in 50 per demo at 32 bits)."""
    assert planned.supplier is not None
    po_id = new_id()
    return PurchaseOrderRow(
        id=po_id,
        number=f"PO-{po_id.replace('-', '')[:12].upper()}",
        run_id=run_id,
        material=planned.material,
        supplier=planned.supplier,
        quantity=planned.quantity,
        received_quantity=ZERO,
        unit=planned.unit,
        unit_price=planned.unit_price,
        value=planned.value,
        status=PurchaseStatus.PLANNED.value,
        release_date=planned.release,
        due_date=planned.due,
        late=False,  # set when the supplier misses the due date
        reason=neutral_reason(planned)[:500],
    )


def _work_order_shares(planned: PlannedOrder) -> dict[str, Decimal]:
    shares: dict[str, Decimal] = defaultdict(Decimal)
    for peg in planned.pegs:
        for order in peg.work_orders:
            shares[order] += peg.quantity / len(peg.work_orders)
    return shares


def neutral_reason(planned: PlannedOrder) -> str:
    """The reason without any tenant's order ids: counts, forecast, safety stock, dates
    (the orders themselves are in tenant-owned pegs)."""
    parts = []
    orders = planned.work_orders
    if orders:
        parts.append(f"{len(orders)} work order{'s' if len(orders) != 1 else ''}")
    forecast = sum((p.quantity for p in planned.pegs if p.kind == "Forecast"), ZERO)
    if forecast:
        parts.append(f"forecast {forecast.normalize():f} {planned.unit}")
    if any(p.kind == "SafetyStock" for p in planned.pegs):
        parts.append("safety stock")
    text = "covers " + (", ".join(parts) or "no demand")
    text += f"; due {planned.due}"
    if planned.late:
        text += " (late: the lead time does not reach the first need)"
    return text


def _neutral(reason: str) -> str:
    """Messages name open orders' demand by count only (ids belong to tenants)."""
    head, _, tail = reason.partition("; first needed ")
    return f"first needed {tail}" if tail else head


def _payload(row: PurchaseOrderRow, reason: str) -> dict[str, Any]:
    return {
        "number": row.number,
        "material": row.material,
        "supplier": row.supplier,
        "quantity": str(row.quantity),
        "unit": row.unit,
        "value": str(row.value),
        "status": row.status,
        "due_date": row.due_date.isoformat(),
        "reason": reason,
    }
