"""From the plant and its open orders to a scheduling problem, and back to times.

Pure: work centers with their machine counts and daily hours become machines with shift
calendars; each sales order's configured routing becomes a work order whose operations may
run on any machine of their eligible work centers. Minute 0 is the start of the planning
day (UTC midnight); shifts start at 06:00.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from openfab.catalog.definition import WorkCenter
from openfab.planning.model import Machine, Mode, Operation, ProblemData, Window, WorkOrder

SHIFT_START_MINUTE = 6 * 60
DAY = 24 * 60


@dataclass(frozen=True)
class RoutingOperation:
    sequence: int
    code: str
    work_centers: tuple[str, ...]
    minutes: int


@dataclass(frozen=True)
class PlanningOrder:
    """An open sales order as the planner sees it."""

    order_id: str
    tenant_id: str
    family: str
    due: datetime
    release: datetime
    operations: tuple[RoutingOperation, ...]
    weight: int = 1


def operation_id(order_id: str, sequence: int, part: int = 1) -> str:
    return f"{order_id}/{sequence}/{part}"


def split_operation_id(op_id: str) -> tuple[str, int]:
    """The order and routing step of an operation id (any sub-lot part)."""
    order_id, sequence, _part = op_id.split("/")
    return order_id, int(sequence)


def longest_stretch(center: WorkCenter) -> int:
    """The longest uninterrupted working time of a machine of ``center``, in minutes."""
    length = int(center.hours_per_day * 60)
    return length if length < DAY else 10**9  # always on: no shift end to fit into


def sub_lots(minutes: int, centers: Sequence[WorkCenter]) -> list[int]:
    """Split a step that no eligible machine can run in one stretch into consecutive
    sub-lots that fit (operations are never interrupted by a shift end)."""
    fit = max((longest_stretch(c) for c in centers), default=minutes)
    parts = max(1, math.ceil(minutes / fit))
    base, extra = divmod(minutes, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def machine_ids(center: WorkCenter) -> list[str]:
    return [f"{center.code}-{i + 1}" for i in range(center.machines)]


def work_center_of(machine_id: str) -> str:
    return machine_id.rpartition("-")[0]


def minute(origin: datetime, moment: datetime) -> int:
    return max(0, math.ceil((moment - origin).total_seconds() / 60))


def day_start(moment: datetime) -> datetime:
    """Midnight of ``moment``'s day: schedules count minutes from a day start, so shifts
    fall on the same minutes every day."""
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def at(origin: datetime, minutes: int) -> datetime:
    return origin + timedelta(minutes=minutes)


def shifts(center: WorkCenter, days: int) -> tuple[Window, ...] | None:
    """One stretch a day from 06:00 for ``hours_per_day`` hours; None when always on."""
    length = int(center.hours_per_day * 60)
    if length >= DAY:
        return None
    return tuple(
        Window(d * DAY + SHIFT_START_MINUTE, d * DAY + SHIFT_START_MINUTE + length)
        for d in range(days)
    )


def windows(origin: datetime, spans: Sequence[tuple[datetime, datetime]]) -> tuple[Window, ...]:
    """Downtime as minute windows; the part before the origin is already over."""
    out = []
    for start, end in spans:
        first, last = minute(origin, start), minute(origin, end)
        if last > first:
            out.append(Window(first, last))
    return tuple(out)


def horizon_days(orders: Sequence[PlanningOrder], centers: Mapping[str, WorkCenter]) -> int:
    """Enough days for the load at the busiest work center and for the longest order run
    end to end on the shortest shifts, twice over, plus a week."""
    load: dict[str, float] = {}
    for order in orders:
        for op in order.operations:
            for wc in op.work_centers:
                load[wc] = load.get(wc, 0.0) + op.minutes / len(op.work_centers)
    days = [
        minutes / (centers[wc].machines * centers[wc].hours_per_day * 60)
        for wc, minutes in load.items()
        if wc in centers
    ]
    shortest_day = min((min(c.hours_per_day * 60, DAY) for c in centers.values()), default=DAY)
    chains = [sum(op.minutes for op in order.operations) / shortest_day for order in orders]
    work = max(14, 2 * math.ceil(max([*days, *chains], default=0.0)) + 7)
    return work + _latest_release_day(orders)


def _latest_release_day(orders: Sequence[PlanningOrder]) -> int:
    """Days from the earliest to the latest release (an order waiting for material)."""
    releases = [order.release for order in orders]
    return (max(releases) - min(releases)).days + 1 if releases else 0


def build_problem(
    orders: Sequence[PlanningOrder],
    centers: Mapping[str, WorkCenter],
    *,
    origin: datetime,
    downtime: Mapping[str, Sequence[tuple[datetime, datetime]]] | None = None,
    now: datetime | None = None,
) -> ProblemData:
    """The scheduling problem of ``orders``, in minutes from ``origin`` (a day start, which
    lies before ``now`` when operations of the plan in force started earlier)."""
    past = math.ceil((now - origin).total_seconds() / DAY / 60) if now else 0
    days = horizon_days(orders, centers) + past
    down = downtime or {}
    machines = tuple(
        Machine(
            id=machine_id,
            shifts=shifts(center, days),
            downtime=windows(origin, down.get(machine_id, ())),
        )
        for center in centers.values()
        for machine_id in machine_ids(center)
    )
    work_orders = tuple(_work_order(order, centers, origin) for order in orders)
    return ProblemData(machines=machines, orders=work_orders)


def _work_order(
    order: PlanningOrder, centers: Mapping[str, WorkCenter], origin: datetime
) -> WorkOrder:
    operations = []
    for op in order.operations:
        eligible = [centers[wc] for wc in op.work_centers if wc in centers]
        for part, minutes in enumerate(sub_lots(max(1, op.minutes), eligible), start=1):
            modes = tuple(Mode(m, minutes) for c in eligible for m in machine_ids(c))
            operations.append(
                Operation(
                    id=operation_id(order.order_id, op.sequence, part),
                    modes=modes,
                    family=order.family,
                )
            )
    return WorkOrder(
        id=order.order_id,
        operations=tuple(operations),
        release=minute(origin, order.release),
        due=minute(origin, order.due),
        weight=order.weight,
    )
