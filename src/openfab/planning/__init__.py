"""Production scheduling engine: pure data in, schedule out (no database, network or clock).

>>> schedule = solve(problem, time_limit=30)            # doctest: +SKIP
>>> down = [MachineDown("M1", 600, 720)]                   # doctest: +SKIP
>>> repaired = reschedule(problem, schedule, down, now=480)  # doctest: +SKIP
"""

from openfab.planning.checker import assert_valid, violations
from openfab.planning.model import (
    Machine,
    Mode,
    Objective,
    Operation,
    Precedence,
    ProblemData,
    Window,
    WorkOrder,
)
from openfab.planning.readers import read_instance
from openfab.planning.reschedule import (
    Event,
    MachineDown,
    MaterialLate,
    OrderAdded,
    OrderCancelled,
    apply_events,
    reschedule,
)
from openfab.planning.schedule import Reason, Schedule, ScheduledOperation
from openfab.planning.solver import solve

__all__ = [
    "Event",
    "Machine",
    "MachineDown",
    "MaterialLate",
    "Mode",
    "Objective",
    "Operation",
    "OrderAdded",
    "OrderCancelled",
    "Precedence",
    "ProblemData",
    "Reason",
    "Schedule",
    "ScheduledOperation",
    "Window",
    "WorkOrder",
    "apply_events",
    "assert_valid",
    "read_instance",
    "reschedule",
    "solve",
    "violations",
]
