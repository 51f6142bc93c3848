from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status

from openfab.api.deps import CurrentActor, PlatformDep
from openfab.planning.schemas import (
    DowntimeChange,
    DowntimeCreate,
    DowntimePublic,
    GanttPublic,
    MoveSummary,
    OperationMove,
    OperationPinPublic,
    PlanSummary,
)

router = APIRouter(prefix="/schedule", tags=["planning"])


@router.get("/gantt", operation_id="schedule_gantt")
def gantt(
    platform: PlatformDep,
    actor: CurrentActor,
    by: Literal["machine", "order"] = "machine",
) -> GanttPublic:
    """The latest plan as Gantt rows, per machine or per order (your tenant's orders only)."""
    return platform.planning.gantt(actor, by=by)


@router.post("/plan", operation_id="plan_schedule")
def plan(
    platform: PlatformDep,
    actor: CurrentActor,
    time_limit: Annotated[float, Query(gt=0, le=120)] = 10.0,
) -> PlanSummary:
    """Re-plan every open order of the plant now (planners and admins)."""
    return platform.planning.plan(
        actor, trigger=f"requested by {actor.name}", time_limit=time_limit
    )


@router.get("/machines", operation_id="list_machines")
def machines(platform: PlatformDep, actor: CurrentActor) -> list[str]:
    """The plant's machines (work center code and number)."""
    return platform.planning.machines()


@router.post(
    "/downtime", status_code=status.HTTP_201_CREATED, operation_id="report_machine_downtime"
)
def report_downtime(
    platform: PlatformDep, actor: CurrentActor, data: DowntimeCreate
) -> DowntimePublic:
    """A machine is down or due for maintenance (plant staff; at most 14 days a report);
    the autopilot re-plans around it."""
    return platform.planning.report_downtime(actor, data)


@router.patch("/downtime/{downtime_id}", operation_id="change_machine_downtime")
def change_downtime(
    platform: PlatformDep,
    actor: CurrentActor,
    downtime_id: Annotated[str, Path(max_length=36)],
    change: DowntimeChange,
) -> DowntimePublic:
    """Correct a downtime report: a new end, or cancel it (plant staff, with a reason)."""
    return platform.planning.change_downtime(actor, downtime_id, change)


@router.post("/moves", status_code=status.HTTP_201_CREATED, operation_id="move_operation")
def move_operation(
    platform: PlatformDep,
    actor: CurrentActor,
    move: OperationMove,
    time_limit: Annotated[float, Query(gt=0, le=60)] = 5.0,
) -> MoveSummary:
    """Move one step of an open order to a machine, not before ``start``, and re-plan around
    it (the plant's planners). The move is stored as a pin that later re-plans keep; the
    answer lists what moved and which promises changed."""
    return platform.planning.move_operation(
        actor, move.order, move.sequence, move.machine, move.start, time_limit=time_limit
    )


@router.get("/pins", operation_id="list_operation_pins")
def pins(platform: PlatformDep, actor: CurrentActor) -> list[OperationPinPublic]:
    """The steps planners pinned, newest first (the plant's staff)."""
    return platform.planning.pins(actor)


@router.delete(
    "/pins/{pin_id}", status_code=status.HTTP_200_OK, operation_id="release_operation_pin"
)
def release_pin(
    platform: PlatformDep, actor: CurrentActor, pin_id: Annotated[str, Path(max_length=36)]
) -> OperationPinPublic:
    """Release a pin: the next re-plan places the step freely again (the plant's planners)."""
    return platform.planning.release_pin(actor, pin_id)
