from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from openfab.api.deps import CurrentActor, PlatformDep
from openfab.planning.schemas import GanttPublic, PlanSummary

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
