"""What the execution service takes and returns (and the API shows).

Commands from the shop floor carry a ``message_id``: the twin or a bus may deliver a message
twice, and the second delivery must change nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from openfab.execution.states import (
    MachineState,
    OperationStatus,
    Outcome,
    UnitStatus,
    WorkOrderStatus,
)
from openfab.schemas_base import Measure, RequestModel, Timestamp

Code = Annotated[str, Field(min_length=1, max_length=64)]
Serial = Annotated[str, Field(min_length=1, max_length=40)]  # serial_unit.serial is String(40)
MessageId = Annotated[str | None, Field(default=None, min_length=1, max_length=128)]
Reason = Annotated[str, Field(default="", max_length=200)]
Parameters = Annotated[dict[Code, Measure], Field(default_factory=dict, max_length=200)]
SequenceNo = Annotated[int, Field(ge=0, le=100_000)]


class Command(RequestModel):
    message_id: MessageId = None


# -- commands ----------------------------------------------------------------------------------
class LotConsumption(RequestModel):
    """``quantity`` of material ``lot`` went into each unit of the operation."""

    material: Code
    lot: Code
    quantity: float = Field(gt=0, le=1e6, allow_inf_nan=False)
    unit: str = Field(default="pcs", min_length=1, max_length=8)


class InspectionReport(RequestModel):
    """A test result; ``passed`` is derived from the limits when not given."""

    characteristic: Code
    value: Measure | None = None
    low: Measure | None = None
    high: Measure | None = None
    passed: bool | None = None


class UnitReport(RequestModel):
    """One unit's result at an operation: its outcome, measurements and tests."""

    serial: Serial
    outcome: Outcome = Field(Outcome.GOOD, strict=False)
    reason: Reason = ""
    measurements: Parameters
    inspections: list[InspectionReport] = Field(default_factory=list, max_length=100)


class OperationStart(Command):
    machine: Code
    started_at: Timestamp | None = None
    shift: str | None = Field(default=None, max_length=16)
    parameters: Parameters
    materials: list[LotConsumption] = Field(default_factory=list, max_length=200)


class OperationFinish(Command):
    machine: Code | None = None
    finished_at: Timestamp | None = None
    quantity_good: int = Field(ge=0, le=100_000)
    quantity_scrap: int = Field(default=0, ge=0, le=100_000)
    scrap_reason: Reason = ""
    parameters: Parameters
    materials: list[LotConsumption] = Field(default_factory=list, max_length=200)
    units: list[UnitReport] = Field(default_factory=list, max_length=10_000)


class UnitScrap(Command):
    reason: str = Field(min_length=1, max_length=200)


class UnitRework(Command):
    sequence: SequenceNo
    reason: str = Field(min_length=1, max_length=200)


class MachineStateReport(Command):
    state: MachineState = Field(strict=False)
    at: Timestamp | None = None
    reason: Reason = ""


class OrderShipment(Command):
    at: Timestamp | None = Field(default=None, description="When it left (simulated time)")
    note: str = Field(default="", max_length=500)


# -- results -----------------------------------------------------------------------------------
class OperationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sequence: int
    code: str
    name: str
    work_centers: list[str]
    status: OperationStatus
    planned_machine: str | None
    planned_start: datetime | None
    planned_end: datetime | None
    machine: str | None
    started_at: datetime | None
    finished_at: datetime | None
    shift: str | None
    parameters: dict[str, Any]
    quantity_in: int
    quantity_good: int
    quantity_scrap: int
    equipment_path: str | None = Field(
        default=None,
        description="Where it runs (or is planned to): site/area/line/machine, as on the "
        "machine's shop-floor topics",
    )


class WorkOrderPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    number: str
    order_id: str
    order_number: str
    product_code: str
    quantity: int
    status: WorkOrderStatus
    replaces: str | None
    quantity_good: int
    quantity_scrap: int
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None


class WorkOrderDetail(WorkOrderPublic):
    operations: list[OperationPublic]
    in_process: int = Field(description="Units started and neither good at the end nor scrapped")


class WorkOrdersPublic(BaseModel):
    data: list[WorkOrderPublic]
    count: int


class ReleaseSummary(BaseModel):
    schedule_run_id: str | None
    released: list[str] = Field(description="Numbers of the work orders released now")
    rescheduled: int = Field(description="Released work orders whose planned times moved")
    cancelled: list[str] = Field(description="Work orders of cancelled sales orders")


class UnitPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    serial: str
    product_code: str
    status: UnitStatus
    order_id: str
    first_pass: bool
    reworked: bool
    scrapped_at_sequence: int | None
    scrap_reason: str
    created_at: datetime
    completed_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None


class UnitsPublic(BaseModel):
    data: list[UnitPublic]
    count: int


class MaterialLink(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sequence: int
    material: str
    lot: str
    quantity: float
    unit: str


class InspectionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sequence: int
    characteristic: str
    value: float | None
    low: float | None
    high: float | None
    passed: bool
    inspected_at: datetime


class GenealogyStep(BaseModel):
    """One operation the unit went through: where, when, how, and with what result."""

    sequence: int
    code: str
    name: str
    work_center: str | None
    machine: str | None
    started_at: datetime | None
    finished_at: datetime | None
    shift: str | None
    parameters: dict[str, Any]
    outcomes: list[str] = Field(description="good, rework (repeated) or scrap, in order")
    reasons: list[str]
    measurements: dict[str, Any]
    materials: list[MaterialLink]
    inspections: list[InspectionPublic]


class Genealogy(BaseModel):
    """A unit's full history: its order, every operation, machine, lot and test."""

    unit: UnitPublic
    work_order: str
    order_number: str
    steps: list[GenealogyStep]

    @property
    def lots(self) -> list[MaterialLink]:
        return [m for step in self.steps for m in step.materials]

    @property
    def machines(self) -> list[str]:
        return [s.machine for s in self.steps if s.machine]


class MachineStatePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    machine: str
    state: MachineState
    at: datetime
    reason: str


class OeePublic(BaseModel):
    machine: str
    availability: float
    performance: float
    quality: float
    oee: float
    planned_seconds: float
    running_seconds: float
    ideal_seconds: float
    total_count: int
    good_count: int
    seconds: dict[str, float]
    source: str = Field(description="machine-states, or operations when none were reported")


class OeeReport(BaseModel):
    start: datetime
    end: datetime
    machines: list[OeePublic]
    plant: OeePublic | None


class ShipmentPublic(BaseModel):
    order_id: str
    order_number: str
    status: str
    serials: list[str]


class DispatchItem(BaseModel):
    """One line of a machine's dispatch list: what to run next, in order."""

    work_order: str
    operation: int
    code: str
    status: OperationStatus
    quantity: int
    planned_start: datetime | None
    planned_end: datetime | None


class ReleasedStep(BaseModel):
    sequence: int
    code: str
    work_centers: list[str]
    setup_minutes: float
    run_minutes: float
    planned_machine: str | None
    planned_start: datetime | None
    planned_end: datetime | None
    status: OperationStatus


class ReleasedWorkOrder(BaseModel):
    """A released work order not started yet, with what a plant needs to run it: its steps
    as planned and the material of its bill (kitted at the first step)."""

    number: str
    tenant_id: str
    order_id: str
    product_code: str
    quantity: int
    created_at: datetime
    steps: list[ReleasedStep]
    materials: list[tuple[str, float]]


class ShipmentDue(BaseModel):
    """A customer order whose units are all good and inspected: ready to leave."""

    order_id: str
    tenant_id: str
    ready_at: datetime | None
