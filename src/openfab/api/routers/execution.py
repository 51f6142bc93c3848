"""Shop-floor execution: work orders, operations, serial units, genealogy, OEE.

Thin: every rule (roles, tenant and customer visibility, idempotency) lives in the service.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from pydantic import StringConstraints

from openfab.api.deps import BrandOfSerial, CurrentActor, FloorQuota, PlatformDep
from openfab.api.limits import Filter, Key
from openfab.execution.schemas import (
    Genealogy,
    MachineStatePublic,
    MachineStateReport,
    OeeReport,
    OperationFinish,
    OperationPublic,
    OperationStart,
    OrderShipment,
    ReleaseSummary,
    ShipmentPublic,
    UnitPublic,
    UnitRework,
    UnitScrap,
    UnitsPublic,
    WorkOrderDetail,
    WorkOrdersPublic,
)
from openfab.execution.states import UnitStatus, WorkOrderStatus
from openfab.schemas_base import Timestamp

router = APIRouter(prefix="/execution", tags=["execution"])
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]
Step = Annotated[int, Path(ge=0, le=100_000, description="The operation's sequence number")]
Since = Annotated[Timestamp, Query(description="RFC 3339 with zone, e.g. 2026-05-01T08:00:00Z")]
Machines = Annotated[
    list[Annotated[str, StringConstraints(max_length=64)]] | None, Query(max_length=100)
]


@router.post("/work-orders/release", operation_id="release_work_orders")
def release(platform: PlatformDep, actor: CurrentActor) -> ReleaseSummary:
    """Release work orders for every planned order of the latest schedule (planners)."""
    return platform.execution.release(actor)


@router.post(
    "/orders/{order}/release",
    status_code=status.HTTP_201_CREATED,
    operation_id="release_order",
)
def release_order(platform: PlatformDep, actor: CurrentActor, order: Key) -> WorkOrderDetail:
    """Release one planned order now."""
    return platform.execution.release_order(actor, order)


@router.get("/work-orders", operation_id="list_work_orders")
def list_work_orders(
    platform: PlatformDep,
    actor: CurrentActor,
    status: WorkOrderStatus | None = None,
    order: Filter = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> WorkOrdersPublic:
    return platform.execution.list_work_orders(
        actor, status=status, order=order, limit=limit, offset=offset
    )


@router.get("/work-orders/{work_order}", operation_id="get_work_order")
def get_work_order(platform: PlatformDep, actor: CurrentActor, work_order: Key) -> WorkOrderDetail:
    """A work order (by id or number, or a sales order's id or number) with its operations."""
    return platform.execution.get_work_order(actor, work_order)


@router.post(
    "/work-orders/{work_order}/operations/{sequence}/start",
    operation_id="start_operation",
    dependencies=[FloorQuota],
)
def start_operation(
    platform: PlatformDep,
    actor: CurrentActor,
    work_order: Key,
    sequence: Step,
    data: OperationStart,
) -> OperationPublic:
    return platform.execution.start_operation(actor, work_order, sequence, data)


@router.post(
    "/work-orders/{work_order}/operations/{sequence}/finish",
    operation_id="finish_operation",
    dependencies=[FloorQuota],
)
def finish_operation(
    platform: PlatformDep,
    actor: CurrentActor,
    work_order: Key,
    sequence: Step,
    data: OperationFinish,
) -> OperationPublic:
    return platform.execution.finish_operation(actor, work_order, sequence, data)


@router.get("/units", operation_id="list_units")
def list_units(
    platform: PlatformDep,
    actor: CurrentActor,
    order: Filter = None,
    status: UnitStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> UnitsPublic:
    """Serial units (customers: their own)."""
    return platform.execution.list_units(
        actor, order=order, status=status, limit=limit, offset=offset
    )


@router.get("/units/{serial}", operation_id="get_unit")
def get_unit(platform: PlatformDep, actor: CurrentActor, serial: Key) -> UnitPublic:
    return platform.execution.get_unit(actor, serial)


@router.get("/units/{serial}/genealogy", operation_id="unit_genealogy")
def genealogy(platform: PlatformDep, actor: CurrentActor, serial: Key) -> Genealogy:
    """Everything that went into a unit: operations, machines, lots, parameters, tests."""
    return platform.execution.genealogy(actor, serial)


@router.post("/units/{serial}/scrap", operation_id="scrap_unit")
def scrap_unit(
    platform: PlatformDep,
    actor: CurrentActor,
    serial: Key,
    data: UnitScrap,
    tenant: BrandOfSerial = None,
) -> UnitPublic:
    return platform.execution.scrap_unit(actor, serial, data, tenant=tenant)


@router.post("/units/{serial}/rework", operation_id="rework_unit")
def rework_unit(
    platform: PlatformDep,
    actor: CurrentActor,
    serial: Key,
    data: UnitRework,
    tenant: BrandOfSerial = None,
) -> UnitPublic:
    return platform.execution.rework_unit(actor, serial, data, tenant=tenant)


@router.post("/orders/{order}/ship", operation_id="ship_order")
def ship(
    platform: PlatformDep, actor: CurrentActor, order: Key, data: OrderShipment
) -> ShipmentPublic:
    return platform.execution.ship(actor, order, data)


@router.post("/orders/{order}/deliver", operation_id="deliver_order")
def deliver(
    platform: PlatformDep, actor: CurrentActor, order: Key, data: OrderShipment
) -> ShipmentPublic:
    return platform.execution.deliver(actor, order, data)


@router.post(
    "/machines/{machine}/states",
    status_code=status.HTTP_201_CREATED,
    operation_id="report_machine_state",
    dependencies=[FloorQuota],
)
def report_machine_state(
    platform: PlatformDep, actor: CurrentActor, machine: Key, data: MachineStateReport
) -> MachineStatePublic:
    return platform.execution.report_machine_state(actor, machine, data)


@router.get("/machines/{machine}/states", operation_id="list_machine_states")
def machine_states(
    platform: PlatformDep, actor: CurrentActor, machine: Key, start: Since, end: Since
) -> list[MachineStatePublic]:
    """A machine's reported state changes in a window (staff)."""
    return platform.execution.machine_states(actor, machine, start=start, end=end)


@router.get("/oee", operation_id="machine_oee")
def oee(
    platform: PlatformDep,
    actor: CurrentActor,
    start: Since,
    end: Since,
    machine: Machines = None,
) -> OeeReport:
    """OEE per machine over a window (availability × performance × quality), and the plant's."""
    return platform.execution.oee(actor, start=start, end=end, machines=machine)
