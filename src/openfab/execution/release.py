"""Pure translation of a persisted schedule into work-order operations.

The planner may split a long routing step into consecutive sub-lots on different machines;
the shop floor runs a step as one operation, so a step's plan is its earliest start, latest
end and the machine of its first sub-lot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


class ScheduledPart(Protocol):
    order_id: str
    sequence: int
    machine: str
    start_at: datetime
    end_at: datetime


@dataclass(frozen=True)
class PlannedStep:
    machine: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class RoutingStep:
    sequence: int
    code: str
    name: str
    work_centers: tuple[str, ...]
    setup_minutes: float
    run_minutes: float


def planned_steps(parts: Iterable[ScheduledPart]) -> dict[tuple[str, int], PlannedStep]:
    """(order id, routing sequence) → the step's plan over all of its sub-lots."""
    plan: dict[tuple[str, int], PlannedStep] = {}
    for part in sorted(parts, key=lambda p: (p.order_id, p.sequence, p.start_at)):
        key = (part.order_id, part.sequence)
        known = plan.get(key)
        if known is None:
            plan[key] = PlannedStep(part.machine, part.start_at, part.end_at)
        else:
            plan[key] = PlannedStep(
                known.machine, min(known.start, part.start_at), max(known.end, part.end_at)
            )
    return plan


def routing_steps(configured: Mapping[str, Any]) -> list[RoutingStep]:
    """The configured routing stored with a sales order, as typed steps in sequence."""
    steps = [
        RoutingStep(
            sequence=int(op["sequence"]),
            code=str(op["code"]),
            name=str(op.get("name", op["code"])),
            work_centers=tuple(op["work_centers"]),
            setup_minutes=float(op["setup_minutes"]),
            run_minutes=float(op["run_minutes"]),
        )
        for op in configured.get("routing", [])
    ]
    return sorted(steps, key=lambda s: s.sequence)


def work_order_number(order_number: str, replacement: int = 0) -> str:
    """``SO-1A2B3C`` → ``WO-1A2B3C``; make-up orders for scrap get ``-R1``, ``-R2``…"""
    base = "WO-" + order_number.removeprefix("SO-")
    return f"{base}-R{replacement}" if replacement else base
