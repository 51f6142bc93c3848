"""What the maintenance service returns (and the API shows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class MachineHealthPublic(BaseModel):
    """A machine's latest assessment: health index 0..1, RUL in hours with its 90 %
    interval (None: no rising trend, or too little telemetry), chance of failure within the
    horizon."""

    model_config = ConfigDict(from_attributes=True)

    machine: str
    work_center: str
    assessed_at: datetime
    health: float
    drift: float
    alarm: bool
    rul_hours: float | None
    rul_lower: float | None
    rul_upper: float | None
    failure_probability: float
    windows: int
    readings: int
    cleaning: dict[str, int]


class MaintenanceOrderPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    number: str
    machine: str
    work_center: str
    reason: str
    evidence: dict[str, object]
    failure_probability: float
    rul_hours: float | None
    rul_lower: float | None
    rul_upper: float | None
    window_start: datetime | None
    window_end: datetime | None
    downtime_id: str | None
    spare_parts: str
    status: str
    created_by: str
    created_at: datetime
    closed_at: datetime | None


class StopPublic(BaseModel):
    """One stop of a machine: a failure (``Down``) or a maintenance, from its reported states."""

    kind: str
    start_at: datetime
    end_at: datetime | None
    hours: float
    reason: str


class MachineHistoryPublic(BaseModel):
    """MTBF (running hours between failures), MTTR (mean hours to repair) and the stops."""

    machine: str
    since: datetime | None
    failures: int
    maintenances: int
    mtbf_hours: float | None
    mttr_hours: float | None
    maintenance_hours: float
    stops: list[StopPublic]


@dataclass(frozen=True)
class AssessmentRound:
    """What one round of the maintenance worker did."""

    assessed: int = 0
    unknown: int = 0
    at_risk: list[str] = field(default_factory=list)
    unknown_machines: int = 0
    """Machines that sent telemetry but are not in the plant (counted, not assessed)."""
