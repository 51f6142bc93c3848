"""State machines of the shop floor: work orders, operations, serial units, machines.

Work-order values are B2MML ``RequestState`` strings and machine states the simplified
PackML-like set of the glossary, so exports need no translation table.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from openfab.errors import Conflict

S = TypeVar("S", bound=StrEnum)


class WorkOrderStatus(StrEnum):
    RELEASED = "Released"
    RUNNING = "Running"
    HELD = "Held"
    COMPLETED = "Completed"
    CLOSED = "Closed"
    ABORTED = "Aborted"
    CANCELLED = "Cancelled"


class OperationStatus(StrEnum):
    """A segment of a work order: waits for its predecessor, runs once, completes."""

    PENDING = "Pending"
    READY = "Ready"
    RUNNING = "Running"
    COMPLETED = "Completed"
    CANCELLED = "Cancelled"


class UnitStatus(StrEnum):
    IN_PROCESS = "InProcess"
    COMPLETED = "Completed"
    SCRAPPED = "Scrapped"
    SHIPPED = "Shipped"
    DELIVERED = "Delivered"


class MachineState(StrEnum):
    RUNNING = "Running"
    IDLE = "Idle"
    SETUP = "Setup"
    DOWN = "Down"
    MAINTENANCE = "Maintenance"


class Outcome(StrEnum):
    """What happened to one unit at one operation; rework passed after a second try."""

    GOOD = "good"
    REWORK = "rework"
    SCRAP = "scrap"


WORK_ORDER_NEXT: dict[WorkOrderStatus, frozenset[WorkOrderStatus]] = {
    WorkOrderStatus.RELEASED: frozenset(
        {WorkOrderStatus.RUNNING, WorkOrderStatus.HELD, WorkOrderStatus.CANCELLED}
    ),
    WorkOrderStatus.RUNNING: frozenset(
        {WorkOrderStatus.COMPLETED, WorkOrderStatus.HELD, WorkOrderStatus.ABORTED}
    ),
    WorkOrderStatus.HELD: frozenset(
        {WorkOrderStatus.RELEASED, WorkOrderStatus.RUNNING, WorkOrderStatus.ABORTED}
    ),
    WorkOrderStatus.COMPLETED: frozenset({WorkOrderStatus.CLOSED}),
    WorkOrderStatus.CLOSED: frozenset(),
    WorkOrderStatus.ABORTED: frozenset(),
    WorkOrderStatus.CANCELLED: frozenset(),
}
OPERATION_NEXT: dict[OperationStatus, frozenset[OperationStatus]] = {
    OperationStatus.PENDING: frozenset({OperationStatus.READY, OperationStatus.CANCELLED}),
    OperationStatus.READY: frozenset({OperationStatus.RUNNING, OperationStatus.CANCELLED}),
    OperationStatus.RUNNING: frozenset({OperationStatus.COMPLETED}),
    OperationStatus.COMPLETED: frozenset(),
    OperationStatus.CANCELLED: frozenset(),
}
UNIT_NEXT: dict[UnitStatus, frozenset[UnitStatus]] = {
    UnitStatus.IN_PROCESS: frozenset({UnitStatus.COMPLETED, UnitStatus.SCRAPPED}),
    UnitStatus.COMPLETED: frozenset({UnitStatus.SHIPPED, UnitStatus.SCRAPPED}),
    UnitStatus.SCRAPPED: frozenset(),
    UnitStatus.SHIPPED: frozenset({UnitStatus.DELIVERED}),
    UnitStatus.DELIVERED: frozenset(),
}
# Work orders that still hold (or will hold) machines.
ACTIVE = frozenset({WorkOrderStatus.RELEASED, WorkOrderStatus.RUNNING, WorkOrderStatus.HELD})


def _check(kind: str, table: Mapping[S, frozenset[S]], current: S, target: S) -> None:
    if target not in table[current]:
        allowed = ", ".join(sorted(table[current])) or "none (final state)"
        raise Conflict(f"a {kind} in {current} cannot move to {target}; allowed: {allowed}")


def check_work_order(current: WorkOrderStatus, target: WorkOrderStatus) -> None:
    """Raise ``Conflict`` naming the allowed next steps when ``target`` may not follow."""
    _check("work order", WORK_ORDER_NEXT, current, target)


def check_operation(current: OperationStatus, target: OperationStatus) -> None:
    _check("operation", OPERATION_NEXT, current, target)


def check_unit(current: UnitStatus, target: UnitStatus) -> None:
    _check("unit", UNIT_NEXT, current, target)
