"""From the planner's schedule and the configured products to a twin :class:`ProductionPlan`.

The scheduler knows operations as ``{order}/{sequence}/{part}`` on machines, in minutes from
its origin; the configurator knows each order's routing steps and BOM. Together they are
what the twin executes. Pure: the caller reads orders and schedules from wherever they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from openfab.catalog.results import ConfiguredProduct
from openfab.errors import ProblemCollector
from openfab.planning.schedule import ScheduledOperation
from openfab.twin.plan import MaterialNeed, PlannedOperation, PlannedWorkOrder, ProductionPlan


@dataclass(frozen=True)
class StepSpec:
    """A routing step: its code, setup, material drawn when it starts, machine load."""

    code: str
    setup_minutes: float = 0.0
    materials: tuple[MaterialNeed, ...] = ()
    load: float = 1.0


@dataclass(frozen=True)
class OrderSpec:
    """What the twin needs to know of an order besides its schedule."""

    product: str
    steps: Mapping[int, StepSpec]
    quantity: int = 1
    family: str | None = None
    due: float | None = None


def order_spec(
    configured: ConfiguredProduct,
    *,
    quantity: int = 1,
    family: str | None = None,
    due: float | None = None,
) -> OrderSpec:
    """An order of a configured product: the whole BOM is drawn at the first step (kitting)."""
    bom = tuple(MaterialNeed(line.material, float(line.quantity)) for line in configured.bom)
    first = min((op.sequence for op in configured.routing), default=0)
    steps = {
        op.sequence: StepSpec(op.code, float(op.setup_minutes), bom if op.sequence == first else ())
        for op in configured.routing
    }
    return OrderSpec(configured.product, steps, quantity, family or configured.product, due)


def plan_from_schedule(
    operations: Sequence[ScheduledOperation],
    orders: Mapping[str, OrderSpec],
    *,
    offset: float = 0.0,
) -> ProductionPlan:
    """A plan of the scheduled operations; ``offset`` is the planner's origin in minutes
    after the twin's origin. Material is drawn at the first part of a split step."""
    errors = ProblemCollector()
    by_order: dict[str, list[tuple[int, int, ScheduledOperation]]] = {}
    for s in operations:
        parts = s.operation.split("/")
        if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
            errors.add(f"operation {s.operation}", "is not {order}/{sequence}/{part}")
            continue
        if s.order not in orders:
            errors.add(f"operation {s.operation}", f"order {s.order} has no order spec")
            continue
        sequence, part = int(parts[1]), int(parts[2])
        if sequence not in orders[s.order].steps:
            errors.add(f"operation {s.operation}", f"order {s.order} has no step {sequence}")
            continue
        by_order.setdefault(s.order, []).append((sequence, part, s))
    errors.raise_if_any("cannot turn the schedule into a production plan")
    work_orders = []
    for order_id, rows in by_order.items():
        spec = orders[order_id]
        planned = []
        for sequence, part, s in sorted(rows, key=lambda r: (r[0], r[1])):
            step = spec.steps[sequence]
            length = s.end - s.start
            planned.append(
                PlannedOperation(
                    id=s.operation,
                    code=step.code,
                    machine=s.machine,
                    start=s.start + offset,
                    end=s.end + offset,
                    setup_minutes=min(step.setup_minutes, 0.5 * length) if part == 1 else 0.0,
                    family=spec.family,
                    load=step.load,
                    materials=step.materials if part == 1 else (),
                )
            )
        work_orders.append(
            PlannedWorkOrder(order_id, spec.product, tuple(planned), spec.quantity, spec.due)
        )
    return ProductionPlan(tuple(work_orders))
