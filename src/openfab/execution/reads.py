"""Read models of execution: work orders, units, genealogy and OEE, from one unit of work.

Customers see only their own work orders and units; staff see their tenant's; the platform
(tenant ``None``) sees all, which OEE needs because every tenant's orders share the machines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Select, and_, func, or_, select

from openfab.errors import NotFound
from openfab.execution.oee import (
    MachineOee,
    OeeInput,
    ProductionCount,
    StateInterval,
    busy_intervals,
    combine,
    compute_oee,
    intervals_from_changes,
)
from openfab.execution.orm import (
    MachineStateRow,
    OperationRow,
    SerialUnitRow,
    UnitInspectionRow,
    UnitMaterialRow,
    UnitOperationRow,
    WorkOrderRow,
)
from openfab.execution.schemas import (
    Genealogy,
    GenealogyStep,
    InspectionPublic,
    MaterialLink,
    OeePublic,
    OeeReport,
    OperationPublic,
    ReleasedStep,
    ReleasedWorkOrder,
    ShipmentDue,
    UnitPublic,
    UnitsPublic,
    WorkOrderDetail,
    WorkOrderPublic,
    WorkOrdersPublic,
)
from openfab.execution.states import MachineState, OperationStatus, UnitStatus, WorkOrderStatus
from openfab.identity.actor import Actor
from openfab.orders.orm import SalesOrderRow
from openfab.orders.states import OrderStatus
from openfab.planning.shopfloor import work_center_of
from openfab.store import UnitOfWork

Query = TypeVar("Query", bound=Select[Any])
PREFERENCE = {  # which work order of an order a reference by order means
    WorkOrderStatus.RUNNING: 0,
    WorkOrderStatus.HELD: 1,
    WorkOrderStatus.RELEASED: 2,
    WorkOrderStatus.COMPLETED: 3,
    WorkOrderStatus.CLOSED: 4,
    WorkOrderStatus.ABORTED: 5,
    WorkOrderStatus.CANCELLED: 6,
}


def _visible(query: Query, actor: Actor, customer_column: Any) -> Query:
    """Customers see their own rows only; staff (and platform processes) all the tenant's."""
    if actor.is_staff or actor.is_system:
        return query
    return query.where(customer_column == actor.user_id)


def owner(uow: UnitOfWork, ref: str, by: str) -> str:
    """The tenant owning a work order, unit or order reference (platform-wide lookup)."""
    if by == "serial":
        query: Select[Any] = select(SerialUnitRow.tenant_id).where(SerialUnitRow.serial == ref)
    elif by == "order":
        query = select(SalesOrderRow.tenant_id).where(
            or_(SalesOrderRow.id == ref, SalesOrderRow.number == ref)
        )
    else:
        query = select(WorkOrderRow.tenant_id).where(
            or_(
                WorkOrderRow.id == ref,
                WorkOrderRow.number == ref,
                WorkOrderRow.order_id == ref,
                WorkOrderRow.order_number == ref,
            )
        )
    tenants = set(uow.session.scalars(query))
    if not tenants:
        raise NotFound(f"{by.replace('_', ' ')} {ref!r} not found")
    if len(tenants) > 1:
        raise NotFound(f"{ref!r} is ambiguous across tenants; act for one tenant")
    return str(tenants.pop())


def find_work_order(uow: UnitOfWork, ref: str, actor: Actor | None = None) -> WorkOrderRow:
    """A work order by id or number, or the current one of a sales order (id or number)."""
    exact = select(WorkOrderRow).where(or_(WorkOrderRow.id == ref, WorkOrderRow.number == ref))
    by_order = select(WorkOrderRow).where(
        or_(WorkOrderRow.order_id == ref, WorkOrderRow.order_number == ref)
    )
    for query in (exact, by_order):
        if actor is not None:
            query = _visible(query, actor, WorkOrderRow.customer_id)
        rows = list(uow.session.scalars(query))
        if rows:
            return min(rows, key=_preference)
    raise NotFound(f"work order {ref!r} not found")


def _preference(row: WorkOrderRow) -> tuple[int, float]:
    """Of an order's work orders, the running one, else the newest open one."""
    return PREFERENCE[WorkOrderStatus(row.status)], -row.created_at.timestamp()


def work_orders(
    uow: UnitOfWork,
    actor: Actor,
    status: WorkOrderStatus | None,
    order: str | None,
    limit: int,
    offset: int,
) -> WorkOrdersPublic:
    query = _visible(select(WorkOrderRow), actor, WorkOrderRow.customer_id)
    if status is not None:
        query = query.where(WorkOrderRow.status == status)
    if order is not None:
        query = query.where(or_(WorkOrderRow.order_id == order, WorkOrderRow.order_number == order))
    count = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = uow.session.scalars(
        query.order_by(WorkOrderRow.created_at.desc(), WorkOrderRow.id).limit(limit).offset(offset)
    )
    return WorkOrdersPublic(data=[WorkOrderPublic.model_validate(r) for r in rows], count=count)


def work_order_detail(
    uow: UnitOfWork, actor: Actor, ref: str, paths: Mapping[str, str] | None = None
) -> WorkOrderDetail:
    """A work order with its operations; ``paths`` (machine → equipment path) says where
    each runs."""
    row = find_work_order(uow, ref, actor)
    operations = uow.session.scalars(
        select(OperationRow)
        .where(OperationRow.work_order_id == row.id)
        .order_by(OperationRow.sequence)
    )
    in_process = uow.session.scalar(
        select(func.count())
        .select_from(SerialUnitRow)
        .where(
            SerialUnitRow.work_order_id == row.id,
            SerialUnitRow.status == UnitStatus.IN_PROCESS,
        )
    )
    public = WorkOrderPublic.model_validate(row).model_dump()
    return WorkOrderDetail(
        **public,
        operations=[_operation(o, paths or {}) for o in operations],
        in_process=int(in_process or 0),
    )


def _operation(row: OperationRow, paths: Mapping[str, str]) -> OperationPublic:
    public = OperationPublic.model_validate(row)
    machine = row.machine or row.planned_machine
    public.equipment_path = paths.get(machine) if machine else None
    return public


def units(
    uow: UnitOfWork,
    actor: Actor,
    order: str | None,
    status: UnitStatus | None,
    limit: int,
    offset: int,
) -> UnitsPublic:
    query = _visible(select(SerialUnitRow), actor, SerialUnitRow.customer_id)
    if order is not None:
        orders = select(SalesOrderRow.id).where(
            or_(SalesOrderRow.id == order, SalesOrderRow.number == order)
        )
        query = query.where(SerialUnitRow.order_id.in_(orders))
    if status is not None:
        query = query.where(SerialUnitRow.status == status)
    count = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = uow.session.scalars(query.order_by(SerialUnitRow.serial).limit(limit).offset(offset))
    return UnitsPublic(data=[UnitPublic.model_validate(r) for r in rows], count=count)


def visible_unit(uow: UnitOfWork, actor: Actor, serial: str) -> SerialUnitRow:
    query = _visible(
        select(SerialUnitRow).where(SerialUnitRow.serial == serial),
        actor,
        SerialUnitRow.customer_id,
    )
    unit = uow.session.scalars(query).first()
    if unit is None:
        raise NotFound(f"unit {serial!r} not found")
    return unit


def genealogy(uow: UnitOfWork, unit: SerialUnitRow) -> Genealogy:
    """Assemble a unit's history: each operation it reached, with machine, time, shift,
    parameters, its outcomes and measurements there, and the lots and tests of that step."""
    work_order = uow.session.get(WorkOrderRow, unit.work_order_id)
    assert work_order is not None
    operations = uow.session.scalars(
        select(OperationRow)
        .where(OperationRow.work_order_id == work_order.id)
        .order_by(OperationRow.sequence)
    ).all()
    records: dict[int, list[UnitOperationRow]] = defaultdict(list)
    for record in uow.session.scalars(
        select(UnitOperationRow)
        .where(UnitOperationRow.unit_id == unit.id)
        .order_by(UnitOperationRow.recorded_at, UnitOperationRow.id)
    ):
        records[record.sequence].append(record)
    lots: dict[int, list[MaterialLink]] = defaultdict(list)
    for row in uow.session.scalars(
        select(UnitMaterialRow).where(UnitMaterialRow.unit_id == unit.id)
    ):
        lots[row.sequence].append(MaterialLink.model_validate(row))
    tests: dict[int, list[InspectionPublic]] = defaultdict(list)
    for test in uow.session.scalars(
        select(UnitInspectionRow).where(UnitInspectionRow.unit_id == unit.id)
    ):
        tests[test.sequence].append(InspectionPublic.model_validate(test))
    steps = [
        _step(op, records[op.sequence], lots[op.sequence], tests[op.sequence])
        for op in operations
        if op.sequence in records or op.status == OperationStatus.RUNNING
    ]
    return Genealogy(
        unit=UnitPublic.model_validate(unit),
        work_order=work_order.number,
        order_number=work_order.order_number,
        steps=steps,
    )


def _step(
    op: OperationRow,
    records: Sequence[UnitOperationRow],
    lots: list[MaterialLink],
    tests: list[InspectionPublic],
) -> GenealogyStep:
    measurements: dict[str, Any] = {}
    for record in records:
        measurements.update(record.measurements)
    return GenealogyStep(
        sequence=op.sequence,
        code=op.code,
        name=op.name,
        work_center=work_center_of(op.machine) if op.machine else None,
        machine=op.machine,
        started_at=op.started_at,
        finished_at=op.finished_at,
        shift=op.shift,
        parameters=op.parameters,
        outcomes=[r.outcome for r in records],
        reasons=[r.reason for r in records if r.reason],
        measurements=measurements,
        materials=sorted(lots, key=lambda m: (m.material, m.lot)),
        inspections=sorted(tests, key=lambda t: (t.inspected_at, t.characteristic)),
    )


# -- OEE ---------------------------------------------------------------------------------------
def oee_report(
    uow: UnitOfWork, machines: Sequence[str], start: datetime, end: datetime, until: datetime
) -> OeeReport:
    """Machine states where reported, otherwise the operations' own run times; counts and
    ideal cycle times from the operations finished in the window."""
    changes = _state_changes(uow, machines, start, end)
    counts: dict[str, list[ProductionCount]] = defaultdict(list)
    spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for op in uow.session.scalars(
        select(OperationRow).where(
            OperationRow.machine.in_(machines),
            OperationRow.started_at < end,
            or_(OperationRow.finished_at.is_(None), OperationRow.finished_at > start),
        )
    ):
        assert op.machine is not None and op.started_at is not None
        spans[op.machine].append((op.started_at, op.finished_at or until))
        if op.finished_at is not None and op.finished_at < end and op.finished_at >= start:
            total = op.quantity_good + op.quantity_scrap
            counts[op.machine].append(ProductionCount(op.run_minutes * 60, total, op.quantity_good))
    results: list[OeePublic] = []
    measured: list[MachineOee] = []
    for machine in machines:
        if changes.get(machine):
            source = "machine-states"
            intervals = intervals_from_changes(changes[machine], start, until)
        else:
            source = "operations"
            intervals = _with_idle(busy_intervals(spans[machine]), start, until)
        oee = compute_oee(
            OeeInput(machine, start, end, intervals=intervals, counts=tuple(counts[machine]))
        )
        measured.append(oee)
        results.append(_public(oee, source))
    plant = _public(combine(measured), "combined") if measured else None
    return OeeReport(start=start, end=end, machines=results, plant=plant)


def _state_changes(
    uow: UnitOfWork, machines: Sequence[str], start: datetime, end: datetime
) -> dict[str, list[tuple[datetime, MachineState, str]]]:
    """The changes in the window and, per machine, the last one before it (its state at
    the window's start)."""
    out: dict[str, list[tuple[datetime, MachineState, str]]] = defaultdict(list)
    inside = select(MachineStateRow).where(
        MachineStateRow.machine.in_(machines),
        MachineStateRow.at >= start,
        MachineStateRow.at < end,
    )
    latest = (
        select(MachineStateRow.machine, func.max(MachineStateRow.at).label("at"))
        .where(MachineStateRow.machine.in_(machines), MachineStateRow.at < start)
        .group_by(MachineStateRow.machine)
        .subquery()
    )
    before = select(MachineStateRow).join(
        latest,
        (MachineStateRow.machine == latest.c.machine) & (MachineStateRow.at == latest.c.at),
    )
    for query in (before, inside):
        for row in uow.session.scalars(query):
            out[row.machine].append((row.at, MachineState(row.state), row.reason or ""))
    return out


def _with_idle(
    busy: tuple[StateInterval, ...], start: datetime, end: datetime
) -> tuple[StateInterval, ...]:
    """Without reported states, time between operations counts as Idle (so availability
    reads as utilisation of the window)."""
    out: list[StateInterval] = []
    cursor = start
    for interval in busy:
        first, last = max(interval.start, start), min(interval.end, end)
        if last <= first:
            continue
        if first > cursor:
            out.append(StateInterval(MachineState.IDLE, cursor, first))
        out.append(StateInterval(MachineState.RUNNING, first, last))
        cursor = max(cursor, last)
    if end > cursor:
        out.append(StateInterval(MachineState.IDLE, cursor, end))
    return tuple(out)


def _public(oee: MachineOee, source: str) -> OeePublic:
    return OeePublic(
        machine=oee.machine,
        availability=oee.availability,
        performance=oee.performance,
        quality=oee.quality,
        oee=oee.oee,
        planned_seconds=oee.planned_seconds,
        running_seconds=oee.running_seconds,
        ideal_seconds=oee.ideal_seconds,
        total_count=oee.total_count,
        good_count=oee.good_count,
        seconds=oee.seconds,
        source=source,
    )


# -- dashboard reads ---------------------------------------------------------------------------
class ReportedState(NamedTuple):
    """A machine's latest reported state change: the state, when it began, the reason."""

    state: str
    since: datetime
    reason: str


def last_reported_states(uow: UnitOfWork, now: datetime) -> dict[str, ReportedState]:
    """Machine → its latest reported state change at or before ``now`` (one grouped query
    over the (machine, at) index). Machine states are plant facts: read in a platform unit."""
    latest = (
        select(MachineStateRow.machine, func.max(MachineStateRow.at).label("at"))
        .where(MachineStateRow.at <= now)
        .group_by(MachineStateRow.machine)
        .subquery()
    )
    query = select(
        MachineStateRow.machine, MachineStateRow.state, MachineStateRow.at, MachineStateRow.reason
    ).join(
        latest,
        (MachineStateRow.machine == latest.c.machine) & (MachineStateRow.at == latest.c.at),
    )
    return {
        m: ReportedState(state, at, reason) for m, state, at, reason in uow.session.execute(query)
    }


def good_units_since(uow: UnitOfWork, since: datetime) -> int:
    """Units finished since ``since`` and not scrapped: in a platform unit, a plant-wide
    count (the energy per unit tile divides the plant's energy by it)."""
    query = (
        select(func.count())
        .select_from(SerialUnitRow)
        .where(SerialUnitRow.completed_at >= since, SerialUnitRow.status != UnitStatus.SCRAPPED)
    )
    return int(uow.session.scalar(query) or 0)


class FirstPass(NamedTuple):
    """Units finished in a window, and those that passed every step the first time."""

    total: int
    good: int


def first_pass(uow: UnitOfWork, since: datetime) -> FirstPass:
    """Units finished (completed, or scrapped) since ``since`` and how many of them passed
    every step the first time, with no rework and no scrap; scoped by the unit's tenant."""
    finished = or_(
        SerialUnitRow.completed_at >= since,
        and_(SerialUnitRow.status == UnitStatus.SCRAPPED, SerialUnitRow.created_at >= since),
    )
    good = func.count().filter(
        SerialUnitRow.first_pass.is_(True), SerialUnitRow.status != UnitStatus.SCRAPPED
    )
    query = (
        select(func.count(), good)
        .select_from(SerialUnitRow)  # explicit: the tenant filter needs the entity
        .where(finished)
    )
    total, passed = uow.session.execute(query).one()
    return FirstPass(int(total or 0), int(passed or 0))


def released_work_orders(uow: UnitOfWork) -> list[ReleasedWorkOrder]:
    """Every work order still waiting for its first operation, oldest first."""
    orders = list(
        uow.session.scalars(
            select(WorkOrderRow)
            .where(WorkOrderRow.status == WorkOrderStatus.RELEASED)
            .order_by(WorkOrderRow.created_at, WorkOrderRow.number)
        )
    )
    ids = [w.id for w in orders]
    steps: dict[str, list[ReleasedStep]] = {i: [] for i in ids}
    for op in uow.session.scalars(
        select(OperationRow)
        .where(OperationRow.work_order_id.in_(ids))
        .order_by(OperationRow.sequence)
    ):
        steps[op.work_order_id].append(
            ReleasedStep(
                sequence=op.sequence,
                code=op.code,
                work_centers=list(op.work_centers),
                setup_minutes=float(op.setup_minutes),
                run_minutes=float(op.run_minutes),
                planned_machine=op.planned_machine,
                planned_start=op.planned_start,
                planned_end=op.planned_end,
                status=OperationStatus(op.status),
            )
        )
    boms = {
        row.id: _bill(row.configured)
        for row in uow.session.scalars(
            select(SalesOrderRow).where(SalesOrderRow.id.in_({w.order_id for w in orders}))
        )
    }
    return [
        ReleasedWorkOrder(
            number=w.number,
            tenant_id=w.tenant_id,
            order_id=w.order_id,
            product_code=w.product_code,
            quantity=w.quantity,
            created_at=w.created_at,
            steps=steps[w.id],
            materials=boms.get(w.order_id, []),
        )
        for w in orders
        if steps[w.id]
    ]


def _bill(configured: Mapping[str, Any]) -> list[tuple[str, float]]:
    return [(str(li["material"]), float(li["quantity"])) for li in configured.get("bom", [])]


def unit_counts(uow: UnitOfWork) -> dict[str, int]:
    """Serial units by status."""
    rows = uow.session.execute(
        select(SerialUnitRow.status, func.count()).group_by(SerialUnitRow.status)
    ).all()
    return {str(status): int(count) for status, count in rows}


def shipments_due(uow: UnitOfWork) -> list[ShipmentDue]:
    """Inspected customer orders, with when their last work order completed."""
    rows = uow.session.execute(
        select(SalesOrderRow.id, SalesOrderRow.tenant_id, func.max(WorkOrderRow.completed_at))
        .join(WorkOrderRow, WorkOrderRow.order_id == SalesOrderRow.id)
        .where(SalesOrderRow.status == OrderStatus.INSPECTED)
        .group_by(SalesOrderRow.id, SalesOrderRow.tenant_id)
    ).all()
    return [ShipmentDue(order_id=r[0], tenant_id=r[1], ready_at=r[2]) for r in rows]
