"""Released work orders → the twin's production plan.

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
VARIANT_GROUP = {"fridge": "finish", "washer": "color", "ebike-battery": "cell"}
"""The option group whose choice sets a product's variant family: the colour a paint line
runs, the cell a battery line is set up for. A changeover between variants of one product is
short (dies, jigs and fixtures stay), between products long."""


def setup_family(product: str, choices: Mapping[str, object]) -> str:
    """``product/variant`` (the twin's sequence-dependent setups read it that way)."""
    group = VARIANT_GROUP.get(product)
    variant = choices.get(group) if group else None
    return f"{product}/{variant}" if variant is not None else product


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
    families: Mapping[str, str] | None = None,
) -> ProductionPlan:
    """The twin's plan of ``works``: each step on the machine and at the times the planner
    gave it, and free to run on any machine of its work centers (the floor dispatches from
    the plan's sequence, or first come first served in the baseline). A step the plan does
    not place (the baseline's, a make-up order for scrap) goes to its work center's first
    machine, now. ``families`` gives an order's setup family (``product/variant``)."""
    out = []
    for work in works:
        family = (families or {}).get(work.order_id, work.product)
        ops, ready = [], now
        open_steps = [s for s in work.steps if s.status != OperationStatus.CANCELLED]
        for index, step in enumerate(open_steps):
            length = max(MIN_MINUTES, step.setup_minutes + step.run_minutes * work.quantity)
            eligible = [m for c in step.work_centers for m in machines.get(c, ())]
            if step.machine and step.start and step.end:
                machine, start = step.machine, max(0.0, minutes(step.start))
                end = max(minutes(step.end), start + MIN_MINUTES)
            else:
                machine, start = eligible[0], ready
                end = start + length
            ready = end
            others = tuple(m for m in eligible if m != machine)
            ops.append(_operation(work, step, index, machine, (start, end), family, others))
        if ops:
            released = max(0.0, minutes(work.created))
            out.append(
                PlannedWorkOrder(
                    work.number, work.product, tuple(ops), work.quantity, released=released
                )
            )
    return ProductionPlan(tuple(out))


def _operation(
    work: Work,
    step: Step,
    index: int,
    machine: str,
    span: tuple[float, float],
    family: str,
    alternatives: tuple[str, ...],
) -> PlannedOperation:
    start, end = span
    return PlannedOperation(
        id=f"{work.number}/{step.sequence}",
        code=step.code,
        machine=machine,
        start=start,
        end=end,
        setup_minutes=min(step.setup_minutes, 0.5 * (end - start)),
        family=family,
        materials=work.bom if index == 0 else (),
        alternatives=alternatives,
    )
