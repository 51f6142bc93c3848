"""The shop-floor message contract, version 1: what a plant sends to OpenFab.

A message is a JSON object (or an array of them) on ``openfab/{site}/{area}/{line}/{machine}/
$floor`` (MQTT), ``openfab.floor.{site}.{area}.{line}.{machine}`` (NATS) or ``POST
/floor/messages`` (REST). The sender is the machine the topic names; ``message_id`` is unique
per sender, so two machines that number alike never collide. ``docs/contracts/
floor-v1.schema.json`` is generated from these models (a test keeps it current).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    Base64Bytes,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)

from openfab.execution.states import MachineState, Outcome

VERSION = 1
DESCRIPTION = (
    "One message or an array of them, sent on MQTT openfab/{site}/{area}/{line}/{machine}/$floor,"
    " NATS openfab.floor.{site}.{area}.{line}.{machine} or REST POST /floor/messages?sender="
    "site/area/line/machine. message_id is unique per sending machine."
)
MAX_PAYLOAD_BYTES = 1_000_000
MAX_MESSAGES = 1000
Text = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00]*$")]
Note = Annotated[str, Field(default="", max_length=200, pattern=r"^[^\x00]*$")]
Quantity = Annotated[Decimal, Field(gt=0, lt=Decimal("1e9"), allow_inf_nan=False)]
Values = Annotated[dict[Text, float], Field(default_factory=dict, max_length=200)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    message_id: str = Field(
        min_length=1, max_length=60, pattern=r"^[^\x00]*$", description="Unique per sender."
    )
    at: AwareDatetime = Field(description="When it happened, ISO 8601 with a zone.")


class LotUse(BaseModel):
    """A lot used: in an operation message, ``quantity`` went into each unit (genealogy);
    in ``material.consumed`` and ``goods.received``, it is the whole amount moved."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    material: Text
    lot: Text
    quantity: Quantity
    unit: str = Field(default="pcs", min_length=1, max_length=8)


class UnitResult(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    serial: Text
    outcome: Outcome = Outcome.GOOD
    reason: Note = ""
    measurements: Values


class OperationStarted(_Message):
    type: Literal["operation.started"]
    work_order: Text = Field(description="The work order's number, as on the dispatch list.")
    operation: int = Field(ge=0, le=100_000, description="The operation's sequence.")
    parameters: Values
    materials: list[LotUse] = Field(default_factory=list, max_length=200)


class OperationFinished(_Message):
    type: Literal["operation.finished"]
    work_order: Text
    operation: int = Field(ge=0, le=100_000)
    good: int = Field(ge=0, le=100_000)
    scrap: int = Field(default=0, ge=0, le=100_000)
    scrap_reason: Note = ""
    parameters: Values
    materials: list[LotUse] = Field(default_factory=list, max_length=200)
    units: list[UnitResult] = Field(default_factory=list, max_length=10_000)


class MachineStateChanged(_Message):
    type: Literal["machine.state"]
    state: MachineState
    reason: Note = ""
    expected_end: AwareDatetime | None = Field(
        default=None, description="For Down or Maintenance: when the machine is expected back."
    )


class MaterialConsumed(_Message):
    """Material drawn from stock (a kitting or line-side issue), booked to the work order's
    customer order. An operation's ``materials`` say which lots went into its units; this
    message moves the stock."""

    type: Literal["material.consumed"]
    work_order: Text | None = None
    lot: LotUse


class GoodsReceived(_Message):
    """A lot arrived at the plant's stores (sent by the receiving dock's scanner)."""

    type: Literal["goods.received"]
    lot: LotUse
    purchase_order: Text | None = Field(default=None, description="The purchase order number.")
    supplier: Text | None = Field(
        default=None,
        description="The supplier's code from the delivery note, for a lot received without "
        "a purchase order (opening stock, consignment, transfer).",
    )


class Measurement(_Message):
    """A process measurement outside telemetry (a gauge, a lab value)."""

    type: Literal["measurement"]
    signal: Text
    value: float = Field(allow_inf_nan=False)


MAX_SCAN_BYTES = 700_000
"""A scan's image (or height map) at most, encoded: a 1024 px grey PNG fits."""
ScanFile = Annotated[
    Base64Bytes,
    Field(min_length=8, max_length=MAX_SCAN_BYTES, description="A PNG or JPEG, base64."),
]


class UnitScanned(_Message):
    """A camera's surface scan of one unit, for inline inspection: an 8-bit grey or colour
    PNG/JPEG and, from a 3D camera, the height map as a 16-bit grey PNG whose counts are
    ``height_offset_um + count * height_um_per_count`` micrometres. The verdict comes back as
    the unit's inspection (and a scrap or rework) in the MES."""

    type: Literal["unit.scanned"]
    serial: Text
    work_order: Text | None = Field(
        default=None, description="The unit's work order, where brands' serials repeat."
    )
    image: ScanFile
    height: ScanFile | None = None
    height_um_per_count: float = Field(default=0.01, gt=0, le=1000, allow_inf_nan=False)
    height_offset_um: float = Field(default=0.0, ge=-1e6, le=1e6, allow_inf_nan=False)


class FieldReport(_Message):
    """A shipped unit's field data relayed by a station of the plant (a returns tester, or a
    service partner's diagnostic uplink registered as a machine): cycles, mean temperature
    and measured capacity. Impossible values are dead-lettered with the reason; doubtful ones
    are kept flagged and never used as truth (the lifecycle's rules, as over REST)."""

    type: Literal["unit.field_report"]
    serial: Text
    brand: Text | None = Field(
        default=None, description="The unit's brand (tenant id), where brands' serials repeat."
    )
    cycles: int = Field(ge=-1_000_000, le=1_000_000, description="Full equivalent cycles.")
    temperature_c: float = Field(allow_inf_nan=False, description="Mean cell temperature.")
    capacity_ah: float | None = Field(default=None, allow_inf_nan=False)
    soh_percent: float | None = Field(default=None, allow_inf_nan=False)
    failure: Note = ""


class CommandAcknowledged(_Message):
    """A machine's answer to a command from its ``$command`` topic: applied (accepted) or
    not (rejected, with why). Recorded once per sender and message id."""

    type: Literal["command.acknowledged"]
    command_id: str = Field(
        min_length=1, max_length=64, pattern=r"^[^\x00]*$", description="The command's id."
    )
    status: Literal["accepted", "rejected"]
    reason: Note = ""


FloorMessage = Annotated[
    OperationStarted
    | OperationFinished
    | MachineStateChanged
    | MaterialConsumed
    | GoodsReceived
    | Measurement
    | UnitScanned
    | FieldReport
    | CommandAcknowledged,
    Field(discriminator="type"),
]
_ONE: TypeAdapter[FloorMessage] = TypeAdapter(FloorMessage)


class Refusal(BaseModel):
    """Why a message (or a payload) could not be applied."""

    code: str
    reason: str
    message_id: str | None = None
    raw: str = ""


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}" for e in exc.errors()
    )[:900]


def parse(payload: bytes | str | Any) -> tuple[list[FloorMessage], list[Refusal]]:
    """A payload → its valid messages and a refusal for each bad one (never raises). A payload
    that is no JSON object or array at all is one refusal."""
    if isinstance(payload, bytes | str):
        raw = _text(payload)
        if len(payload) > MAX_PAYLOAD_BYTES:
            why = f"over {MAX_PAYLOAD_BYTES} bytes"
            return [], [Refusal(code="too_large", reason=why, raw=raw)]
        try:
            payload = json.loads(payload)
        except (ValueError, UnicodeDecodeError) as exc:
            return [], [Refusal(code="malformed", reason=f"not JSON: {exc}"[:300], raw=raw)]
    items = payload if isinstance(payload, list) else [payload]
    if not items or len(items) > MAX_MESSAGES:
        reason = f"a payload holds 1 to {MAX_MESSAGES} messages, got {len(items)}"
        return [], [Refusal(code="malformed", reason=reason)]
    messages: list[FloorMessage] = []
    refused: list[Refusal] = []
    for item in items:
        try:
            messages.append(_ONE.validate_python(item))
        except ValidationError as exc:
            message_id = item.get("message_id") if isinstance(item, dict) else None
            refused.append(
                Refusal(
                    code="invalid",
                    reason=_problems(exc),
                    message_id=str(message_id)[:64] if message_id is not None else None,
                    raw=json.dumps(item, default=str)[:2000],
                )
            )
    return messages, refused


def _text(payload: bytes | str, limit: int = 2000) -> str:
    """What a dead letter keeps of a payload: its start, decoded with replacement marks."""
    text = payload[:limit].decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    return text[:limit].replace("\x00", "\ufffd")


def dump(message: FloorMessage) -> dict[str, Any]:
    """The JSON form of a message (what a dead letter keeps, what a client sends)."""
    return message.model_dump(mode="json", exclude_none=True)


def json_schema() -> dict[str, Any]:
    """The contract as JSON Schema (2020-12): one message or an array of them."""
    one = _ONE.json_schema(ref_template="#/$defs/{model}")
    defs = one.pop("$defs", {})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://openfab.dev/contracts/floor-v{VERSION}.schema.json",
        "title": f"OpenFab shop-floor message, version {VERSION}",
        "description": DESCRIPTION,
        "oneOf": [one, {"type": "array", "items": one, "minItems": 1, "maxItems": MAX_MESSAGES}],
        "$defs": defs,
    }
