from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status

from openfab.api.deps import CurrentActor, PlatformDep
from openfab.planning.schemas import (
    DowntimeChange,
    DowntimeCreate,
    DowntimePublic,
    GanttPublic,
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
