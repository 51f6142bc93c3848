"""The factory twin: a deterministic SimPy simulation of a plant executing a production plan.

Pure (no database, no network): a layout, a seed and a config in; typed events out to a
sink, and a :class:`TwinRun` summary.
"""

from openfab.twin.config import Dispatch, TwinConfig, default_run_id
from openfab.twin.events import (
    Defect,
    EnergySample,
    EventSink,
    ListSink,
    LotUse,
    MachineStateChanged,
    MaterialLotArrived,
    MaterialShortage,
    OperationFinished,
    OperationStarted,
    TelemetryBatch,
    TelemetryReading,
    TwinEvent,
    UnitProduced,
    each,
    payload,
)
from openfab.twin.layout import (
    MachinePath,
    MachineState,
    PlantLayout,
    load_layout,
    parse_layout,
    sample_layout,
)
from openfab.twin.plan import (
    MaintenanceWindow,
    MaterialNeed,
    PlannedOperation,
    PlannedWorkOrder,
    ProductionPlan,
    PurchaseOrder,
    check_plan,
)
from openfab.twin.results import LOSSES, MachineStatus, Submitted, TwinRun
from openfab.twin.simulator import Twin
from openfab.twin.topics import machine_topic, parse_topic, site_topic

__all__ = [
    "LOSSES",
    "Defect",
    "Dispatch",
    "EnergySample",
    "EventSink",
    "ListSink",
    "LotUse",
    "MachinePath",
    "MachineState",
    "MachineStateChanged",
    "MachineStatus",
    "MaintenanceWindow",
    "MaterialLotArrived",
    "MaterialNeed",
    "MaterialShortage",
    "OperationFinished",
    "OperationStarted",
    "PlannedOperation",
    "PlannedWorkOrder",
    "PlantLayout",
    "ProductionPlan",
    "PurchaseOrder",
    "Submitted",
    "TelemetryBatch",
    "TelemetryReading",
    "Twin",
    "TwinConfig",
    "TwinEvent",
    "TwinRun",
    "UnitProduced",
    "check_plan",
    "default_run_id",
    "each",
    "load_layout",
    "machine_topic",
    "parse_layout",
    "parse_topic",
    "payload",
    "sample_layout",
    "site_topic",
]
