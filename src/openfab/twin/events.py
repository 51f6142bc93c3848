"""What the twin reports: typed events, delivered in batches to a sink.

Every event carries a deterministic ``message_id`` (unique within a run, the same for the
same seed and inputs) so a bus or an ingest can deduplicate, a UTC ``time`` and the
Unified-Namespace ``topic`` it belongs on. Telemetry comes as :class:`TelemetryBatch` (one
array per sampling instant, cheap to make) unless individual readings are asked for;
``batch.readings()`` expands it into :class:`TelemetryReading` records.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol

import numpy as np
import numpy.typing as npt

from openfab.twin.layout import MachineState

FloatArray = npt.NDArray[np.float32]
ByteArray = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class MachineStateChanged:
    kind: ClassVar[str] = "machine.state"
    message_id: str
    time: datetime
    topic: str
    machine: str
    previous: MachineState
    state: MachineState
    reason: str = ""
    operation: str | None = None
    expected_end: datetime | None = None
    """For Down and Maintenance: when the machine is expected back (mean repair time)."""


@dataclass(frozen=True, slots=True)
class LotUse:
    material: str
    lot: str
    quantity: float


@dataclass(frozen=True, slots=True)
class OperationStarted:
    kind: ClassVar[str] = "operation.started"
    message_id: str
    time: datetime
    topic: str
    machine: str
    work_order: str
    operation: str
    code: str
    planned_start: datetime
    serials: tuple[str, ...]
    parameters: Mapping[str, float]
    lots: tuple[LotUse, ...] = ()
    """The material drawn for all its units, per lot (issued from stock at the start)."""


@dataclass(frozen=True, slots=True)
class OperationFinished:
    kind: ClassVar[str] = "operation.finished"
    message_id: str
    time: datetime
    topic: str
    machine: str
    work_order: str
    operation: str
    code: str
    planned_end: datetime
    serials: tuple[str, ...]
    defective: tuple[str, ...]
    """Serials that got a defect in this operation."""
    energy_kwh: float
    down_minutes: float


@dataclass(frozen=True, slots=True)
class Defect:
    """A surface defect: where it is on the scan (pixels), how big, and what made it."""

    kind: str
    """``scratch``, ``dent`` or ``bump``."""
    row: int
    col: int
    size: float
    depth_um: float
    operation: str
    machine: str


@dataclass(frozen=True, slots=True)
class UnitProduced:
    """A unit left its last operation. ``disposition`` is ``good`` or ``scrap``."""

    kind: ClassVar[str] = "unit.produced"
    message_id: str
    time: datetime
    topic: str
    serial: str
    work_order: str
    product: str
    disposition: str
    defects: tuple[Defect, ...]
    measurements: Mapping[str, float]
    parameters: Mapping[str, Mapping[str, float]]
    """Process parameters per operation id, as they were when the unit went through."""
    machines: tuple[str, ...]
    lots: tuple[LotUse, ...]
    energy_kwh: float
    scan_image: ByteArray
    """Grayscale surface image (uint8, square)."""
    scan_height: FloatArray
    """Height map in micrometres (float32, same shape as the image)."""


@dataclass(frozen=True, slots=True)
class TelemetryReading:
    kind: ClassVar[str] = "telemetry.reading"
    message_id: str
    time: datetime
    topic: str
    machine: str
    signal: str
    value: float
    unit: str


@dataclass(frozen=True, slots=True)
class TelemetryBatch:
    """All machines' signals at one sampling instant: ``values[i, k]`` is machine ``i``'s
    signal ``k``. Reading ``n`` (row-major) has message id ``f"{id_prefix}{first_seq + n}"``."""

    kind: ClassVar[str] = "telemetry.batch"
    message_id: str
    time: datetime
    topic: str
    machines: tuple[str, ...]
    topics: tuple[tuple[str, ...], ...]
    signals: tuple[str, ...]
    units: tuple[str, ...]
    values: npt.NDArray[np.float64]
    id_prefix: str
    first_seq: int

    def __len__(self) -> int:
        return int(self.values.size)

    def readings(self) -> list[TelemetryReading]:
        """One record per value (for sinks that publish reading by reading)."""
        out = []
        seq = self.first_seq
        rows = self.values.tolist()
        for machine, topics, row in zip(self.machines, self.topics, rows, strict=True):
            for k, value in enumerate(row):
                out.append(
                    TelemetryReading(
                        f"{self.id_prefix}{seq}",
                        self.time,
                        topics[k],
                        machine,
                        self.signals[k],
                        value,
                        self.units[k],
                    )
                )
                seq += 1
        return out


@dataclass(frozen=True, slots=True)
class MaterialLotArrived:
    kind: ClassVar[str] = "material.lot_arrived"
    message_id: str
    time: datetime
    topic: str
    lot: str
    material: str
    quantity: float
    purchase_order: str | None
    supplier: str | None


@dataclass(frozen=True, slots=True)
class MaterialShortage:
    """An operation was ready but its material was not on hand; it waits for a lot."""

    kind: ClassVar[str] = "material.shortage"
    message_id: str
    time: datetime
    topic: str
    material: str
    operation: str
    machine: str
    needed: float
    on_hand: float


@dataclass(frozen=True, slots=True)
class EnergySample:
    """Energy over the last ``period_minutes``: per machine, or for the plant
    (``machine=None``) with the rooftop solar generation and the part of it used."""

    kind: ClassVar[str] = "energy.sample"
    message_id: str
    time: datetime
    topic: str
    machine: str | None
    period_minutes: float
    consumed_kwh: float
    solar_kwh: float
    pv_kwh: float = 0.0


TwinEvent = (
    MachineStateChanged
    | OperationStarted
    | OperationFinished
    | UnitProduced
    | TelemetryReading
    | TelemetryBatch
    | MaterialLotArrived
    | MaterialShortage
    | EnergySample
)


class EventSink(Protocol):
    """Receives events in time order, a batch at a time."""

    def __call__(self, events: Sequence[TwinEvent], /) -> None: ...


def each(handler: Callable[[TwinEvent], None]) -> EventSink:
    """A sink that calls ``handler`` once per event."""

    def sink(events: Sequence[TwinEvent], /) -> None:
        for event in events:
            handler(event)

    return sink


class ListSink:
    """Keeps every event (tests, small runs); ``expand=True`` keeps single readings."""

    def __init__(self, *, expand: bool = False) -> None:
        self.events: list[TwinEvent] = []
        self.expand = expand

    def __call__(self, events: Sequence[TwinEvent], /) -> None:
        for event in events:
            if self.expand and isinstance(event, TelemetryBatch):
                self.events.extend(event.readings())
            else:
                self.events.append(event)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def payload(event: TwinEvent, *, arrays: bool = False) -> dict[str, Any]:
    """A JSON-ready dict of an event for a bus. Scan arrays become nested lists with
    ``arrays=True``; otherwise only their shape is given."""
    out: dict[str, Any] = {"kind": event.kind}
    for f in dataclasses.fields(event):
        out[f.name] = _jsonable(getattr(event, f.name), arrays)
    return out


def _jsonable(value: Any, arrays: bool) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return value.tolist() if arrays else {"shape": list(value.shape), "dtype": str(value.dtype)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _jsonable(getattr(value, f.name), arrays) for f in dataclasses.fields(value)
        }
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v, arrays) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_jsonable(v, arrays) for v in value]
    return value
