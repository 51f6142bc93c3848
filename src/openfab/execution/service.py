"""The execution service (MES): work orders from the schedule, operations as the shop floor
reports them, serial units with their genealogy, shipping and OEE.

Every command is one unit of work: the state change and its events commit together. Shop-floor
messages carry a message id; a redelivered message is recognised in the inbox and changes
nothing, so the twin or a bus may deliver at least once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import SessionTransaction

from openfab.catalog.service import CatalogService, PlantReference
from openfab.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    OpenFabError,
    Problem,
    ProblemCollector,
)
from openfab.execution import reads
from openfab.execution.genealogy import format_serial, inspection_passed, serial_prefix, shift_of
from openfab.execution.orm import (
    ExecutionInboxRow,
    MachineStateRow,
    OperationRow,
    SerialCounterRow,
    SerialUnitRow,
    UnitInspectionRow,
    UnitMaterialRow,
    UnitOperationRow,
    WorkOrderRow,
)
from openfab.execution.release import PlannedStep, planned_steps, routing_steps, work_order_number
from openfab.execution.schemas import (
    DispatchItem,
    Genealogy,
    LotConsumption,
    MachineStatePublic,
    MachineStateReport,
    OeeReport,
    OperationFinish,
    OperationPublic,
    OperationStart,
    OrderShipment,
    ReleasedWorkOrder,
    ReleaseSummary,
    ShipmentDue,
    ShipmentPublic,
    UnitPublic,
    UnitReport,
    UnitRework,
    UnitScrap,
    UnitsPublic,
    WorkOrderDetail,
    WorkOrdersPublic,
)
from openfab.execution.states import (
    ACTIVE,
    OperationStatus,
    Outcome,
    UnitStatus,
    WorkOrderStatus,
    check_operation,
    check_unit,
    check_work_order,
)
from openfab.execution.working_set import WorkingSet
from openfab.identity.actor import FLOOR, SCHEDULERS, Actor
from openfab.orders.orm import SalesOrderRow
from openfab.orders.service import OrderService
from openfab.orders.states import OrderStatus
from openfab.planning.mrp.orm import MaterialLotRow
from openfab.planning.orm import ScheduledOperationRow, ScheduleRunRow
from openfab.planning.shopfloor import machine_ids
from openfab.store import Database, UnitOfWork
from openfab.store.base import new_id
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow

T = TypeVar("T")
LATEST = datetime.max.replace(tzinfo=UTC)
GOOD = (UnitStatus.COMPLETED, UnitStatus.SHIPPED, UnitStatus.DELIVERED)
LOT_CHUNK = 200
"""(material, lot) pairs looked up per statement."""


class ExecutionService:
    def __init__(
        self,
        db: Database,
        catalog: CatalogService,
        orders: OrderService,
        *,
        equipment_paths: Mapping[str, str] | None = None,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.orders = orders
        self.equipment_paths: Mapping[str, str] = equipment_paths or {}
        """Machine → site/area/line/machine (the plant layout), shown on operations."""
        self._reference: PlantReference | None = None
        self._machines: dict[str, str] | None = None

    def reference(self) -> PlantReference:
        if self._reference is None:
            self._reference = self.catalog.reference()
        return self._reference

    def machines(self) -> dict[str, str]:
        """Machine id → its work center, for the whole shared plant."""
        return dict(self._centers())

    def _centers(self) -> Mapping[str, str]:
        """``machines`` built once, like the reference it comes from: every shop-floor
        message checks its machine here."""
        if self._machines is None:
            centers = self.reference().work_centers.values()
            self._machines = {m: c.code for c in centers for m in machine_ids(c)}
        return self._machines

    # -- release -------------------------------------------------------------------------------
    def release(
        self, actor: Actor, *, horizon: timedelta | None = None, now: datetime | None = None
    ) -> ReleaseSummary:
        """Release a work order for every planned order of the latest schedule (starting
        within ``horizon`` when given), move released ones to the newer plan and cancel those
        whose sales order was cancelled. Plant-wide, like the schedule itself."""
        actor.require_plant(*SCHEDULERS)
        now = now or utcnow()
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            cancelled = self._cancel_orphans(uow)
            run = uow.session.scalars(
                select(ScheduleRunRow).order_by(ScheduleRunRow.created_at.desc()).limit(1)
            ).first()
            if run is None:
                return ReleaseSummary(
                    schedule_run_id=None, released=[], rescheduled=0, cancelled=cancelled
                )
            parts = uow.session.scalars(
                select(ScheduledOperationRow).where(ScheduledOperationRow.run_id == run.id)
            ).all()
            plan: dict[str, dict[int, PlannedStep]] = defaultdict(dict)
            for (order_id, sequence), step in planned_steps(parts).items():
                plan[order_id][sequence] = step
            order_ids = sorted(plan)
            existing = self._active_by_order(uow, order_ids)
            stale = [
                w.id
                for w in existing.values()
                if w.status == WorkOrderStatus.RELEASED and w.schedule_run_id != run.id
            ]
            ops = _operations_by_work_order(uow, stale)  # one read, not one per work order
            released, moved = [], 0
            for order in self._orders(uow, order_ids):
                steps = plan[order.id]
                work_order = existing.get(order.id)
                if work_order is not None:
                    moved += self._replan(uow, work_order, steps, run.id, ops.get(work_order.id))
                elif order.status == OrderStatus.PLANNED and _due(steps, now, horizon):
                    released.append(self._create(uow, order, steps, run.id).number)
            return ReleaseSummary(
                schedule_run_id=run.id, released=released, rescheduled=moved, cancelled=cancelled
            )

    def release_order(self, actor: Actor, order: str) -> WorkOrderDetail:
        """Release one planned order now (a rush order, or a plant run without the
        scheduler): with the latest schedule's times when it has them."""
        actor.require_plant(*SCHEDULERS)

        def work(uow: UnitOfWork) -> WorkOrderDetail:
            row = _sales_order(uow, order)
            if row.id in self._active_by_order(uow, [row.id]):
                raise Conflict(f"{row.number} already has a work order")
            if row.status != OrderStatus.PLANNED:
                raise Conflict(f"{row.number} is {row.status}; only planned orders are released")
            run = uow.session.scalars(
                select(ScheduleRunRow).order_by(ScheduleRunRow.created_at.desc()).limit(1)
            ).first()
            parts = uow.session.scalars(
                select(ScheduledOperationRow).where(
                    ScheduledOperationRow.order_id == row.id,
                    ScheduledOperationRow.run_id == (run.id if run else ""),
                )
            ).all()
            steps = {seq: p for (_, seq), p in planned_steps(parts).items()}
            created = self._create(uow, row, steps, run.id if parts and run else None)
            uow.session.flush()
            return reads.work_order_detail(uow, actor, created.id, self.equipment_paths)

        return self._in_tenant(actor, order, work, by="order")

    def _create(
        self,
        uow: UnitOfWork,
        order: SalesOrderRow,
        steps: dict[int, PlannedStep],
        run_id: str | None,
        *,
        quantity: int | None = None,
        replaces: str | None = None,
        replacement: int = 0,
    ) -> WorkOrderRow:
        work_order = WorkOrderRow(
            tenant_id=order.tenant_id,
            number=work_order_number(order.number, replacement),
            order_id=order.id,
            order_number=order.number,
            customer_id=order.customer_id,
            product_code=order.product_code,
            quantity=quantity or order.quantity,
            status=WorkOrderStatus.RELEASED,
            schedule_run_id=run_id,
            replaces=replaces,
            quantity_good=0,
            quantity_scrap=0,
        )
        uow.session.add(work_order)
        uow.session.flush()  # its operations refer to it
        operations = []
        for index, step in enumerate(routing_steps(order.configured)):
            planned = steps.get(step.sequence)
            operations.append(
                OperationRow(
                    tenant_id=order.tenant_id,
                    work_order_id=work_order.id,
                    sequence=step.sequence,
                    code=step.code,
                    name=step.name,
                    work_centers=list(step.work_centers),
                    setup_minutes=step.setup_minutes,
                    run_minutes=step.run_minutes,
                    status=OperationStatus.READY if index == 0 else OperationStatus.PENDING,
                    planned_machine=planned.machine if planned else None,
                    planned_start=planned.start if planned else None,
                    planned_end=planned.end if planned else None,
                    parameters={},
                )
            )
        uow.session.add_all(operations)
        WorkingSet.of(uow).register(work_order, operations)
        uow.record(
            "work_order.released",
            "work_order",
            work_order.id,
            {
                "number": work_order.number,
                "order": order.number,
                "quantity": work_order.quantity,
                "schedule_run": run_id,
                "replaces": replaces,
            },
            tenant_id=order.tenant_id,
        )
        return work_order

    @staticmethod
    def _replan(
        uow: UnitOfWork,
        work_order: WorkOrderRow,
        steps: dict[int, PlannedStep],
        run_id: str,
        operations: Sequence[OperationRow] | None = None,
    ) -> int:
        """A newer plan moves the not yet started operations of a released work order
        (``operations``: its operations when already read)."""
        if work_order.status != WorkOrderStatus.RELEASED or work_order.schedule_run_id == run_id:
            return 0
        work_order.schedule_run_id = run_id
        changed = False
        for op in _operations(uow, work_order) if operations is None else operations:
            planned = steps.get(op.sequence)
            if planned is None or op.status not in (OperationStatus.READY, OperationStatus.PENDING):
                continue
            new = (planned.machine, planned.start, planned.end)
            if new != (op.planned_machine, op.planned_start, op.planned_end):
                op.planned_machine, op.planned_start, op.planned_end = new
                changed = True
        return int(changed)

    def _cancel_orphans(self, uow: UnitOfWork) -> list[str]:
        rows = uow.session.scalars(
            select(WorkOrderRow)
            .join(SalesOrderRow, SalesOrderRow.id == WorkOrderRow.order_id)
            .where(
                SalesOrderRow.status == OrderStatus.CANCELLED,
                WorkOrderRow.status.in_([WorkOrderStatus.RELEASED, WorkOrderStatus.HELD]),
            )
        ).all()
        for work_order in rows:
            self._move(uow, work_order, WorkOrderStatus.CANCELLED, "sales order cancelled")
            for op in _operations(uow, work_order):
                op.status = OperationStatus.CANCELLED
        return [w.number for w in rows]

    @staticmethod
    def _orders(uow: UnitOfWork, ids: Sequence[str]) -> list[SalesOrderRow]:
        return list(
            uow.session.scalars(
                select(SalesOrderRow)
                .where(SalesOrderRow.id.in_(ids))
                .order_by(SalesOrderRow.created_at, SalesOrderRow.id)
            )
        )

    @staticmethod
    def _active_by_order(uow: UnitOfWork, ids: Sequence[str]) -> dict[str, WorkOrderRow]:
        """The newest work order of each order that was not cancelled."""
        rows = uow.session.scalars(
            select(WorkOrderRow)
            .where(WorkOrderRow.order_id.in_(ids), WorkOrderRow.status != WorkOrderStatus.CANCELLED)
            .order_by(WorkOrderRow.created_at)
        )
        return {row.order_id: row for row in rows}

    # -- operations ----------------------------------------------------------------------------
    def start_operation(
        self, actor: Actor, work_order: str, sequence: int, data: OperationStart
    ) -> OperationPublic:
        """An operation started on a machine; the first one starts the work order's units
        (serial numbers are handed out) and puts the sales order in production."""
        actor.require_plant(*FLOOR)
        return self._in_tenant(
            actor, work_order, lambda uow: self._start(uow, work_order, sequence, data)
        )

    def finish_operation(
        self, actor: Actor, work_order: str, sequence: int, data: OperationFinish
    ) -> OperationPublic:
        """An operation finished: good and scrapped quantities, each unit's result, the lots
        it consumed; the next operation becomes ready, or the work order completes."""
        actor.require_plant(*FLOOR)
        return self._in_tenant(
            actor, work_order, lambda uow: self._finish(uow, work_order, sequence, data)
        )

    def _check_finish(
        self,
        uow: UnitOfWork,
        data: OperationFinish,
        op: OperationRow,
        units: Sequence[SerialUnitRow],
        finished: datetime,
    ) -> dict[str, tuple[Outcome, UnitReport | None]]:
        """Every problem of a finish report at once; each unit's outcome when there is none.
        Scrap that no unit report names falls on the last serials."""
        problems = ProblemCollector()
        if data.machine is not None and data.machine != op.machine:
            problems.add("machine", f"operation runs on {op.machine}, not {data.machine}")
        _check_aware(problems, "finished_at", finished)
        if op.started_at is not None and finished.tzinfo and finished < op.started_at:
            problems.add("finished_at", f"before the operation started ({op.started_at})")
        if data.quantity_good + data.quantity_scrap != len(units):
            problems.add(
                "quantity_good",
                f"good {data.quantity_good} + scrap {data.quantity_scrap} must equal the "
                f"{len(units)} units in process",
                "conservation",
            )
        self._check_lots(uow, problems, data.materials)
        known = {u.serial for u in units}
        reports: dict[str, UnitReport] = {}
        for index, report in enumerate(data.units):
            loc = f"units.{index}"
            if report.serial not in known:
                problems.add(f"{loc}.serial", f"{report.serial} is not in process here")
            elif report.serial in reports:
                problems.add(f"{loc}.serial", f"{report.serial} reported twice")
            reports[report.serial] = report
            for j, test in enumerate(report.inspections):
                if inspection_passed(test) is None:
                    problems.add(f"{loc}.inspections.{j}", "give passed, or a value and limits")
        named = [s for s, r in reports.items() if r.outcome == Outcome.SCRAP and s in known]
        spare = [u.serial for u in reversed(units) if u.serial not in reports]
        extra = data.quantity_scrap - len(named)
        if extra < 0 or extra > len(spare):
            problems.add("quantity_scrap", "does not match the units reported as scrap")
        problems.raise_if_any(f"operation {op.sequence} cannot finish")
        outcomes: dict[str, tuple[Outcome, UnitReport | None]] = {}
        fill = set(spare[:extra])
        for unit in units:
            given = reports.get(unit.serial)
            if given is not None:
                outcomes[unit.serial] = (given.outcome, given)
            else:
                scrap = unit.serial in fill
                outcomes[unit.serial] = (Outcome.SCRAP if scrap else Outcome.GOOD, None)
        return outcomes

    @staticmethod
    def _apply_outcomes(
        uow: UnitOfWork,
        op: OperationRow,
        units: Sequence[SerialUnitRow],
        outcomes: dict[str, tuple[Outcome, UnitReport | None]],
        data: OperationFinish,
        finished: datetime,
    ) -> None:
        _consume(uow, units, op.sequence, data.materials)
        later = WorkingSet.of(uow).insert_later  # genealogy: bulk rows, nothing reads them back
        for unit in units:
            outcome, report = outcomes[unit.serial]
            reason = report.reason if report and report.reason else ""
            if outcome == Outcome.SCRAP:
                reason = reason or data.scrap_reason
            later(
                UnitOperationRow,
                {
                    "id": new_id(),
                    "tenant_id": unit.tenant_id,
                    "unit_id": unit.id,
                    "operation_id": op.id,
                    "sequence": op.sequence,
                    "outcome": outcome,
                    "reason": reason,
                    "measurements": dict(report.measurements) if report else {},
                    "recorded_at": finished,
                },
            )
            for test in report.inspections if report else []:
                passed = bool(inspection_passed(test))
                unit.first_pass = unit.first_pass and passed
                later(
                    UnitInspectionRow,
                    {
                        "id": new_id(),
                        "tenant_id": unit.tenant_id,
                        "unit_id": unit.id,
                        "sequence": op.sequence,
                        "characteristic": test.characteristic,
                        "value": test.value,
                        "low": test.low,
                        "high": test.high,
                        "passed": passed,
                        "inspected_at": finished,
                    },
                )
            if outcome == Outcome.REWORK:
                unit.reworked, unit.first_pass = True, False
            elif outcome == Outcome.SCRAP:
                check_unit(UnitStatus(unit.status), UnitStatus.SCRAPPED)
                unit.status, unit.first_pass = UnitStatus.SCRAPPED, False
                unit.scrapped_at_sequence, unit.scrap_reason = op.sequence, reason[:200]

    def _start_work_order(
        self, uow: UnitOfWork, work_order: WorkOrderRow, started: datetime
    ) -> list[str]:
        """The first operation: the units get serial numbers and the order is in production."""
        status = WorkOrderStatus(work_order.status)
        if status == WorkOrderStatus.RUNNING:
            return []
        self._move(uow, work_order, WorkOrderStatus.RUNNING, "first operation started")
        work_order.started_at = started
        order = WorkingSet.of(uow).sales_order(work_order.order_id)
        if order is not None and order.status == OrderStatus.PLANNED:
            self.orders.advance_in(uow, order, OrderStatus.IN_PRODUCTION, work_order.number)
        serials = _allocate_serials(
            uow, work_order.tenant_id, work_order.product_code, work_order.quantity
        )
        units = [
            SerialUnitRow(
                id=new_id(),
                tenant_id=work_order.tenant_id,
                serial=serial,
                work_order_id=work_order.id,
                order_id=work_order.order_id,
                customer_id=work_order.customer_id,
                product_code=work_order.product_code,
                status=UnitStatus.IN_PROCESS,
                first_pass=True,
                reworked=False,
                scrap_reason="",
            )
            for serial in serials
        ]
        WorkingSet.of(uow).add_units(work_order, units)
        return serials

    def _complete(self, uow: UnitOfWork, work_order: WorkOrderRow, at: datetime) -> None:
        """No unit left to process: the good ones are complete, the order is inspected (or a
        make-up work order is released for what scrap took)."""
        for unit in _in_process(uow, work_order):
            unit.status, unit.completed_at = UnitStatus.COMPLETED, at
        for op in _operations(uow, work_order):
            if op.status in (OperationStatus.PENDING, OperationStatus.READY):
                op.status = OperationStatus.CANCELLED
        work_order.quantity_good = _count(uow, work_order, GOOD)
        work_order.completed_at = at
        self._move(uow, work_order, WorkOrderStatus.COMPLETED, "last operation finished")
        self._make_up(uow, work_order.order_id)

    def _make_up(self, uow: UnitOfWork, order_id: str) -> None:
        """Enough good units: the order is inspected; too few and nothing in work: a make-up
        work order for the shortfall."""
        working = WorkingSet.of(uow)
        order = working.sales_order(order_id)
        if order is None:
            return
        works = working.works_of_order(order.id)  # from memory: no flush mid-batch
        if any(w.status in ACTIVE for w in works):
            return
        good = sum(_count(uow, w, GOOD) for w in works)
        shortfall = order.quantity - good
        if shortfall <= 0:
            if order.status == OrderStatus.IN_PRODUCTION:
                self.orders.advance_in(uow, order, OrderStatus.INSPECTED, "all units good")
            return
        last = max(works, key=lambda w: w.created_at)
        self._create(
            uow, order, {}, None, quantity=shortfall, replaces=last.number, replacement=len(works)
        )

    # -- units ---------------------------------------------------------------------------------
    def scrap_unit(
        self, actor: Actor, serial: str, data: UnitScrap, *, tenant: str | None = None
    ) -> UnitPublic:
        """Scrap a unit between operations or after completion (not while an operation runs:
        report that with the operation's finish). Serials are per brand: the plant names the
        brand (``tenant``) where two brands' serials may be alike."""
        actor.require_plant(*FLOOR)
        return self._in_tenant(
            actor, serial, lambda uow: self._scrap(uow, serial, data), by="serial", tenant=tenant
        )

    def rework_unit(
        self, actor: Actor, serial: str, data: UnitRework, *, tenant: str | None = None
    ) -> UnitPublic:
        """A unit repeated a finished operation (it failed a later check and was repaired);
        ``tenant`` as for ``scrap_unit``."""
        actor.require_plant(*FLOOR)
        return self._in_tenant(
            actor, serial, lambda uow: self._rework(uow, serial, data), by="serial", tenant=tenant
        )

    # -- shipping ------------------------------------------------------------------------------
    def ship(self, actor: Actor, order: str, data: OrderShipment) -> ShipmentPublic:
        """Ship an inspected order: its good units leave, the work orders close."""
        actor.require_plant(*FLOOR)
        return self._in_tenant(actor, order, lambda uow: self._ship(uow, order, data), by="order")

    def deliver(self, actor: Actor, order: str, data: OrderShipment) -> ShipmentPublic:
        """The carrier delivered a shipped order."""
        actor.require_plant(*FLOOR)
        return self._in_tenant(
            actor, order, lambda uow: self._deliver(uow, order, data), by="order"
        )

    # -- machines ------------------------------------------------------------------------------
    def report_machine_state(
        self, actor: Actor, machine: str, data: MachineStateReport
    ) -> MachineStatePublic:
        """A machine of the shared plant changed state (any order of arrival is fine)."""
        actor.require_plant(*FLOOR)
        return self._retrying(
            Scope.plant(), actor, lambda uow: self._machine_state(uow, machine, data)
        )

    def report_machine_states(
        self, actor: Actor, reports: Sequence[tuple[str, MachineStateReport]]
    ) -> int:
        """Many state changes in one transaction (the twin's fast path); returns how many
        were new. Refused as a whole, with every problem, when any is bad."""
        actor.require_plant(*FLOOR)
        problems = ProblemCollector()
        known = self._centers()
        for index, (machine, data) in enumerate(reports):
            if machine not in known:
                problems.add(f"{index}.machine", f"machine {machine!r} not found", "not_found")
            if data.at is not None:
                _check_aware(problems, f"{index}.at", data.at)
        problems.raise_if_any("machine states not recorded")

        def work(uow: UnitOfWork) -> int:
            """Plant rows only (no tenant's), so they go in as three bulk inserts: the
            state changes, their inbox keys and (at commit) their events."""
            working = WorkingSet.of(uow)
            working.prefetch((), [d.message_id for _, d in reports if d.message_id])
            inbox: list[dict[str, object]] = []
            rows: list[dict[str, object]] = []
            for machine, data in reports:
                if not working.first_delivery(data.message_id, "machine.state", machine, inbox):
                    continue
                at = data.at or utcnow()
                rows.append(
                    {
                        "id": new_id(),
                        "machine": machine,
                        "state": data.state,
                        "at": at,
                        "reason": data.reason,
                    }
                )
                payload = {"state": data.state, "at": at.isoformat(), "reason": data.reason}
                uow.record("machine.state_changed", "machine", machine, payload, tenant_id=None)
            for model, values in ((MachineStateRow, rows), (ExecutionInboxRow, inbox)):
                if values:
                    uow.session.execute(insert(model), values)
            return len(rows)

        return self._retrying(Scope.plant(), actor, work)

    def _machine_state(
        self, uow: UnitOfWork, machine: str, data: MachineStateReport
    ) -> MachineStatePublic:
        at = data.at or utcnow()
        problems = ProblemCollector()
        if machine not in self._centers():
            raise NotFound(f"machine {machine!r} not found")
        _check_aware(problems, "at", at)
        problems.raise_if_any("machine state not recorded")
        row = MachineStateRow(machine=machine, state=data.state, at=at, reason=data.reason)
        if not _first_delivery(uow, data.message_id, "machine.state", machine):
            return MachineStatePublic.model_validate(row)
        uow.session.add(row)
        payload = {"state": data.state, "at": at.isoformat(), "reason": data.reason}
        uow.record("machine.state_changed", "machine", machine, payload, tenant_id=None)
        return MachineStatePublic.model_validate(row)

    def machine_states(
        self, actor: Actor, machine: str, *, start: datetime, end: datetime
    ) -> list[MachineStatePublic]:
        """A machine's reported state changes in ``[start, end)``, in time order."""
        if not actor.is_staff:
            raise Forbidden("machine states are for factory staff")
        if machine not in self._centers():
            raise NotFound(f"machine {machine!r} not found")
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            rows = uow.session.scalars(
                select(MachineStateRow)
                .where(
                    MachineStateRow.machine == machine,
                    MachineStateRow.at >= start,
                    MachineStateRow.at < end,
                )
                .order_by(MachineStateRow.at)
            )
            return [MachineStatePublic.model_validate(r) for r in rows]

    # -- the plant's routing of shop-floor messages -----------------------------------------
    def work_order_owners(self, numbers: Iterable[str]) -> dict[str, tuple[str, str]]:
        """Work order number → (tenant, sales order id), for the gateway: the plant routes a
        machine's message to its tenant; tenants never see each other's work. A number two
        tenants share (never made by OpenFab) is left out, so it is refused, not guessed."""
        wanted = sorted(set(numbers))
        with self.db.unit(Scope.plant(), actor="system:gateway", readonly=True) as uow:
            rows = uow.session.execute(
                select(WorkOrderRow.number, WorkOrderRow.tenant_id, WorkOrderRow.order_id).where(
                    WorkOrderRow.number.in_(wanted)
                )
            ).all()
        found: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for number, tenant, order in rows:
            found[number].append((tenant, order))
        return {n: owners[0] for n, owners in found.items() if len(owners) == 1}

    def work_order_serials(self, actor: Actor, numbers: Iterable[str]) -> dict[str, list[str]]:
        """The serial numbers of work orders' units, in the order they were handed out (what
        a plant's label printer asks for once the first operation started)."""
        actor.require_plant(*FLOOR)
        wanted = sorted(set(numbers))
        with self._reading(actor) as uow:
            rows = uow.session.execute(
                select(WorkOrderRow.number, SerialUnitRow.serial)
                .join(SerialUnitRow, SerialUnitRow.work_order_id == WorkOrderRow.id)
                .where(WorkOrderRow.number.in_(wanted))
                .order_by(SerialUnitRow.serial)
            ).all()
        found: dict[str, list[str]] = defaultdict(list)
        for number, serial in rows:
            found[number].append(serial)
        return dict(found)

    def released_work_orders(self, actor: Actor) -> list[ReleasedWorkOrder]:
        """Released work orders not started yet, with their planned steps and material:
        what a plant's line controller (or the twin) loads to run them."""
        actor.require_plant(*FLOOR)
        with self._reading(actor) as uow:
            return reads.released_work_orders(uow)

    def shipments_due(self, actor: Actor) -> list[ShipmentDue]:
        """Customer orders ready to leave (all units good and inspected): the dock's list."""
        actor.require_plant(*FLOOR)
        with self._reading(actor) as uow:
            return reads.shipments_due(uow)

    def unit_counts(self, actor: Actor) -> dict[str, int]:
        """Serial units by status, plant-wide (how many were scrapped, shipped …): counts
        only, no brand's ids."""
        actor.require_plant(*FLOOR)
        with self._reading(actor) as uow:
            return reads.unit_counts(uow)

    def dispatch_lists(self) -> dict[str, list[DispatchItem]]:
        """Each machine's work: released operations not finished, in planned order (the
        running one first). Plant-wide, for the machines' dispatch topics."""
        open_ops = (OperationStatus.PENDING, OperationStatus.READY, OperationStatus.RUNNING)
        with self.db.unit(Scope.plant(), actor="system:dispatch", readonly=True) as uow:
            rows = uow.session.execute(
                select(OperationRow, WorkOrderRow.number, WorkOrderRow.quantity)
                .join(WorkOrderRow, WorkOrderRow.id == OperationRow.work_order_id)
                .where(
                    WorkOrderRow.status.in_(ACTIVE),
                    OperationRow.status.in_(open_ops),
                    OperationRow.planned_machine.is_not(None),
                )
            ).all()
        lists: dict[str, list[DispatchItem]] = defaultdict(list)
        for op, number, quantity in rows:
            machine = op.machine or op.planned_machine or ""
            lists[machine].append(
                DispatchItem(
                    work_order=number,
                    operation=op.sequence,
                    code=op.code,
                    status=op.status,
                    quantity=quantity,
                    planned_start=op.planned_start,
                    planned_end=op.planned_end,
                )
            )
        for items in lists.values():
            items.sort(key=_dispatch_order)
        return dict(lists)

    # -- batches -------------------------------------------------------------------------------
    @contextmanager
    def floor(self, actor: Actor, *, tenant_id: str | None = None) -> Iterator[FloorSession]:
        """Many shop-floor messages of one tenant in one transaction: the fast path for the
        twin or a bus consumer. Each message runs in a savepoint, so a refused one is listed
        in ``FloorSession.refused`` and the others still commit with their events."""
        actor.require_plant(*FLOOR)
        tenant = actor.tenant_for(tenant_id) or actor.require_tenant()
        with self.db.unit(Scope.tenant(tenant), actor=actor.name) as uow:
            session = FloorSession(self, uow)
            yield session
            session.finish()

    def oee(
        self,
        actor: Actor,
        *,
        start: datetime,
        end: datetime,
        machines: Sequence[str] | None = None,
        now: datetime | None = None,
    ) -> OeeReport:
        """OEE per machine of the shared plant over ``[start, end)``, and the plant's."""
        if not actor.is_staff:
            raise Forbidden("OEE is for factory staff")
        known = self.machines()
        chosen = list(machines) if machines else sorted(known)
        problems = ProblemCollector()
        for name in chosen:
            if name not in known:
                problems.add("machine", f"machine {name!r} not found", "not_found")
        _check_aware(problems, "start", start)
        _check_aware(problems, "end", end)
        if not problems.problems and end <= start:
            problems.add("end", "the window must end after it starts")
        problems.raise_if_any("cannot compute OEE")
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            return reads.oee_report(uow, chosen, start, end, min(end, now or utcnow()))

    # -- commands inside a unit of work (shared with FloorSession) ---------------------------
    def _start(
        self, uow: UnitOfWork, work_order: str, sequence: int, data: OperationStart
    ) -> OperationPublic:
        order_row, op = self._operation(uow, work_order, sequence)
        if not _first_delivery(uow, data.message_id, "operation.start", op.id):
            return OperationPublic.model_validate(op)
        started = data.started_at or utcnow()
        problems = ProblemCollector()
        self._check_machine(problems, "machine", data.machine, op)
        _check_aware(problems, "started_at", started)
        self._check_lots(uow, problems, data.materials)
        problems.raise_if_any(f"operation {sequence} of {order_row.number} cannot start")
        check_operation(OperationStatus(op.status), OperationStatus.RUNNING)
        serials = self._start_work_order(uow, order_row, started)
        units = _in_process(uow, order_row)
        op.status, op.machine, op.started_at = OperationStatus.RUNNING, data.machine, started
        op.shift = data.shift or shift_of(started)
        op.parameters = dict(data.parameters)
        op.quantity_in = len(units)
        _consume(uow, units, op.sequence, data.materials)
        payload = {
            "work_order": order_row.number,
            "sequence": op.sequence,
            "machine": data.machine,
            "started_at": started.isoformat(),
            "units": len(units),
            "serials": serials,
            "parameters": op.parameters,
        }
        if op.planned_start is not None:
            payload["late_minutes"] = late_minutes(started, op.planned_start)
        uow.record("operation.started", "work_order_operation", op.id, payload)
        return OperationPublic.model_validate(op)

    def _finish(
        self, uow: UnitOfWork, work_order: str, sequence: int, data: OperationFinish
    ) -> OperationPublic:
        order_row, op = self._operation(uow, work_order, sequence)
        if not _first_delivery(uow, data.message_id, "operation.finish", op.id):
            return OperationPublic.model_validate(op)
        if op.status != OperationStatus.RUNNING:
            raise Conflict(f"operation {sequence} of {order_row.number} is {op.status}")
        finished = data.finished_at or utcnow()
        units = _in_process(uow, order_row)
        outcomes = self._check_finish(uow, data, op, units, finished)
        self._apply_outcomes(uow, op, units, outcomes, data, finished)
        op.status, op.finished_at = OperationStatus.COMPLETED, finished
        op.quantity_good, op.quantity_scrap = data.quantity_good, data.quantity_scrap
        op.parameters = {**op.parameters, **data.parameters}
        order_row.quantity_scrap += data.quantity_scrap
        order_row.updated_at = utcnow()
        scrapped = sorted(s for s, (o, _) in outcomes.items() if o == Outcome.SCRAP)
        payload = {
            "work_order": order_row.number,
            "sequence": op.sequence,
            "machine": op.machine,
            "finished_at": finished.isoformat(),
            "good": data.quantity_good,
            "scrap": data.quantity_scrap,
            "scrapped": scrapped,
        }
        if op.planned_end is not None:
            payload["late_minutes"] = late_minutes(finished, op.planned_end)
        uow.record("operation.finished", "work_order_operation", op.id, payload)
        nxt = _next_operation(uow, order_row, op.sequence)
        if nxt is not None and data.quantity_good > 0:
            nxt.status = OperationStatus.READY
        else:
            self._complete(uow, order_row, finished)
        return OperationPublic.model_validate(op)

    def _scrap(self, uow: UnitOfWork, serial: str, data: UnitScrap) -> UnitPublic:
        unit = _unit(uow, serial)
        if not _first_delivery(uow, data.message_id, "unit.scrap", unit.id):
            return UnitPublic.model_validate(unit)
        work_order = uow.session.get(WorkOrderRow, unit.work_order_id)
        assert work_order is not None
        running = [o for o in _operations(uow, work_order) if o.status == "Running"]
        if unit.status == UnitStatus.IN_PROCESS and running:
            raise Conflict(
                f"{serial} is in operation {running[0].sequence}; report scrap with its finish"
            )
        was = UnitStatus(unit.status)
        check_unit(was, UnitStatus.SCRAPPED)
        unit.status, unit.first_pass, unit.scrap_reason = (
            UnitStatus.SCRAPPED,
            False,
            data.reason,
        )
        work_order.quantity_scrap += 1
        if was == UnitStatus.COMPLETED:
            work_order.quantity_good -= 1
        payload = {"serial": serial, "from": was, "reason": data.reason}
        uow.record("unit.scrapped", "serial_unit", unit.id, payload)
        if was == UnitStatus.IN_PROCESS and not _in_process(uow, work_order):
            self._complete(uow, work_order, utcnow())
        elif was == UnitStatus.COMPLETED:
            self._make_up(uow, unit.order_id)
        return UnitPublic.model_validate(unit)

    def _rework(self, uow: UnitOfWork, serial: str, data: UnitRework) -> UnitPublic:
        unit = _unit(uow, serial)
        if not _first_delivery(uow, data.message_id, "unit.rework", unit.id):
            return UnitPublic.model_validate(unit)
        if unit.status not in (UnitStatus.IN_PROCESS, UnitStatus.COMPLETED):
            raise Conflict(f"{serial} is {unit.status}; only units in the plant are reworked")
        op = uow.session.scalar(
            select(OperationRow).where(
                OperationRow.work_order_id == unit.work_order_id,
                OperationRow.sequence == data.sequence,
            )
        )
        if op is None or op.status != OperationStatus.COMPLETED:
            raise Conflict(f"operation {data.sequence} of {serial} has not been completed")
        uow.session.add(
            UnitOperationRow(
                unit_id=unit.id,
                operation_id=op.id,
                sequence=op.sequence,
                outcome=Outcome.REWORK,
                reason=data.reason,
                measurements={},
            )
        )
        unit.reworked, unit.first_pass = True, False
        payload = {"serial": serial, "sequence": data.sequence, "reason": data.reason}
        uow.record("unit.reworked", "serial_unit", unit.id, payload)
        return UnitPublic.model_validate(unit)

    def _ship(self, uow: UnitOfWork, order: str, data: OrderShipment) -> ShipmentPublic:
        row = _sales_order(uow, order)
        if not _first_delivery(uow, data.message_id, "order.ship", row.id):
            return _shipment(uow, row)
        units = _order_units(uow, row.id, UnitStatus.COMPLETED)
        if len(units) < row.quantity:
            raise Conflict(f"{row.number} has {len(units)} of {row.quantity} units ready")
        self.orders.advance_in(uow, row, OrderStatus.SHIPPED, data.note)
        now = _moment(data.at)
        for unit in units[: row.quantity]:
            unit.status, unit.shipped_at = UnitStatus.SHIPPED, now
        for work_order in _completed_work_orders(uow, row.id):
            self._move(uow, work_order, WorkOrderStatus.CLOSED, "order shipped")
        serials = [u.serial for u in units[: row.quantity]]
        uow.record(
            "order.shipped",
            "sales_order",
            row.id,
            {"number": row.number, "serials": serials, "at": now.isoformat()},
        )
        return ShipmentPublic(
            order_id=row.id, order_number=row.number, status=row.status, serials=serials
        )

    def _deliver(self, uow: UnitOfWork, order: str, data: OrderShipment) -> ShipmentPublic:
        row = _sales_order(uow, order)
        if not _first_delivery(uow, data.message_id, "order.deliver", row.id):
            return _shipment(uow, row)
        self.orders.advance_in(uow, row, OrderStatus.DELIVERED, data.note)
        now = _moment(data.at)
        for unit in _order_units(uow, row.id, UnitStatus.SHIPPED):
            unit.status, unit.delivered_at = UnitStatus.DELIVERED, now
        return _shipment(uow, row)

    # -- queries -------------------------------------------------------------------------------
    def list_work_orders(
        self,
        actor: Actor,
        *,
        status: WorkOrderStatus | None = None,
        order: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> WorkOrdersPublic:
        with self._reading(actor) as uow:
            return reads.work_orders(uow, actor, status, order, limit, offset)

    def get_work_order(self, actor: Actor, ref: str) -> WorkOrderDetail:
        with self._reading(actor) as uow:
            return reads.work_order_detail(uow, actor, ref, self.equipment_paths)

    def list_units(
        self,
        actor: Actor,
        *,
        order: str | None = None,
        status: UnitStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> UnitsPublic:
        with self._reading(actor) as uow:
            return reads.units(uow, actor, order, status, limit, offset)

    def get_unit(self, actor: Actor, serial: str) -> UnitPublic:
        with self._reading(actor) as uow:
            return UnitPublic.model_validate(reads.visible_unit(uow, actor, serial))

    def genealogy(self, actor: Actor, serial: str) -> Genealogy:
        """Everything that went into one unit: order, operations, machines, lots, tests."""
        with self._reading(actor) as uow:
            return reads.genealogy(uow, reads.visible_unit(uow, actor, serial))

    def trace(self, serial: str, *, tenant_id: str | None = None) -> Genealogy:
        """The platform's view for ``openfab trace``: a serial of any tenant (or of one)."""
        scope = Scope.plant() if tenant_id is None else Scope.tenant(tenant_id)
        with self.db.unit(scope, actor="system:trace", readonly=True) as uow:
            rows = uow.session.scalars(
                select(SerialUnitRow).where(SerialUnitRow.serial == serial)
            ).all()
            if not rows:
                raise NotFound(f"unit {serial!r} not found")
            if len(rows) > 1:
                tenants = ", ".join(sorted(r.tenant_id for r in rows))
                raise Conflict(f"{serial} exists at several tenants ({tenants}); pass --tenant")
            return reads.genealogy(uow, rows[0])

    # -- helpers -------------------------------------------------------------------------------
    def _reading(self, actor: Actor) -> AbstractContextManager[UnitOfWork]:
        """A brand reads its own; the plant's staff and processes read the whole plant."""
        return self.db.unit(actor.scope, actor=actor.name, readonly=True)

    def _in_tenant(
        self,
        actor: Actor,
        ref: str,
        work: Callable[[UnitOfWork], T],
        *,
        by: str = "work_order",
        tenant: str | None = None,
    ) -> T:
        """Run ``work`` in the unit of the tenant that owns the referenced work order, unit or
        order (or the ``tenant`` the plant names): the plant acts on one brand's rows at a
        time, never on two."""
        tenant = actor.tenant_for(tenant)
        if tenant is None:
            with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
                tenant = reads.owner(uow, ref, by)
        return self._retrying(Scope.tenant(tenant), actor, work)

    def _retrying(self, scope: Scope, actor: Actor, work: Callable[[UnitOfWork], T]) -> T:
        """One retry after a unique-key race: a concurrent delivery of the same message won,
        and the retry finds it in the inbox (or a serial counter was created meanwhile)."""
        try:
            with self.db.unit(scope, actor=actor.name) as uow:
                return _written(uow, work(uow))
        except IntegrityError:
            with self.db.unit(scope, actor=actor.name) as uow:
                return _written(uow, work(uow))

    def _operation(
        self, uow: UnitOfWork, ref: str, sequence: int
    ) -> tuple[WorkOrderRow, OperationRow]:
        work_order = WorkingSet.of(uow).work_order(ref) or reads.find_work_order(uow, ref)
        op = next((o for o in _operations(uow, work_order) if o.sequence == sequence), None)
        if op is None:
            raise NotFound(f"{work_order.number} has no operation {sequence}")
        return work_order, op

    def _check_machine(
        self, problems: ProblemCollector, loc: str, machine: str, op: OperationRow
    ) -> None:
        center = self._centers().get(machine)
        if center is None:
            problems.add(loc, f"machine {machine!r} not found", "not_found")
        elif center not in op.work_centers:
            allowed = ", ".join(op.work_centers)
            problems.add(loc, f"{machine} is not in an eligible work center ({allowed})")

    def _check_lots(
        self, uow: UnitOfWork, problems: ProblemCollector, lots: Sequence[LotConsumption]
    ) -> None:
        """Every consumed lot is a real lot of the plant's stores (genealogy records what
        was used, so a lot that was never received cannot be recorded)."""
        materials = self.reference().materials
        known = _known_lots(uow, {(lot.material, lot.lot) for lot in lots})
        for index, lot in enumerate(lots):
            if lot.material not in materials:
                problems.add(f"materials.{index}.material", f"unknown material {lot.material!r}")
            elif (lot.material, lot.lot) not in known:
                message = f"no lot {lot.lot!r} of {lot.material} in the stores"
                problems.add(f"materials.{index}.lot", message, "not_found")

    @staticmethod
    def _move(uow: UnitOfWork, work_order: WorkOrderRow, target: WorkOrderStatus, why: str) -> None:
        current = WorkOrderStatus(work_order.status)
        check_work_order(current, target)
        work_order.status, work_order.updated_at = target, utcnow()
        uow.record(
            "work_order.status_changed",
            "work_order",
            work_order.id,
            {"number": work_order.number, "from": current, "to": target, "note": why},
            tenant_id=work_order.tenant_id,
        )


# -- module helpers ----------------------------------------------------------------------------
def _due(steps: dict[int, PlannedStep], now: datetime, horizon: timedelta | None) -> bool:
    if horizon is None or not steps:
        return True
    return min(s.start for s in steps.values()) < now + horizon


def _moment(at: datetime | None) -> datetime:
    """A reported time (the twin's simulated clock), or now; never naive."""
    if at is None:
        return utcnow()
    if at.tzinfo is None:
        raise InvalidInput("time without zone", [Problem("at", "give a time zone (UTC offset)")])
    return at


def late_minutes(actual: datetime, planned: datetime) -> float:
    """How late ``actual`` is against the plan, in minutes to 0.1 (negative: early) — the
    drift the re-planning autopilot compares with its threshold."""
    return round((actual - planned).total_seconds() / 60, 1) + 0.0  # + 0.0: never -0.0


def _dispatch_order(item: DispatchItem) -> tuple[int, datetime, str, int]:
    running = 0 if item.status == OperationStatus.RUNNING else 1
    return running, item.planned_start or LATEST, item.work_order, item.operation


def _check_aware(problems: ProblemCollector, loc: str, moment: datetime) -> None:
    if moment.tzinfo is None:
        problems.add(loc, "give a time zone (UTC offset)", "naive_datetime")


def _first_delivery(uow: UnitOfWork, message_id: str | None, kind: str, entity: str) -> bool:
    """Record ``message_id`` as applied; False when it already was (a redelivery)."""
    return WorkingSet.of(uow).first_delivery(message_id, kind, entity)


def _operations_by_work_order(
    uow: UnitOfWork, ids: Sequence[str], chunk: int = 500
) -> dict[str, list[OperationRow]]:
    """The operations of many work orders in sequence order, in a few statements."""
    found: dict[str, list[OperationRow]] = {i: [] for i in ids}
    for k in range(0, len(ids), chunk):
        for op in uow.session.scalars(
            select(OperationRow)
            .where(OperationRow.work_order_id.in_(ids[k : k + chunk]))
            .order_by(OperationRow.work_order_id, OperationRow.sequence)
        ):
            found[op.work_order_id].append(op)
    return found


def _operations(uow: UnitOfWork, work_order: WorkOrderRow) -> list[OperationRow]:
    return list(WorkingSet.of(uow).operations_of(work_order))


def _next_operation(uow: UnitOfWork, work_order: WorkOrderRow, after: int) -> OperationRow | None:
    pending = OperationStatus.PENDING
    return next(
        (
            op
            for op in WorkingSet.of(uow).operations_of(work_order)
            if op.sequence > after and op.status == pending
        ),
        None,
    )


def _in_process(uow: UnitOfWork, work_order: WorkOrderRow) -> list[SerialUnitRow]:
    return [u for u in WorkingSet.of(uow).units_of(work_order) if u.status == UnitStatus.IN_PROCESS]


def _count(uow: UnitOfWork, work_order: WorkOrderRow, statuses: Sequence[UnitStatus]) -> int:
    return sum(u.status in statuses for u in WorkingSet.of(uow).units_of(work_order))


def _known_lots(uow: UnitOfWork, wanted: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of ``wanted`` (material, lot) exist, remembered per transaction (a batch of
    operations draws on the same few lots)."""
    known: set[tuple[str, str]] = uow.session.info.setdefault("execution.known_lots", set())
    missing = sorted(wanted - known)
    for start in range(0, len(missing), LOT_CHUNK):
        pairs = missing[start : start + LOT_CHUNK]
        with uow.session.no_autoflush:  # lots are the stores' rows: nothing here to flush
            rows = uow.session.execute(
                select(MaterialLotRow.material, MaterialLotRow.lot).where(
                    or_(
                        *(
                            and_(MaterialLotRow.material == m, MaterialLotRow.lot == n)
                            for m, n in pairs
                        )
                    )
                )
            ).all()
        known.update((m, n) for m, n in rows)
    return known & wanted


def _written(uow: UnitOfWork, result: T) -> T:
    """``result``, once the unit's pending bulk rows are in (``WorkingSet.write``)."""
    WorkingSet.of(uow).write()
    return result


def _consume(
    uow: UnitOfWork, units: Sequence[SerialUnitRow], sequence: int, lots: Sequence[LotConsumption]
) -> None:
    """Genealogy: each unit drew each lot (bulk rows, written before the commit)."""
    later = WorkingSet.of(uow).insert_later
    for unit in units:
        for lot in lots:
            later(
                UnitMaterialRow,
                {
                    "id": new_id(),
                    "tenant_id": unit.tenant_id,
                    "unit_id": unit.id,
                    "sequence": sequence,
                    "material": lot.material,
                    "lot": lot.lot,
                    "quantity": lot.quantity,
                    "unit": lot.unit,
                },
            )


def _allocate_serials(uow: UnitOfWork, tenant_id: str, product: str, count: int) -> list[str]:
    """The next ``count`` serial numbers of the tenant's product prefix (counter row locked)."""
    prefix = serial_prefix(tenant_id, product)
    counters = WorkingSet.of(uow).serial_counters
    counter = counters.get(prefix)
    if counter is None:
        with uow.session.no_autoflush:  # counters of this transaction are in ``counters``
            counter = uow.session.scalars(
                select(SerialCounterRow).where(SerialCounterRow.prefix == prefix).with_for_update()
            ).first()
        if counter is None:
            counter = SerialCounterRow(prefix=prefix, last=0)
            uow.session.add(counter)
        counters[prefix] = counter
    first = counter.last + 1
    counter.last += count
    return [format_serial(prefix, n) for n in range(first, first + count)]


def _unit(uow: UnitOfWork, serial: str) -> SerialUnitRow:
    unit = uow.session.scalars(select(SerialUnitRow).where(SerialUnitRow.serial == serial)).first()
    if unit is None:
        raise NotFound(f"unit {serial!r} not found")
    return unit


def _order_units(uow: UnitOfWork, order_id: str, status: UnitStatus) -> list[SerialUnitRow]:
    """The order's units in ``status``, in serial order (from memory when prefetched)."""
    known = WorkingSet.of(uow).units_of_order(order_id)
    if known is not None:
        return [u for u in known if u.status == status]
    return list(
        uow.session.scalars(
            select(SerialUnitRow)
            .where(SerialUnitRow.order_id == order_id, SerialUnitRow.status == status)
            .order_by(SerialUnitRow.serial)
        )
    )


def _completed_work_orders(uow: UnitOfWork, order_id: str) -> list[WorkOrderRow]:
    """The order's completed work orders (from memory when its orders were prefetched)."""
    working = WorkingSet.of(uow)
    if order_id in working.order_units and order_id in working.order_works:
        works = working.order_works[order_id]
        return [w for w in works if w.status == WorkOrderStatus.COMPLETED]
    return list(
        uow.session.scalars(
            select(WorkOrderRow).where(
                WorkOrderRow.order_id == order_id,
                WorkOrderRow.status == WorkOrderStatus.COMPLETED,
            )
        )
    )


def _sales_order(uow: UnitOfWork, ref: str) -> SalesOrderRow:
    known = WorkingSet.of(uow).orders.get(ref)
    if known is not None:
        return known
    row = uow.session.scalars(
        select(SalesOrderRow).where((SalesOrderRow.id == ref) | (SalesOrderRow.number == ref))
    ).first()
    if row is None:
        raise NotFound(f"order {ref!r} not found")
    return row


def _shipment(uow: UnitOfWork, row: SalesOrderRow) -> ShipmentPublic:
    serials = uow.session.scalars(
        select(SerialUnitRow.serial)
        .where(
            SerialUnitRow.order_id == row.id,
            SerialUnitRow.status.in_([UnitStatus.SHIPPED, UnitStatus.DELIVERED]),
        )
        .order_by(SerialUnitRow.serial)
    ).all()
    return ShipmentPublic(
        order_id=row.id, order_number=row.number, status=row.status, serials=list(serials)
    )


class FloorSession:
    """The commands of ``ExecutionService`` bound to one open unit of work (see ``floor``)."""

    def __init__(self, service: ExecutionService, uow: UnitOfWork) -> None:
        self._service = service
        self._uow = uow
        self.refused: list[tuple[str, OpenFabError]] = []
        self._batch: SessionTransaction | None = None
        self._applied: list[tuple[str, Callable[[], object]]] = []
        self._careful = False
        self._mark = 0
        self._pending = 0

    def prefetch(
        self,
        work_orders: Iterable[str],
        message_ids: Iterable[str] = (),
        lots: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Read what a batch of messages will touch in a few statements, not per message:
        the work orders, which message ids were applied before, the (material, lot) pairs
        the messages name."""
        WorkingSet.of(self._uow).prefetch(work_orders, message_ids)
        wanted = set(lots)
        if wanted:
            _known_lots(self._uow, wanted)

    def prefetch_orders(self, order_ids: Iterable[str], message_ids: Iterable[str] = ()) -> None:
        """Read the customer orders a batch ships or delivers (by id) with their units and
        work orders, and which of ``message_ids`` were applied, in a few statements."""
        working = WorkingSet.of(self._uow)
        working.prefetch((), message_ids)
        working.prefetch_orders(order_ids)

    @property
    def applied_messages(self) -> int:
        """Events recorded so far in this batch: unchanged by a redelivered message."""
        return len(self._uow.messages)

    def serials(self, work_order: str) -> list[str]:
        """The serial numbers of a work order's units, in order (uncommitted ones too)."""
        found = WorkingSet.of(self._uow).work_order(work_order)
        if found is None:
            raise NotFound(f"work order {work_order!r} not found")
        return [u.serial for u in WorkingSet.of(self._uow).units_of(found)]

    def start_operation(
        self, work_order: str, sequence: int, data: OperationStart
    ) -> OperationPublic | None:
        return self._guarded(
            f"start {work_order}/{sequence}",
            lambda: self._service._start(self._uow, work_order, sequence, data),
        )

    def finish_operation(
        self, work_order: str, sequence: int, data: OperationFinish
    ) -> OperationPublic | None:
        return self._guarded(
            f"finish {work_order}/{sequence}",
            lambda: self._service._finish(self._uow, work_order, sequence, data),
        )

    def scrap_unit(self, serial: str, data: UnitScrap) -> UnitPublic | None:
        return self._guarded(
            f"scrap {serial}", lambda: self._service._scrap(self._uow, serial, data)
        )

    def rework_unit(self, serial: str, data: UnitRework) -> UnitPublic | None:
        return self._guarded(
            f"rework {serial}", lambda: self._service._rework(self._uow, serial, data)
        )

    def ship(self, order: str, data: OrderShipment) -> ShipmentPublic | None:
        return self._guarded(f"ship {order}", lambda: self._service._ship(self._uow, order, data))

    def deliver(self, order: str, data: OrderShipment) -> ShipmentPublic | None:
        return self._guarded(
            f"deliver {order}", lambda: self._service._deliver(self._uow, order, data)
        )

    def finish(self) -> None:
        """Close the batch's savepoint and write its bulk rows (the unit of work then
        commits)."""
        if self._batch is not None and self._batch.is_active:
            self._batch.commit()
        self._batch = None
        WorkingSet.of(self._uow).write()

    def _guarded(self, what: str, command: Callable[[], T]) -> T | None:
        """Apply one message; a refused one leaves no row and no event.

        Messages are applied optimistically in one savepoint for the whole batch (one flush
        for all, not one per message). The first refusal rolls that savepoint back and
        replays the messages applied so far each in a savepoint of its own, as every
        message after it is from then on."""
        if self._careful:
            return self._isolated(what, command)
        working = WorkingSet.of(self._uow)
        if self._batch is None:
            self._batch, self._mark = self._uow.session.begin_nested(), len(self._uow.messages)
            self._pending = len(working.pending)
        try:
            result = command()
        except OpenFabError:
            self._batch.rollback()
            working.forget(self._pending)
            del self._uow.messages[self._mark :]
            self._careful = True
            for name, applied in self._applied:
                self._isolated(name, applied)
            self._applied.clear()
            return self._isolated(what, command)
        self._applied.append((what, command))
        return result

    def _isolated(self, what: str, command: Callable[[], T]) -> T | None:
        mark, working = len(self._uow.messages), WorkingSet.of(self._uow)
        pending = len(working.pending)
        savepoint = self._uow.session.begin_nested()
        try:
            result = command()
        except OpenFabError as exc:
            savepoint.rollback()
            working.forget(pending)
            del self._uow.messages[mark:]
            self.refused.append((what, exc))
            return None
        savepoint.commit()
        return result
