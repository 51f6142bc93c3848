"""Released work orders → the twin's production plan, and the non-AI baseline's dispatch.

The shop floor runs a routing step as one operation (the execution service merges the
planner's sub-lots), so the twin gets one operation per step, named ``{work order}/{sequence}``,
on the machine and at the times the plan gave it. The whole bill of materials is drawn at the
first step (kitting).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from openfab.execution.schemas import ReleasedStep
from openfab.execution.service import ExecutionService
from openfab.execution.states import OperationStatus
from openfab.identity.actor import Actor
from openfab.twin import MaterialNeed, PlannedOperation, PlannedWorkOrder, ProductionPlan

MIN_MINUTES = 1.0


@dataclass(frozen=True)
class Step:
    sequence: int
    code: str
    work_centers: tuple[str, ...]
    setup_minutes: float
    run_minutes: float
    machine: str | None
    start: datetime | None
    end: datetime | None
    status: str


@dataclass(frozen=True)
class Work:
    """A released work order as the demo hands it to the twin."""

    number: str
    tenant_id: str
    order_id: str
    product: str
    quantity: int
    created: datetime
    steps: tuple[Step, ...]
    bom: tuple[MaterialNeed, ...]

    @property
    def last_sequence(self) -> int:
        return max(s.sequence for s in self.steps)


def released_work(execution: ExecutionService, actor: Actor) -> list[Work]:
    """Every work order still waiting for its first operation, oldest first, as the twin
    takes it (from the MES's released work orders)."""
    return [
        Work(
            w.number,
            w.tenant_id,
            w.order_id,
            w.product_code,
            w.quantity,
            w.created_at,
            tuple(_step(s) for s in w.steps),
            tuple(MaterialNeed(m, q) for m, q in w.materials),
        )
        for w in execution.released_work_orders(actor)
    ]


def _step(step: ReleasedStep) -> Step:
    return Step(
        step.sequence,
        step.code,
        tuple(step.work_centers),
        step.setup_minutes,
        step.run_minutes,
        step.planned_machine,
        step.planned_start,
        step.planned_end,
        str(step.status),
    )


def twin_plan(
    works: Iterable[Work],
    *,
    minutes: Callable[[datetime], float],
    now: float,
    machines: Mapping[str, Sequence[str]],
) -> ProductionPlan:
    """The twin's plan of ``works`` as the planner placed them; a step the plan does not
    place (a make-up order for scrap) goes to its work center's first machine, now."""
    out = []
    for work in works:
        ops, ready = [], now
        open_steps = [s for s in work.steps if s.status != OperationStatus.CANCELLED]
        for index, step in enumerate(open_steps):
            length = max(MIN_MINUTES, step.setup_minutes + step.run_minutes * work.quantity)
            if step.machine and step.start and step.end:
                machine, start = step.machine, max(0.0, minutes(step.start))
                end = max(minutes(step.end), start + MIN_MINUTES)
            else:
                machine, start = machines[step.work_centers[0]][0], ready
                end = start + length
            ready = end
            ops.append(_operation(work, step, index, machine, start, end))
        if ops:
            out.append(PlannedWorkOrder(work.number, work.product, tuple(ops), work.quantity))
    return ProductionPlan(tuple(out))


def _operation(
    work: Work, step: Step, index: int, machine: str, start: float, end: float
) -> PlannedOperation:
    return PlannedOperation(
        id=f"{work.number}/{step.sequence}",
        code=step.code,
        machine=machine,
        start=start,
        end=end,
        setup_minutes=min(step.setup_minutes, 0.5 * (end - start)),
        family=work.product,
        materials=work.bom if index == 0 else (),
    )


class FifoDispatcher:
    """The non-AI baseline: work orders in arrival order, each step on the eligible machine
    that frees up first, as soon as its predecessor is planned to end. No look-ahead, no
    due dates, no changeover grouping, no re-planning."""

    def __init__(self, machines: Mapping[str, Sequence[str]]) -> None:
        self.machines = machines
        self.free: dict[str, float] = {m: 0.0 for ms in machines.values() for m in ms}

    def plan(self, works: Iterable[Work], *, now: float) -> ProductionPlan:
        out = []
        for work in sorted(works, key=lambda w: (w.created, w.number)):
            ops, ready = [], now
            open_steps = [s for s in work.steps if s.status != OperationStatus.CANCELLED]
            for index, step in enumerate(open_steps):
                length = max(MIN_MINUTES, step.setup_minutes + step.run_minutes * work.quantity)
                eligible = [m for c in step.work_centers for m in self.machines.get(c, ())]
                machine = min(eligible, key=lambda m: (self.free[m], m))
                start = max(ready, self.free[machine])
                ready = self.free[machine] = start + length
                ops.append(_operation(work, step, index, machine, start, ready))
            out.append(PlannedWorkOrder(work.number, work.product, tuple(ops), work.quantity))
        return ProductionPlan(tuple(out))
