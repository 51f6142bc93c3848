"""What the planning service returns (and the API shows)."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from openfab.schemas_base import RequestModel, Timestamp


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
    dropped_orders: int = 0  # cancelled or finished while the solver ran: not written


class DowntimeCreate(RequestModel):
    machine: str = Field(min_length=1, max_length=64)
    start_at: Timestamp
    end_at: Timestamp
    reason: str = Field(default="breakdown", max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        return self


class DowntimePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    machine: str
    start_at: datetime
    end_at: datetime
    reason: str
    cancelled: bool = False


class DowntimeChange(RequestModel):
    """Correct a reported downtime: end it earlier (or later, within the bound), or cancel
    it when it was reported by mistake. Always with a reason, kept in the event log."""

    end_at: Timestamp | None = Field(
        default=None, description="New end; omit (with cancel=true) to remove the window."
    )
    cancel: bool = False
    reason: str = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _one_change(self) -> Self:
        if self.cancel == (self.end_at is not None):
            raise ValueError("give either a new end_at or cancel=true")
        return self


class WindowBar(GanttBar):
    """A planned operation in a time window, with what a planner marks on it."""

    tenant_id: str
    product: str
    promise_date: datetime
    late: bool = Field(description="The order's promise has passed and it is not finished")
    at_risk: bool = Field(description="The plan finishes the order after its promise")
    pinned: bool = Field(
        default=False, description="A planner pinned this step to its machine (plant staff)"
    )


class GanttWindow(BaseModel):
    """The plan in force between ``start`` and ``end`` (the caller's orders only)."""

    run: ScheduleRunPublic | None
    start: datetime
    end: datetime
    bars: list[WindowBar]
    downtime: list[DowntimePublic]


class MovedOperation(BaseModel):
    order_number: str
    sequence: int
    machine_before: str
    machine_after: str
    start_before: datetime
    start_after: datetime

    @property
    def shift_minutes(self) -> int:
        return round((self.start_after - self.start_before).total_seconds() / 60)


class OperationMove(RequestModel):
    """A planner moves one step of an open order to a machine, not before ``start``."""

    order: str = Field(min_length=1, max_length=64, description="Order number (or id)")
    sequence: int = Field(ge=1, le=9999, description="The routing step")
    machine: str = Field(min_length=1, max_length=64)
    start: Timestamp | None = Field(
        default=None, description="Not before this moment (default: where it is planned now)"
    )


class OperationPinPublic(BaseModel):
    """A step a planner pinned: every re-plan keeps it on ``machine``, not before
    ``not_before``, until the order leaves the plan or the pin is released."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    order_number: str
    sequence: int
    machine: str
    not_before: datetime
    created_by: str
    created_at: datetime


class MoveSummary(BaseModel):
    """A planner's move of one operation and the re-plan around it: what moved."""

    plan: PlanSummary
    pin: OperationPinPublic
    moved: list[MovedOperation]
    promise_changes: list[tuple[str, datetime, datetime]] = Field(
        description="(order number, promise before, promise after) of each changed promise"
    )
