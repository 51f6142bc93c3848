"""Maintenance over REST: each machine's health and RUL with its interval, the maintenance
orders, and a machine's stops with MTBF and MTTR. Plant staff only (the service checks)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from openfab.api.deps import CurrentActor, PlatformDep
from openfab.maintenance.schemas import (
    MachineHealthPublic,
    MachineHistoryPublic,
    MaintenanceOrderPublic,
)

router = APIRouter(prefix="/maintenance", tags=["maintenance"])


@router.get("/machines", operation_id="list_machine_health")
def machines(platform: PlatformDep, actor: CurrentActor) -> list[MachineHealthPublic]:
    """Every machine's latest health index (0 healthy .. 1), remaining useful life in hours
    with its 90 % interval, and chance of failure within a day."""
    return platform.maintenance.health(actor)


@router.get("/orders", operation_id="list_maintenance_orders")
def orders(
    platform: PlatformDep,
    actor: CurrentActor,
    status: Annotated[str | None, Query(pattern="^(Open|Planned|Done|Cancelled)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[MaintenanceOrderPublic]:
    """Maintenance orders, newest first, with their evidence and booked window."""
    return platform.maintenance.orders(actor, status=status, limit=limit)


@router.get("/machines/{machine}/history", operation_id="machine_maintenance_history")
def history(
    platform: PlatformDep,
    actor: CurrentActor,
    machine: Annotated[str, Path(min_length=1, max_length=64)],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> MachineHistoryPublic:
    """The machine's failures and maintenance stops, MTBF and MTTR (hours)."""
    return platform.maintenance.history(actor, machine, limit=limit)
