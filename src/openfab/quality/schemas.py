"""What the quality service takes and returns (and the API shows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True)
class ScanReceived:
    """A camera scan as the gateway hands it over: encoded pictures, not yet decoded (the
    quality worker decodes and scores; a bad picture is its finding, not a lost message)."""

    message_key: str
    serial: str
    machine: str
    at: datetime
    image: bytes
    height: bytes | None = None
    height_um_per_count: float = 0.01
    height_offset_um: float = 0.0
    work_order: str | None = None
    """Names the unit where two brands' serials repeat."""


class InspectionModelPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    product: str
    threshold: float
    trained_on: int
    active: bool
    installed_by: str
    installed_at: datetime


class UnitScanPublic(BaseModel):
    """A scan and its verdict; ``pictures`` says whether the image and heat map were kept."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    serial: str
    product: str
    machine: str
    scanned_at: datetime
    status: str
    score: float | None
    threshold: float | None
    verdict: str | None
    disposition: str
    reason: str
    kept: bool
    inspected_at: datetime | None


@dataclass(frozen=True)
class InspectionRound:
    """What one round of the quality worker did."""

    inspected: int = 0
    defects: int = 0
    failed: int = 0
    waiting_for_model: int = 0


class CausePublic(BaseModel):
    """A likely cause with its evidence, in numbers and in a sentence."""

    rank: int
    suspect: str
    factor: str
    level: str | None
    low: float | None
    high: float | None
    sentence: str
    confidence: str
    test: str
    p_value: float
    q_value: float
    effect: str
    effect_size: float
    ci_low: float
    ci_high: float
    exposed_units: int
    exposed_defects: int | None
    other_units: int
    other_defects: int | None
    inseparable: list[str]


class CausesPublic(BaseModel):
    """Root causes of the defects among the units finished over the last ``days``."""

    days: float
    units: int
    defects: int | None
    summary: str
    causes: list[CausePublic]
    dismissed: list[str]
    skipped: list[str]


class QualityDecisionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    subject: str
    event_type: str
    reason: str
    decided_by: str
    decided_at: datetime
    acknowledgement: str | None = Field(
        default=None,
        description="The machine's answer to the command this decision sent: accepted or "
        "rejected (None: no answer yet, or a decision that sends no command)",
    )
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    acknowledgement_reason: str = ""
