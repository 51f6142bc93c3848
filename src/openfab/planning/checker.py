"""An independent schedule checker: reads only the problem data and the schedule.

It shares no code with the solver (no compiled form, no calendar helpers) so a bug in the
solver's view of the problem cannot hide itself. Every rule is checked literally from the
definitions in :mod:`openfab.planning.model`.
"""

from __future__ import annotations

import itertools

from openfab.planning.model import Machine, Operation, ProblemData, WorkOrder
from openfab.planning.schedule import Schedule, ScheduledOperation


def violations(problem: ProblemData, schedule: Schedule) -> list[str]:
    """Every rule the schedule breaks, as readable sentences (empty when valid)."""
    found: list[str] = []
    placed = _placements(schedule, found)
    ops: dict[str, tuple[WorkOrder, Operation]] = {
        op.id: (order, op) for order in problem.orders for op in order.operations
    }
    for op_id in ops.keys() - placed.keys():
        found.append(f"operation {op_id} is not scheduled")
    for op_id in placed.keys() - ops.keys():
        found.append(f"operation {op_id} is not in the problem")
    machines = {m.id: m for m in problem.machines}
    for op_id, s in placed.items():
        if op_id in ops:
            found.extend(_check_operation(ops[op_id], s, machines))
    found.extend(_check_precedences(problem, placed))
    for machine in problem.machines:
        row = sorted((s for s in placed.values() if s.machine == machine.id), key=lambda s: s.start)
        found.extend(_check_machine(machine, row, ops))
    return found


def assert_valid(problem: ProblemData, schedule: Schedule) -> None:
    """Raise ``AssertionError`` listing every violation."""
    found = violations(problem, schedule)
    assert not found, "invalid schedule:\n" + "\n".join(found)


def _placements(schedule: Schedule, found: list[str]) -> dict[str, ScheduledOperation]:
    placed: dict[str, ScheduledOperation] = {}
    for s in schedule.operations:
        if s.operation in placed:
            found.append(f"operation {s.operation} is scheduled twice")
        placed[s.operation] = s
    return placed


def _check_operation(
    entry: tuple[WorkOrder, Operation], s: ScheduledOperation, machines: dict[str, Machine]
) -> list[str]:
    order, op = entry
    found = []
    durations = {m.machine: m.duration for m in op.modes}
    if s.machine not in durations:
        found.append(f"{op.id} runs on {s.machine}, which is not eligible")
    elif s.end - s.start != durations[s.machine]:
        found.append(f"{op.id} lasts {s.end - s.start}, not {durations[s.machine]} on {s.machine}")
    if s.order != order.id:
        found.append(f"{op.id} is reported under order {s.order}, not {order.id}")
    if s.start < max(order.release, op.release):
        found.append(f"{op.id} starts at {s.start}, before its release")
    machine = machines.get(s.machine)
    if machine is not None:
        found.extend(_check_calendar(machine, s))
    return found


def _check_calendar(machine: Machine, s: ScheduledOperation) -> list[str]:
    found = []
    if machine.shifts is not None and not any(
        start <= s.start and s.end <= end for start, end in _stretches(machine)
    ):
        found.append(f"{s.operation} [{s.start}, {s.end}) is not inside one shift of {machine.id}")
    for w in machine.downtime:
        if s.start < w.end and w.start < s.end:
            found.append(f"{s.operation} overlaps downtime [{w.start}, {w.end}) of {machine.id}")
    return found


def _stretches(machine: Machine) -> list[tuple[int, int]]:
    """Shift windows joined where they touch or overlap: uninterrupted availability."""
    joined: list[tuple[int, int]] = []
    for w in sorted(machine.shifts or (), key=lambda w: w.start):
        if joined and w.start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], w.end))
        else:
            joined.append((w.start, w.end))
    return joined


def _check_precedences(problem: ProblemData, placed: dict[str, ScheduledOperation]) -> list[str]:
    pairs = [(p.before, p.after) for p in problem.precedences]
    for order in problem.orders:
        if order.sequential:
            ops = order.operations
            pairs += [(a.id, b.id) for a, b in itertools.pairwise(ops)]
    found = []
    for before, after in pairs:
        a, b = placed.get(before), placed.get(after)
        if a is not None and b is not None and b.start < a.end:
            found.append(f"{after} starts at {b.start} before {before} ends at {a.end}")
    return found


def _check_machine(
    machine: Machine,
    row: list[ScheduledOperation],
    ops: dict[str, tuple[WorkOrder, Operation]],
) -> list[str]:
    found = []
    family = machine.initial_family
    previous_end = 0
    for k, s in enumerate(row):
        op_family = ops[s.operation][1].family if s.operation in ops else None
        setup = 0
        if family is not None and op_family is not None:
            setup = machine.setup_times.get((family, op_family), 0)
        if k > 0 and s.start < row[k - 1].end:
            found.append(f"{s.operation} overlaps {row[k - 1].operation} on {machine.id}")
        elif s.start < previous_end + setup:
            found.append(f"{s.operation} starts before the {setup}-minute setup on {machine.id}")
        family, previous_end = op_family, s.end
    return found
