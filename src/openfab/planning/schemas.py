"""What the planning service returns (and the API shows)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class ScheduleRunPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    created_at: datetime
    trigger: str
    objective: str
    origin: datetime
    makespan_minutes: int
    weighted_tardiness: int
    operations: int
    orders: int
    moved: int
    solve_seconds: float


class GanttBar(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    order_id: str
    order_number: str
    sequence: int
    work_center: str
    machine: str
    start_at: datetime
    end_at: datetime
    reason: str


class GanttRow(BaseModel):
    key: str
    bars: list[GanttBar]


class GanttPublic(BaseModel):
    """The latest plan as Gantt rows, per machine or per order (the caller's orders only)."""

    run: ScheduleRunPublic | None
    by: str
    rows: list[GanttRow]


class PlanSummary(BaseModel):
    run: ScheduleRunPublic
    planned_orders: int
    promise_changes: int
