"""A planner's pins as the scheduler sees them: a step held to one machine, not before a
minute of the plan. Pure: the service reads the stored pins and hands them in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from openfab.planning.model import Operation, ProblemData, WorkOrder
from openfab.planning.shopfloor import split_operation_id


@dataclass(frozen=True)
class Hold:
    """Step ``sequence`` of order ``order_id`` runs on ``machine``, from minute ``not_before``."""

    order_id: str
    sequence: int
    machine: str
    not_before: int


def held(problem: ProblemData, holds: Iterable[Hold]) -> ProblemData:
    """The problem with each held step's operations (every sub-lot) kept to the hold's
    machine and released no earlier than its minute. A machine that cannot run the step
    (the plant changed since the pin) leaves the step's machines as they were."""
    by_order: dict[str, dict[int, Hold]] = {}
    for hold in holds:
        by_order.setdefault(hold.order_id, {})[hold.sequence] = hold
    if not by_order:
        return problem
    orders = tuple(_hold(work, by_order.get(work.id)) for work in problem.orders)
    return replace(problem, orders=orders)


def _hold(work: WorkOrder, holds: dict[int, Hold] | None) -> WorkOrder:
    if not holds:
        return work
    return replace(work, operations=tuple(_held_operation(op, holds) for op in work.operations))


def _held_operation(op: Operation, holds: dict[int, Hold]) -> Operation:
    hold = holds.get(split_operation_id(op.id)[1])
    if hold is None:
        return op
    modes = tuple(m for m in op.modes if m.machine == hold.machine) or op.modes
    return replace(op, modes=modes, release=max(op.release, hold.not_before))
