"""Shop-floor execution (MES): work orders, operations, serial units, genealogy and OEE."""

from openfab.execution.oee import MachineOee, OeeInput, StateInterval, compute_oee
from openfab.execution.states import MachineState, OperationStatus, UnitStatus, WorkOrderStatus

__all__ = [
    "MachineOee",
    "MachineState",
    "OeeInput",
    "OperationStatus",
    "StateInterval",
    "UnitStatus",
    "WorkOrderStatus",
    "compute_oee",
]
