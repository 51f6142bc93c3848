"""The planning service: open orders of the whole plant → a persisted schedule.

It reads every open order (the machines are shared by all tenants), asks the pure scheduler
for a plan, writes the plan, replaces each order's promise date with the schedule's and moves
received orders to Planned, all in one transaction with their events.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from bisect import bisect_left
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select

from openfab.catalog.service import CatalogService
from openfab.errors import InvalidInput, NotFound, OpenFabError, Problem
from openfab.identity.actor import (
    DOWNTIME_REPORTERS,
    PLANT_STAFF,
    SCHEDULERS,
    Actor,
    without_people,
)
from openfab.orders.orm import SalesOrderRow
from openfab.orders.promise import SHIPPING_DAYS
from openfab.orders.service import OrderService
from openfab.orders.states import OPEN_FOR_CAPACITY, OrderStatus
from openfab.planning.feasibility import unplaceable, without
from openfab.planning.model import EXPRESS_WEIGHT, STANDARD_WEIGHT, ObjectiveName, ProblemData
from openfab.planning.orm import (
    MachineDowntimeRow,
    OperationPinRow,
    ScheduledOperationRow,
    ScheduleRunRow,
)
from openfab.planning.pins import Hold, held
from openfab.planning.reschedule import reschedule
from openfab.planning.schedule import Schedule, ScheduledOperation
from openfab.planning.schemas import (
    DowntimeChange,
    DowntimeCreate,
    DowntimePublic,
    GanttBar,
    GanttPublic,
    GanttRow,
    GanttWindow,
    MovedOperation,
    MoveSummary,
    OperationPinPublic,
    PlanSummary,
    ScheduleRunPublic,
    WindowBar,
)
from openfab.planning.shopfloor import (
    PlanningOrder,
    RoutingOperation,
    at,
    build_problem,
    day_start,
    machine_ids,
    minute,
    operation_id,
    split_operation_id,
    work_center_of,
)
from openfab.planning.solver import solve
from openfab.store import Database, UnitOfWork
from openfab.store.base import new_id
from openfab.store.events import EventRecord
from openfab.store.inbox import first_delivery
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow

log = logging.getLogger(__name__)
PLANNABLE = tuple(OPEN_FOR_CAPACITY)
WINDOW_CACHE = 64  # plans' built operations kept (per run, newest event, filters, reader)
MAX_DOWNTIME = timedelta(days=14)
"""The longest window one report may book (a longer stop is booked again, deliberately)."""
MAX_DOWNTIME_AHEAD = timedelta(days=180)
FROZEN_MINUTES = 120
"""Operations planned to start this soon stay put when re-planning: their material is
staged and their machine is being set up."""
BAR_ENTITIES = ("sales_order", "operation_pin")
"""The events that change what a planned operation's bar shows (besides a new plan run)."""
AGING = timedelta(hours=1)
"""The wait that adds an order's base weight once more (:func:`waiting_weight`)."""
OBJECTIVE: ObjectiveName = "lead-time"
"""Promises first, then how long customers wait, then the makespan: with makespan alone a
re-plan may push any order back as long as the last one ends no later."""
PATIENCE = 0.25
"""Share of the time limit the search may go without a better plan before it stops: on
the plant's re-plans (hundreds of short orders) the repaired plan is usually optimal or
within a few units of the best found, and later rounds rarely pay."""


@dataclass(frozen=True)
class Placement:
    """An operation where the plan in force put it (the starting point of a re-plan)."""

    operation: str
    order: str
    machine: str
    start: datetime
    end: datetime

    def on(self, origin: datetime) -> ScheduledOperation:
        start, end = minute(origin, self.start), minute(origin, self.end)
        return ScheduledOperation(self.operation, self.order, self.machine, start, end)


@dataclass(frozen=True)
class PinnedStep:
    """A stored pin as a re-plan reads it."""

    order_id: str
    sequence: int
    machine: str
    not_before: datetime


def _holds(pins: Iterable[PinnedStep | OperationPinRow], origin: datetime) -> list[Hold]:
    return [Hold(p.order_id, p.sequence, p.machine, minute(origin, p.not_before)) for p in pins]


MaterialRelease = Callable[[Iterable[str]], Mapping[str, datetime]]
"""When each order's missing material arrives (from the material plan), by order id."""


@dataclass(frozen=True)
class PlannedActivity:
    """The plan's view of the machines at one moment: those down (with the reason given)
    and those the plan in force has an operation on."""

    down: dict[str, str]
    busy: frozenset[str]


@dataclass(frozen=True)
class Written:
    """What of a solved plan was written: operations of orders no longer open are dropped."""

    operations: int
    dropped_orders: int
    promise_changes: int


def _scheduled(
    run: ScheduleRunRow,
    order: SalesOrderRow,
    op: ScheduledOperation,
    sequence: int,
    origin: datetime,
) -> dict[str, Any]:
    """One planned operation as stored, under its order's tenant (for the tenant's Gantt):
    the values of its ``ScheduledOperationRow``, for one bulk insert of the plan."""
    return {
        "id": new_id(),
        "tenant_id": order.tenant_id,
        "run_id": run.id,
        "order_id": order.id,
        "order_number": order.number,
        "sequence": sequence,
        "work_center": work_center_of(op.machine),
        "machine": op.machine,
        "start_at": at(origin, op.start),
        "end_at": at(origin, op.end),
        "reason": str(op.reason or "")[:200],
    }


def _check_window(start_at: datetime, end_at: datetime, now: datetime) -> None:
    """Bounds on a downtime window: one report can never stop the plant for years."""
    problems = []
    if end_at - start_at > MAX_DOWNTIME:
        problems.append(Problem("end_at", f"a window lasts at most {MAX_DOWNTIME.days} days"))
    if start_at > now + MAX_DOWNTIME_AHEAD:
        days = MAX_DOWNTIME_AHEAD.days
        problems.append(Problem("start_at", f"at most {days} days ahead"))
    if end_at <= now - timedelta(days=1):
        problems.append(Problem("end_at", "the window ended more than a day ago"))
    if problems:
        raise InvalidInput("downtime window out of bounds", problems)


def planning_order(
    row: SalesOrderRow, now: datetime, material_ready: datetime | None = None
) -> PlanningOrder:
    """An open order as the scheduler sees it: it cannot start before it was placed, nor
    before its last missing material arrives; it weighs more the longer it has waited
    (:func:`waiting_weight`), an express order ten times more."""
    operations = tuple(
        RoutingOperation(
            sequence=int(op["sequence"]),
            code=str(op["code"]),
            work_centers=tuple(op["work_centers"]),
            minutes=math.ceil(float(op["setup_minutes"]) + float(op["run_minutes"]) * row.quantity),
        )
        for op in row.configured["routing"]
    )
    return PlanningOrder(
        order_id=row.id,
        tenant_id=row.tenant_id,
        family=row.product_code,
        due=row.promise_date,
        release=max(now, row.created_at, material_ready or now),
        operations=operations,
        weight=waiting_weight(row.express, row.created_at, now),
    )


def waiting_weight(express: bool, placed: datetime, now: datetime) -> int:
    """The order's weight in the flow-time and tardiness terms: its base weight (express or
    standard) once more for every ``AGING`` it has already waited.

    A re-plan sees each open order's flow time from *now*; with equal weights an order
    that waited four hours counts no more than one placed a minute ago, so the plan keeps
    putting fresh short orders ahead of it (shortest-first shortens the mean and stretches
    the tail: FIFO beat it on the 95th percentile). Weighing by the wait so far is the
    marginal cost of the sum of *squared* lead times at the current plan: old orders —
    and the make-up work of an order that lost a unit to scrap — go first when it matters.
    """
    base = EXPRESS_WEIGHT if express else STANDARD_WEIGHT
    waited = max(timedelta(0), now - placed)
    return base * (1 + int(waited / AGING))


class PlanningService:
    def __init__(
        self,
        db: Database,
        catalog: CatalogService,
        *,
        material_release: MaterialRelease | None = None,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.material_release = material_release
        self._windows: OrderedDict[tuple[Any, ...], _PlanBars] = OrderedDict()
        self._windows_lock = threading.Lock()

    def plan(
        self,
        actor: Actor,
        *,
        trigger: str = "manual",
        time_limit: float = 10.0,
        now: datetime | None = None,
        frozen_minutes: int = FROZEN_MINUTES,
    ) -> PlanSummary:
        """Re-plan every open order of the plant; returns what changed.

        The plan in force is repaired, not thrown away: what has started by ``now`` keeps its
        machine and times, what starts within ``frozen_minutes`` stays when it still fits, and
        everything else moves only when that pays (the scheduler's stability term).
        """
        actor.require_plant(*SCHEDULERS)
        now = now or utcnow()
        centers = self.catalog.reference().work_centers
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            rows = self._open_orders(uow)
            placed = self._placements(uow, {r.id for r in rows})
            downtime = self._downtime(uow, after=now)
            pins = self._pins(uow, {r.id for r in rows})
        ready = self.material_release([r.id for r in rows]) if self.material_release else {}
        orders = [planning_order(r, now, ready.get(r.id)) for r in rows]
        origin = day_start(min([now, *(p.start for p in placed)]))
        started = time.perf_counter()
        try:
            problem = build_problem(orders, centers, origin=origin, downtime=downtime, now=now)
            problem = held(problem, _holds(pins, origin))
            left_out = unplaceable(problem)
            if left_out:
                log.warning("left out of the plan: %s", "; ".join(left_out.values())[:2000])
                problem = without(problem, set(left_out))
            schedule = self._solve(problem, placed, origin, now, frozen_minutes, time_limit)
        except OpenFabError as exc:
            with self.db.unit(Scope.plant(), actor=actor.name) as uow:
                problems = [str(p) for p in exc.problems][:50]
                payload = {"trigger": trigger, "detail": exc.detail, "problems": problems}
                uow.record("schedule.failed", "schedule_run", "-", payload)
            raise
        elapsed = time.perf_counter() - started
        kept = [o for o in orders if o.order_id not in left_out]
        return self._record(actor, trigger, kept, schedule, origin, elapsed)[0]

    def _record(
        self,
        actor: Actor,
        trigger: str,
        orders: Sequence[PlanningOrder],
        schedule: Schedule,
        origin: datetime,
        elapsed: float,
        pin: OperationPinRow | None = None,
    ) -> tuple[PlanSummary, OperationPinPublic | None]:
        """Write a solved plan, its orders' promises and its event (and the planner's pin
        that made it), in one transaction."""
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            pinned = self._pin(uow, pin) if pin is not None else None
            run = ScheduleRunRow(
                trigger=trigger[:200],
                objective=OBJECTIVE,
                origin=origin,
                makespan_minutes=schedule.makespan,
                weighted_tardiness=schedule.weighted_tardiness,
                operations=len(schedule.operations),
                orders=len(orders),
                moved=schedule.moved,
                solve_seconds=round(elapsed, 3),
            )
            uow.session.add(run)
            uow.session.flush()
            written = self._write(uow, run, schedule, origin)
            closed = select(SalesOrderRow.id).where(SalesOrderRow.status.not_in(PLANNABLE))
            uow.session.execute(delete(OperationPinRow).where(OperationPinRow.order_id.in_(closed)))
            run.orders -= written.dropped_orders
            run.operations = written.operations
            uow.record(
                "schedule.planned",
                "schedule_run",
                run.id,
                {
                    "trigger": run.trigger,
                    "orders": run.orders,
                    "operations": run.operations,
                    "makespan_minutes": run.makespan_minutes,
                    "weighted_tardiness": run.weighted_tardiness,
                    "promise_changes": written.promise_changes,
                    # a count, not ids: this plant event is seen by every tenant's staff
                    "dropped_orders": written.dropped_orders,
                },
            )
            summary = PlanSummary(
                run=ScheduleRunPublic.model_validate(run),
                planned_orders=run.orders,
                promise_changes=written.promise_changes,
                dropped_orders=written.dropped_orders,
            )
            return summary, pinned

    @staticmethod
    def _pin(uow: UnitOfWork, pin: OperationPinRow) -> OperationPinPublic:
        """Store ``pin`` in place of the step's earlier one; its event names the machine
        and the step, never the order (the plant's events are read by every brand's staff)."""
        earlier = uow.session.scalar(
            select(OperationPinRow).where(
                OperationPinRow.order_id == pin.order_id, OperationPinRow.sequence == pin.sequence
            )
        )
        if earlier is not None:
            uow.session.delete(earlier)
            uow.session.flush()
        uow.session.add(pin)
        uow.session.flush()
        payload = {"machine": pin.machine, "sequence": pin.sequence}
        payload["not_before"] = pin.not_before.isoformat()
        uow.record("operation.pinned", "operation_pin", pin.id, payload)
        return OperationPinPublic.model_validate(pin)

    def move_operation(
        self,
        actor: Actor,
        order: str,
        sequence: int,
        machine: str,
        start: datetime | None = None,
        *,
        time_limit: float = 5.0,
        now: datetime | None = None,
    ) -> MoveSummary:
        """A planner moves one step of an open order to ``machine`` (of a work center the
        step may run on), not before ``start`` (default: where it is planned), and the rest
        of the plan is repaired around it; returns what moved and which promises changed.

        The move is stored as a pin: this re-plan and every later one hold the step to that
        machine, not before that start (a hard constraint), until the order leaves the plan
        or a planner releases the pin (``release_pin``); a new move of the step replaces it."""
        actor.require_plant(*SCHEDULERS)
        now = now or utcnow()
        centers = self.catalog.reference().work_centers
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            rows = self._open_orders(uow)
            placed = self._placements(uow, {r.id for r in rows})
            downtime = self._downtime(uow, after=now)
            pins = self._pins(uow, {r.id for r in rows})
        target = next((r for r in rows if order in (r.number, r.id)), None)
        if target is None:
            raise NotFound(f"no open order {order!r} to move")
        mine = [
            p
            for p in placed
            if p.order == target.id and split_operation_id(p.operation)[1] == sequence
        ]
        at_ = start or (min(p.start for p in mine) if mine else now)
        _check_move(target, sequence, machine, at_, mine, downtime, now, self.machines())
        ready = self.material_release([r.id for r in rows]) if self.material_release else {}
        orders = [planning_order(r, now, ready.get(r.id)) for r in rows]
        origin = day_start(min([now, *(p.start for p in placed)]))
        started = time.perf_counter()
        pin = OperationPinRow(
            tenant_id=target.tenant_id,
            order_id=target.id,
            order_number=target.number,
            sequence=sequence,
            machine=machine,
            not_before=at_,
            created_by=actor.name[:200],
        )
        others = [p for p in pins if (p.order_id, p.sequence) != (target.id, sequence)]
        problem = build_problem(orders, centers, origin=origin, downtime=downtime, now=now)
        problem = held(problem, _holds([*others, pin], origin))
        moved_to = _moved_placements(mine, machine, at_)
        previous = [moved_to.get(p.operation, p) for p in placed]
        schedule = self._solve(problem, previous, origin, now, 0, time_limit)
        # the plan's event is seen by every brand's staff: the machine, never the order
        trigger = f"planner moved an operation to {machine} at {at_:%Y-%m-%d %H:%M} UTC"
        summary, stored = self._record(
            actor, trigger, orders, schedule, origin, time.perf_counter() - started, pin
        )
        assert stored is not None
        numbers = {r.id: r.number for r in rows}
        return MoveSummary(
            plan=summary,
            pin=stored,
            moved=_moves(placed, schedule, origin, numbers),
            promise_changes=_promise_changes(rows, schedule, origin),
        )

    def _write(
        self, uow: UnitOfWork, run: ScheduleRunRow, schedule: Schedule, origin: datetime
    ) -> Written:
        """Write the plan's operations of orders still open now. An order cancelled (or
        finished) while the solver ran has left the open set: its operations are dropped, not
        written, and the rest of the plan stands."""
        rows = {r.id: r for r in self._open_orders(uow)}
        finish: dict[str, datetime] = {}
        dropped: set[str] = set()
        values: list[dict[str, Any]] = []
        for op in schedule.operations:
            order_id, sequence = split_operation_id(op.operation)
            order = rows.get(order_id)
            if order is None:
                dropped.add(order_id)
                continue
            end = at(origin, op.end)
            finish[order_id] = max(finish.get(order_id, end), end)
            values.append(_scheduled(run, order, op, sequence, origin))
        if values:  # one statement in the plant scope, not an ORM insert per operation
            uow.session.execute(insert(ScheduledOperationRow), values)
        written = len(values)
        changes = sum(self._promise(uow, rows[o], end) for o, end in finish.items())
        return Written(operations=written, dropped_orders=len(dropped), promise_changes=changes)

    @staticmethod
    def _solve(
        problem: ProblemData,
        placed: Sequence[Placement],
        origin: datetime,
        now: datetime,
        frozen_minutes: int,
        time_limit: float,
    ) -> Schedule:
        """From scratch the first time; afterwards a repair of the plan in force."""
        patience = PATIENCE * time_limit
        if not problem.orders:
            return Schedule(operations=(), makespan=0, weighted_tardiness=0, objective=0)
        if not placed:
            return solve(
                problem, time_limit=time_limit, seed=0, objective=OBJECTIVE, patience=patience
            )
        previous = [p.on(origin) for p in placed]
        return reschedule(
            problem,
            Schedule(operations=tuple(previous), makespan=0, weighted_tardiness=0, objective=0),
            now=minute(origin, now),
            frozen=frozen_minutes,
            time_limit=time_limit,
            objective=OBJECTIVE,
            patience=patience,
        )

    @staticmethod
    def _pins(uow: UnitOfWork, open_orders: set[str]) -> list[PinnedStep]:
        """The pins of still-open orders (a finished or cancelled order's pin is moot)."""
        pin = OperationPinRow
        query = select(pin.order_id, pin.sequence, pin.machine, pin.not_before)
        return [
            PinnedStep(order_id, sequence, machine, _aware(not_before))
            for order_id, sequence, machine, not_before in uow.session.execute(query)
            if order_id in open_orders
        ]

    def pins(self, actor: Actor) -> list[OperationPinPublic]:
        """Every pin of an open order, newest first (the plant's staff)."""
        actor.require_plant(*PLANT_STAFF)
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            rows = uow.session.scalars(
                select(OperationPinRow)
                .join(SalesOrderRow, SalesOrderRow.id == OperationPinRow.order_id)
                .where(SalesOrderRow.status.in_(PLANNABLE))
                .order_by(OperationPinRow.created_at.desc())
            )  # joined, not every open order read: the Gantt page asks on each view
            return [OperationPinPublic.model_validate(r) for r in rows]

    def release_pin(self, actor: Actor, pin_id: str) -> OperationPinPublic:
        """Let later re-plans place the step freely again (the plan in force stays until
        then, so nothing on the floor changes at once)."""
        actor.require_plant(*SCHEDULERS)
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            row = uow.session.get(OperationPinRow, pin_id)
            if row is None:
                raise NotFound(f"no pin {pin_id!r}")
            released = OperationPinPublic.model_validate(row)
            uow.session.delete(row)
            payload = {"machine": row.machine, "sequence": row.sequence}
            uow.record("operation.unpinned", "operation_pin", row.id, payload)
            return released

    def _placements(self, uow: UnitOfWork, open_orders: set[str]) -> list[Placement]:
        """The latest plan's operations of still-open orders, with their sub-lot ids."""
        run = self.latest_run(uow)
        if run is None or not open_orders:
            return []
        rows = uow.session.scalars(
            select(ScheduledOperationRow)
            .where(ScheduledOperationRow.run_id == run.id)
            .order_by(ScheduledOperationRow.start_at)
        )
        parts: dict[tuple[str, int], int] = defaultdict(int)
        placed = []
        for row in rows:
            if row.order_id not in open_orders:
                continue
            parts[row.order_id, row.sequence] += 1  # sub-lots run in order, so start order = part
            op = operation_id(row.order_id, row.sequence, parts[row.order_id, row.sequence])
            placed.append(Placement(op, row.order_id, row.machine, row.start_at, row.end_at))
        return placed

    @staticmethod
    def _promise(uow: UnitOfWork, order: SalesOrderRow, finish: datetime) -> bool:
        """Promise = the scheduled finish plus shipping; received orders become Planned
        through the order state machine (its checks and event, with the new promise)."""
        promise = finish + timedelta(days=SHIPPING_DAYS)
        changed = promise != order.promise_date
        payload: dict[str, Any] = {
            "number": order.number,
            "promise_date": promise.isoformat(),
            "previous_promise_date": order.promise_date.isoformat(),
        }
        order.promise_date, order.updated_at = promise, utcnow()
        if OrderStatus(order.status) == OrderStatus.RECEIVED:
            OrderService.advance_in(uow, order, OrderStatus.PLANNED, "scheduled", details=payload)
        elif changed:
            uow.record(
                "order.promise_changed", "sales_order", order.id, payload, tenant_id=order.tenant_id
            )
        return changed

    @staticmethod
    def _open_orders(uow: UnitOfWork) -> list[SalesOrderRow]:
        return list(
            uow.session.scalars(
                select(SalesOrderRow)
                .where(SalesOrderRow.status.in_(PLANNABLE))
                .order_by(SalesOrderRow.created_at, SalesOrderRow.id)
            )
        )

    # -- machines --------------------------------------------------------------------------
    def machines(self) -> list[str]:
        centers = self.catalog.reference().work_centers.values()
        return [m for c in centers for m in machine_ids(c)]

    def report_downtime(self, actor: Actor, data: DowntimeCreate) -> DowntimePublic:
        """A machine is down (or will be, for maintenance); the autopilot re-plans around it."""
        booked = self.report_downtime_once(actor, data, message_key=None)
        assert booked is not None  # without a key every report is booked
        return booked

    def report_downtime_once(
        self, actor: Actor, data: DowntimeCreate, *, message_key: str | None
    ) -> DowntimePublic | None:
        """``report_downtime`` for a shop-floor message: a redelivery of ``message_key``
        books nothing (None)."""
        actor.require_plant(*DOWNTIME_REPORTERS)
        if data.machine not in self.machines():
            raise NotFound(f"machine {data.machine!r} not found")
        _check_window(data.start_at, data.end_at, utcnow())
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            if not first_delivery(uow, message_key, "machine.down"):
                return None
            row = MachineDowntimeRow(
                machine=data.machine, start_at=data.start_at, end_at=data.end_at, reason=data.reason
            )
            uow.session.add(row)
            uow.session.flush()
            payload = data.model_dump(mode="json")
            uow.record("machine.down", "machine", data.machine, payload)
            return DowntimePublic.model_validate(row)

    def change_downtime(
        self, actor: Actor, downtime_id: str, change: DowntimeChange
    ) -> DowntimePublic:
        """Shorten, extend (within the bound) or cancel a downtime window booked by mistake;
        an event says who and why, and the autopilot re-plans."""
        actor.require_plant(*DOWNTIME_REPORTERS)
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            row = uow.session.get(MachineDowntimeRow, downtime_id)
            if row is None:
                raise NotFound(f"downtime {downtime_id!r} not found")
            before = DowntimePublic.model_validate(row)
            payload = {"before": before.model_dump(mode="json"), "reason": change.reason}
            if change.end_at is None:
                uow.session.delete(row)
                uow.record("machine.downtime_cancelled", "machine", row.machine, payload)
                return before.model_copy(update={"cancelled": True})
            if change.end_at <= row.start_at:
                raise InvalidInput("end_at must be after the window's start_at")
            _check_window(row.start_at, change.end_at, row.start_at)
            row.end_at = change.end_at
            payload["end_at"] = change.end_at.isoformat()
            uow.record("machine.downtime_changed", "machine", row.machine, payload)
            return DowntimePublic.model_validate(row)

    @staticmethod
    def _downtime(
        uow: UnitOfWork, *, after: datetime
    ) -> dict[str, list[tuple[datetime, datetime]]]:
        spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
        for row in uow.session.scalars(
            select(MachineDowntimeRow).where(MachineDowntimeRow.end_at > after)
        ):
            spans[row.machine].append((row.start_at, row.end_at))
        return spans

    # -- queries ---------------------------------------------------------------------------
    def downtime_since(self, since: datetime) -> list[DowntimePublic]:
        """Downtime windows (reported or planned) ending after ``since``: a plant fact, no
        order data, so read in a platform unit for every tenant's dashboard."""
        with self.db.unit(Scope.plant(), actor="system:planning", readonly=True) as uow:
            rows = uow.session.scalars(
                select(MachineDowntimeRow).where(MachineDowntimeRow.end_at > since)
            ).all()
            return [DowntimePublic.model_validate(r) for r in rows]

    def activity_at(self, now: datetime) -> PlannedActivity:
        """The plan's view of the machines at ``now`` (for machines the shop floor never
        reported on): which are inside a downtime window, and which the latest plan keeps
        busy. Machine names only, no order data, in one platform unit."""
        with self.db.unit(Scope.plant(), actor="system:planning", readonly=True) as uow:
            down = {
                r.machine: r.reason
                for r in uow.session.scalars(
                    select(MachineDowntimeRow).where(
                        MachineDowntimeRow.start_at <= now, MachineDowntimeRow.end_at > now
                    )
                )
            }
            run = self.latest_run(uow)
            busy = frozenset() if run is None else self._busy(uow, run.id, now)
        return PlannedActivity(down=down, busy=busy)

    @staticmethod
    def _busy(uow: UnitOfWork, run_id: str, now: datetime) -> frozenset[str]:
        return frozenset(
            uow.session.scalars(
                select(ScheduledOperationRow.machine)
                .where(
                    ScheduledOperationRow.run_id == run_id,
                    ScheduledOperationRow.start_at <= now,
                    ScheduledOperationRow.end_at > now,
                )
                .distinct()
            )
        )

    def latest_run(self, uow: UnitOfWork) -> ScheduleRunRow | None:
        return uow.session.scalars(
            select(ScheduleRunRow).order_by(ScheduleRunRow.created_at.desc()).limit(1)
        ).first()

    def run_operations(self, actor: Actor, run_id: str) -> list[GanttBar]:
        """Every operation of one plan, plant-wide, in start order (plant staff: the plant's
        own schedule, e.g. for the CLI's Gantt chart)."""
        actor.require_plant(*PLANT_STAFF)
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            rows = uow.session.scalars(
                select(ScheduledOperationRow)
                .where(ScheduledOperationRow.run_id == run_id)
                .order_by(ScheduledOperationRow.start_at)
            ).all()
            return [GanttBar.model_validate(r) for r in rows]

    def gantt(self, actor: Actor, *, by: str = "machine") -> GanttPublic:
        """The latest plan: plant staff see every operation, a brand its own orders', a
        customer their own; the plan's trigger names no one outside the plant."""
        with self.db.unit(actor.scope, actor=actor.name, readonly=True) as u:
            run = self.latest_run(u)
            if run is None:
                return GanttPublic(run=None, by=by, rows=[])
            query = select(ScheduledOperationRow).where(ScheduledOperationRow.run_id == run.id)
            if not actor.is_staff:
                mine = select(SalesOrderRow.id).where(SalesOrderRow.customer_id == actor.user_id)
                query = query.where(ScheduledOperationRow.order_id.in_(mine))
            bars = [
                GanttBar.model_validate(r)
                for r in u.session.scalars(query.order_by(ScheduledOperationRow.start_at))
            ]
            grouped: dict[str, list[GanttBar]] = defaultdict(list)
            for bar in bars:
                grouped[bar.machine if by == "machine" else bar.order_number].append(bar)
            rows = [GanttRow(key=k, bars=v) for k, v in sorted(grouped.items())]
            public = ScheduleRunPublic.model_validate(run)
            public.trigger = without_people(public.trigger, actor)
            return GanttPublic(run=public, by=by, rows=rows)

    def window(
        self,
        actor: Actor,
        start: datetime,
        end: datetime,
        *,
        order: str = "",
        product: str = "",
        brand: str = "",
    ) -> GanttWindow:
        """The latest plan's operations that overlap ``[start, end)``, each with its
        order's product and promise (late: the promise has passed; at risk: the plan
        finishes after it), and the downtime windows there. Plant staff see every brand's
        (``brand`` narrows to one), a brand its own, a customer their own. ``order`` is an
        order number (or id)."""
        with self.db.unit(actor.scope, actor=actor.name, readonly=True) as u:
            run = self.latest_run(u)
            downtime = [
                DowntimePublic.model_validate(r)
                for r in u.session.scalars(
                    select(MachineDowntimeRow).where(
                        MachineDowntimeRow.end_at > start, MachineDowntimeRow.start_at < end
                    )
                )
            ]
            if run is None:
                return GanttWindow(run=None, start=start, end=end, bars=[], downtime=downtime)
            now = utcnow()
            plan = self._plan_bars(u, run.id, actor, order, product, brand, now)
            lo = bisect_left(plan.starts, start - plan.longest)
            bars = [b for b in plan.bars[lo : bisect_left(plan.starts, end)] if b.end_at > start]
            public = ScheduleRunPublic.model_validate(run)
            public.trigger = without_people(public.trigger, actor)
            return GanttWindow(run=public, start=start, end=end, bars=bars, downtime=downtime)

    def _plan_bars(
        self,
        u: UnitOfWork,
        run_id: str,
        actor: Actor,
        order: str,
        product: str,
        brand: str,
        now: datetime,
    ) -> _PlanBars:
        """Every operation of the plan the reader may see, built once and kept until a new
        plan run, any order or pin event the reader may see (an order's status, a promise, a
        pin) or the next promise passing (``late``): never stale, and each window is a slice
        of it. Telemetry, machine states and the floor's events leave it be: on a live plant
        they come every second and would rebuild it on nearly every read."""
        newest = max(
            u.session.scalar(select(func.max(EventRecord.seq)).where(EventRecord.entity_type == e))
            or 0
            for e in BAR_ENTITIES
        )
        tenant, user = actor.scope.tenant_id, None if actor.is_staff else actor.user_id
        key = (run_id, newest, order, product, brand, tenant, actor.is_plant, user)
        with self._windows_lock:
            kept = self._windows.get(key)
        if kept is not None and (kept.until is None or now < kept.until):
            return kept
        early, late = datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC)
        bars = self._window_bars(u, run_id, early, late, actor, order, product, brand, now)
        coming = [b.promise_date for b in bars if b.promise_date > now]
        built = _PlanBars(
            bars=bars,
            starts=[b.start_at for b in bars],
            longest=max((b.end_at - b.start_at for b in bars), default=timedelta(0)),
            until=min(coming, default=None),
        )
        with self._windows_lock:
            self._windows[key] = built
            while len(self._windows) > WINDOW_CACHE:
                self._windows.popitem(last=False)
        return built

    def _window_bars(
        self,
        u: UnitOfWork,
        run_id: str,
        start: datetime,
        end: datetime,
        actor: Actor,
        order: str,
        product: str,
        brand: str,
        now: datetime,
    ) -> list[WindowBar]:
        """The window's operations read as plain columns in one query (see ``window``)."""
        op, so = ScheduledOperationRow, SalesOrderRow
        columns = (op.order_id, op.order_number, op.sequence, op.work_center, op.machine)
        query = (
            select(
                *columns,
                op.start_at,
                op.end_at,
                op.reason,
                op.tenant_id,
                so.product_code,
                so.promise_date,
                so.status,
            )
            .join(so, so.id == op.order_id)
            .where(op.run_id == run_id, op.end_at > start, op.start_at < end)
        )
        if not actor.is_staff:
            query = query.where(so.customer_id == actor.user_id)
        if order:
            query = query.where((so.number == order) | (so.id == order))
        if product:
            query = query.where(so.product_code == product)
        if brand and actor.is_plant:
            query = query.where(op.tenant_id == brand)
        found = u.session.execute(query.order_by(op.start_at)).all()
        finish = self._finishes(u, run_id, {r.order_id for r in found})
        pin = OperationPinRow
        pinned = (
            {(o, q) for o, q in u.session.execute(select(pin.order_id, pin.sequence))}
            if actor.is_plant
            else set()
        )
        bars: list[WindowBar] = []
        for r in found:  # read straight from the table: built without re-validation
            done = finish.get(r.order_id, r.end_at) + timedelta(days=SHIPPING_DAYS)
            promise = _aware(r.promise_date)
            bars.append(
                WindowBar.model_construct(
                    order_id=r.order_id,
                    order_number=r.order_number,
                    sequence=r.sequence,
                    work_center=r.work_center,
                    machine=r.machine,
                    start_at=_aware(r.start_at),
                    end_at=_aware(r.end_at),
                    reason=r.reason,
                    tenant_id=r.tenant_id,
                    product=r.product_code,
                    promise_date=promise,
                    late=promise < now and r.status in PLANNABLE,
                    at_risk=_aware(done) > promise,
                    pinned=(r.order_id, r.sequence) in pinned,
                )
            )
        return bars

    @staticmethod
    def _finishes(uow: UnitOfWork, run_id: str, orders: set[str]) -> dict[str, datetime]:
        """When the plan finishes each of ``orders`` (its last operation's end)."""
        op = ScheduledOperationRow
        finishes: dict[str, datetime] = {}
        ids = sorted(orders)
        for k in range(0, len(ids), 500):
            query = select(op.order_id, func.max(op.end_at)).where(
                op.run_id == run_id, op.order_id.in_(ids[k : k + 500])
            )
            for order_id, end in uow.session.execute(query.group_by(op.order_id)):
                finishes[order_id] = end
        return finishes

    def plan_span(self, actor: Actor) -> tuple[datetime, datetime] | None:
        """When the latest plan's operations that ``actor`` may see start and end (None: no
        plan, or none of theirs): where to look when a window shows nothing."""
        op = ScheduledOperationRow
        with self.db.unit(actor.scope, actor=actor.name, readonly=True) as u:
            run = self.latest_run(u)
            if run is None:
                return None
            query = select(func.min(op.start_at), func.max(op.end_at)).where(op.run_id == run.id)
            if not actor.is_staff:
                mine = select(SalesOrderRow.id).where(SalesOrderRow.customer_id == actor.user_id)
                query = query.where(op.order_id.in_(mine))
            first, last = u.session.execute(query).one()
            return None if first is None else (_aware(first), _aware(last))

    def order_plan(self, actor: Actor, order_id: str) -> GanttPublic:
        """One order's operations in the latest plan (the caller must see the order)."""
        with self.db.unit(actor.scope, actor=actor.name, readonly=True) as u:
            run = self.latest_run(u)
            if run is None:
                return GanttPublic(run=None, by="order", rows=[])
            query = select(ScheduledOperationRow).where(
                ScheduledOperationRow.run_id == run.id,
                ScheduledOperationRow.order_id == order_id,
            )
            bars = [
                GanttBar.model_validate(r)
                for r in u.session.scalars(query.order_by(ScheduledOperationRow.start_at))
            ]
            public = ScheduleRunPublic.model_validate(run)
            public.trigger = without_people(public.trigger, actor)
            rows = [GanttRow(key=bars[0].order_number, bars=bars)] if bars else []
            return GanttPublic(run=public, by="order", rows=rows)


@dataclass(frozen=True)
class _PlanBars:
    """A plan's operations as one reader sees them, in start order (see ``_plan_bars``)."""

    bars: list[WindowBar]
    starts: list[datetime]
    longest: timedelta
    until: datetime | None


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes: they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _check_move(
    order: SalesOrderRow,
    sequence: int,
    machine: str,
    start: datetime,
    planned: Sequence[Placement],
    downtime: Mapping[str, Sequence[tuple[datetime, datetime]]],
    now: datetime,
    machines: Sequence[str],
) -> None:
    """Every reason the step cannot go there, at once."""
    problems = []
    steps = {int(op["sequence"]): op for op in order.configured["routing"]}
    step = steps.get(sequence)
    if step is None:
        known = ", ".join(str(k) for k in sorted(steps))
        problems.append(Problem("sequence", f"{order.number} has steps {known}"))
    if machine not in machines:
        problems.append(Problem("machine", f"no machine {machine!r}"))
    elif step is not None and work_center_of(machine) not in step["work_centers"]:
        allowed = ", ".join(step["work_centers"])
        problems.append(
            Problem("machine", f"step {sequence} runs on {allowed}, not {work_center_of(machine)}")
        )
    if start < now:
        problems.append(Problem("start", "in the past: a plan starts from now"))
    if step is not None and not planned:
        problems.append(Problem("sequence", "not in the plan in force: plan first"))
    if any(_aware(p.start) <= now for p in planned):
        problems.append(Problem("sequence", "already started: it cannot move"))
    length = sum(((p.end - p.start) for p in planned), timedelta())
    for down_start, down_end in downtime.get(machine, ()):
        if _aware(down_start) < start + length and _aware(down_end) > start:
            problems.append(
                Problem(
                    "start",
                    f"{machine} is down {down_start:%m-%d %H:%M}–{down_end:%m-%d %H:%M} UTC",
                )
            )
            break
    if problems:
        raise InvalidInput("the operation cannot move there", problems)


def _moved_placements(
    planned: Sequence[Placement], machine: str, start: datetime
) -> dict[str, Placement]:
    """The step's sub-lots placed back to back on ``machine`` from ``start``."""
    moved = {}
    at_ = start
    for p in sorted(planned, key=lambda p: p.start):
        end = at_ + (p.end - p.start)
        moved[p.operation] = replace(p, machine=machine, start=at_, end=end)
        at_ = end
    return moved


def _moves(
    before: Sequence[Placement], after: Schedule, origin: datetime, numbers: Mapping[str, str]
) -> list[MovedOperation]:
    """Operations whose machine or start changed, largest shift first."""
    old = {p.operation: p for p in before}
    moved = []
    for op in after.operations:
        was = old.get(op.operation)
        if was is None:
            continue
        start = at(origin, op.start)
        if was.machine != op.machine or _aware(was.start) != start:
            order_id, sequence = split_operation_id(op.operation)
            moved.append(
                MovedOperation(
                    order_number=numbers.get(order_id, order_id),
                    sequence=sequence,
                    machine_before=was.machine,
                    machine_after=op.machine,
                    start_before=_aware(was.start),
                    start_after=start,
                )
            )
    return sorted(moved, key=lambda m: -abs(m.shift_minutes))


def _promise_changes(
    orders: Sequence[SalesOrderRow], after: Schedule, origin: datetime
) -> list[tuple[str, datetime, datetime]]:
    finish: dict[str, datetime] = {}
    for op in after.operations:
        order_id, _ = split_operation_id(op.operation)
        end = at(origin, op.end)
        finish[order_id] = max(finish.get(order_id, end), end)
    changes = []
    for row in orders:
        if row.id in finish:
            promise = finish[row.id] + timedelta(days=SHIPPING_DAYS)
            if promise != _aware(row.promise_date):
                changes.append((row.number, _aware(row.promise_date), promise))
    return changes
