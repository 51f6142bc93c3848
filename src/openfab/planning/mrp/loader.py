"""From the store to an MRP problem: open orders of the plant, their configured BOMs and
scheduled start, stock, allocations, open purchase orders, suppliers and policies.

A work order's material is needed at the start of its first scheduled operation; an open
order the scheduler has not placed yet needs it now (the conservative answer). An order
needs material for every unit it builds — its quantity, or more once make-up work orders
remake scrapped units — and material already issued to it (issues less returns) no longer
counts as its requirement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from openfab.catalog.orm import MaterialRow
from openfab.execution.orm import WorkOrderRow
from openfab.execution.states import WorkOrderStatus
from openfab.orders.orm import SalesOrderRow
from openfab.orders.states import OPEN_FOR_CAPACITY
from openfab.planning.mrp.model import (
    Allocation,
    Component,
    EconomicOrderQuantity,
    FixedOrderQuantity,
    ForecastDemand,
    LotForLot,
    LotSizing,
    Material,
    MrpProblem,
    OpenPurchaseOrder,
    PeriodOrderQuantity,
    StockLot,
    SupplierItem,
    WorkOrderDemand,
)
from openfab.planning.mrp.orm import (
    QUARANTINE,
    AllocationRow,
    InventoryMoveRow,
    MaterialLotRow,
    MaterialPolicyRow,
    PurchaseOrderRow,
    SupplierItemRow,
    SupplierRow,
)
from openfab.planning.orm import ScheduledOperationRow, ScheduleRunRow
from openfab.store import UnitOfWork

ZERO = Decimal(0)
DROPPED = (WorkOrderStatus.CANCELLED, WorkOrderStatus.ABORTED)
"""Work orders that build nothing (their units are not the order's)."""


@dataclass(frozen=True)
class OrderRef:
    """What the plan needs to file a shortage or peg under the right tenant."""

    tenant_id: str
    number: str


@dataclass(frozen=True)
class Loaded:
    problem: MrpProblem
    orders: Mapping[str, OrderRef]


def load_problem(
    uow: UnitOfWork,
    *,
    today: date,
    now: datetime,
    forecasts: Iterable[ForecastDemand] = (),
    safety_stock: Mapping[str, Decimal] | None = None,
) -> Loaded:
    """The whole plant's MRP problem (run in a platform-scoped unit of work)."""
    session = uow.session
    rows = list(
        session.scalars(
            select(SalesOrderRow)
            .where(SalesOrderRow.status.in_(tuple(OPEN_FOR_CAPACITY)))
            .order_by(SalesOrderRow.created_at, SalesOrderRow.id)
        )
    )
    starts = _first_starts(uow)
    issued = _issued(uow)
    built = _units_built(uow)
    work_orders = tuple(
        _work_order(
            row,
            starts.get(row.id, now),
            issued.get(row.id, {}),
            max(row.quantity, built.get(row.id, 0)),
        )
        for row in rows
    )
    problem = MrpProblem(
        today=today,
        materials=_materials(uow),
        work_orders=tuple(wo for wo in work_orders if wo.components),
        forecasts=tuple(forecasts),
        stock=tuple(
            StockLot(r.material, r.lot, r.quantity, r.unit, r.location)
            for r in session.scalars(
                select(MaterialLotRow).where(
                    MaterialLotRow.quantity != 0, MaterialLotRow.location != QUARANTINE
                )
            )
        ),
        allocations=tuple(
            Allocation(r.material, r.order_id, r.quantity, r.unit)
            for r in session.scalars(select(AllocationRow))
        ),
        open_orders=tuple(
            OpenPurchaseOrder(
                r.id, r.material, r.supplier, r.quantity - r.received_quantity, r.unit, r.due_date
            )
            for r in session.scalars(
                select(PurchaseOrderRow).where(PurchaseOrderRow.status == "Released")
            )
            if r.quantity > r.received_quantity
        ),
        suppliers=_suppliers(uow),
    )
    if safety_stock:
        problem = problem.with_demand_sensing((), safety_stock)
    orders = {r.id: OrderRef(r.tenant_id, r.number) for r in rows}
    return Loaded(problem, orders)


def _first_starts(uow: UnitOfWork) -> dict[str, datetime]:
    """Each order's first operation start in the latest schedule."""
    run = uow.session.scalars(
        select(ScheduleRunRow).order_by(ScheduleRunRow.created_at.desc()).limit(1)
    ).first()
    if run is None:
        return {}
    query = (
        select(ScheduledOperationRow.order_id, func.min(ScheduledOperationRow.start_at))
        .where(ScheduledOperationRow.run_id == run.id)
        .group_by(ScheduledOperationRow.order_id)
    )
    return {str(order): start for order, start in uow.session.execute(query)}


def _units_built(uow: UnitOfWork) -> dict[str, int]:
    """Units each order's live work orders build (make-ups for scrap included)."""
    query = (
        select(WorkOrderRow.order_id, func.sum(WorkOrderRow.quantity))
        .where(WorkOrderRow.status.not_in(DROPPED))
        .group_by(WorkOrderRow.order_id)
    )
    return {str(order): int(units or 0) for order, units in uow.session.execute(query)}


def _issued(uow: UnitOfWork) -> dict[str, dict[str, tuple[Decimal, str]]]:
    """Net quantity issued to each order per material (issues are negative moves)."""
    totals: dict[str, dict[str, tuple[Decimal, str]]] = defaultdict(dict)
    query = select(InventoryMoveRow).where(
        InventoryMoveRow.kind.in_(("Issue", "Return")), InventoryMoveRow.order_id.is_not(None)
    )
    for move in uow.session.scalars(query):
        assert move.order_id is not None
        quantity, _unit = totals[move.order_id].get(move.material, (ZERO, move.unit))
        totals[move.order_id][move.material] = (quantity - move.quantity, move.unit)
    return totals


def _work_order(
    row: SalesOrderRow, need: datetime, issued: Mapping[str, tuple[Decimal, str]], units: int
) -> WorkOrderDemand:
    """Whole-order quantities (BOM per unit × units built) less what was issued."""
    components = []
    for line in row.configured.get("bom", []):
        material = str(line["material"])
        quantity = Decimal(str(line["quantity"])) * units
        done, unit = issued.get(material, (ZERO, str(line["unit"])))
        if unit == line["unit"]:
            quantity -= done
        if quantity > 0:
            components.append(Component(material, quantity, str(line["unit"])))
    return WorkOrderDemand(row.id, Decimal(1), need, tuple(components))


def _materials(uow: UnitOfWork) -> dict[str, Material]:
    policies = {p.material: p for p in uow.session.scalars(select(MaterialPolicyRow))}
    materials = {}
    for row in uow.session.scalars(select(MaterialRow)):
        policy = policies.get(row.code)
        materials[row.code] = Material(
            row.code,
            row.unit,
            unit_cost=row.unit_cost,
            safety_stock=policy.safety_stock if policy else ZERO,
            lot_sizing=lot_sizing(policy),
            name=row.name,
        )
    return materials


def lot_sizing(policy: MaterialPolicyRow | Any | None) -> LotSizing:
    """The engine's policy from a stored (or submitted) one."""
    if policy is None:
        return LotForLot()
    kind = policy.lot_sizing
    if kind == "Fixed" and policy.fixed_quantity:
        return FixedOrderQuantity(Decimal(policy.fixed_quantity))
    if kind == "EOQ" and policy.ordering_cost:
        rate = policy.holding_rate or Decimal("0.25")
        return EconomicOrderQuantity(Decimal(policy.ordering_cost), Decimal(rate))
    if kind == "POQ" and policy.periods:
        return PeriodOrderQuantity(int(policy.periods))
    return LotForLot()


def _suppliers(uow: UnitOfWork) -> tuple[SupplierItem, ...]:
    active = set(uow.session.scalars(select(SupplierRow.code).where(SupplierRow.active)))
    return tuple(
        SupplierItem(
            r.supplier,
            r.material,
            r.unit,
            r.lead_time_days,
            r.price,
            minimum_order=r.minimum_order,
            lot_multiple=r.lot_multiple,
            capacity_per_period=r.capacity_per_period,
            period_days=r.period_days,
            priority=r.priority,
        )
        for r in uow.session.scalars(select(SupplierItemRow))
        if r.supplier in active
    )
