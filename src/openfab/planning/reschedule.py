"""Repair a schedule after shop-floor events, keeping what has started and what is frozen.

The repair is the same search as :func:`solve` with three additions:

- *history is fixed*: operations that finished, or are running at ``now``, keep their machine
  and times (a running operation that a new breakdown interrupts restarts from scratch
  after ``now``, on any eligible machine);
- *a frozen horizon*: operations planned to start before ``now + frozen`` stay where they
  are when they still fit (their machine is up, their material is there, and everything
  before them stays too);
- *stability*: every other operation that moves (new start or machine) costs ``stability``
  objective units, so operations move only when it pays. The warm start is the better of
  a minimal-move repair (:mod:`openfab.planning.repair`) and a re-dispatch in old start order.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from openfab.errors import InvalidInput, Problem
from openfab.planning import cpsat
from openfab.planning.compiled import Compiled
from openfab.planning.dispatch import Pin
from openfab.planning.feasibility import prepare
from openfab.planning.model import (
    Machine,
    Objective,
    ObjectiveName,
    Precedence,
    ProblemData,
    Window,
    WorkOrder,
)
from openfab.planning.repair import repair
from openfab.planning.schedule import Schedule
from openfab.planning.solver import Budget, optimise, reserve


@dataclass(frozen=True)
class MachineDown:
    """``machine`` is unavailable in ``[start, end)`` (breakdown or unplanned maintenance)."""

    machine: str
    start: int
    end: int


@dataclass(frozen=True)
class OrderAdded:
    """A new (rush) work order, with any precedences that link it to other operations."""

    order: WorkOrder
    precedences: tuple[Precedence, ...] = ()


@dataclass(frozen=True)
class OrderCancelled:
    order: str


@dataclass(frozen=True)
class MaterialLate:
    """Material arrives at ``release``: for one ``operation``, or the whole ``order``."""

    order: str
    release: int
    operation: str | None = None


Event = MachineDown | OrderAdded | OrderCancelled | MaterialLate


def apply_events(problem: ProblemData, events: Sequence[Event]) -> ProblemData:
    """The problem after ``events``; raises ``InvalidInput`` for an unknown machine or order."""
    for event in events:
        problem = _apply(problem, event)
    return problem


def reschedule(
    problem: ProblemData,
    previous: Schedule,
    events: Sequence[Event] = (),
    *,
    now: int,
    frozen: int = 0,
    stability: int = 1,
    time_limit: float = 2.0,
    seed: int = 0,
    objective: ObjectiveName | Objective = "makespan",
    workers: int = 2,
    work_limit: float | None = None,
    patience: float | None = None,
) -> Schedule:
    """A repaired schedule for ``problem`` after ``events`` (see module docstring).

    ``previous`` is the schedule in force; ``now`` the current minute. The returned
    schedule's ``moved`` counts operations whose start or machine changed. ``patience``
    (seconds) ends the search early once it stops finding better schedules.
    """
    deadline = time.monotonic() + time_limit - reserve(time_limit)
    budget = Budget(deadline, work_limit, seed, workers, patience)
    c = prepare(apply_events(problem, events))
    _forget_past_blocks(c, now)
    old = _previous_placement(c, previous)
    pins = _pins(c, old, now, frozen)
    kept = {i: (start, c.modes[i][k][0]) for i, (start, k) in old.items() if i not in pins}
    spec = cpsat.Spec(
        objective=Objective.named(objective),
        pins=pins,
        floor=now,
        previous=kept,
        stability=stability,
    )
    ranks = [float(old[i][0]) if i in old else float(c.release[i]) for i in range(c.num_ops)]
    starts = [repair(c, old, pins, now)]
    return optimise(c, spec, budget, rules=("previous", "mwkr"), ranks=ranks, starts=starts)


def _apply(problem: ProblemData, event: Event) -> ProblemData:
    if isinstance(event, MachineDown):
        _known_machine(problem, event.machine)
        machines = tuple(
            replace(m, downtime=(*m.downtime, Window(event.start, event.end)))
            if m.id == event.machine
            else m
            for m in problem.machines
        )
        return replace(problem, machines=machines)
    if isinstance(event, OrderAdded):
        return ProblemData(
            problem.machines,
            (*problem.orders, event.order),
            (*problem.precedences, *event.precedences),
        )
    if isinstance(event, OrderCancelled):
        order = _known_order(problem, event.order)
        gone = {op.id for op in order.operations}
        return ProblemData(
            problem.machines,
            tuple(o for o in problem.orders if o.id != event.order),
            tuple(p for p in problem.precedences if p.before not in gone and p.after not in gone),
        )
    return replace(problem, orders=tuple(_late(o, event) for o in problem.orders))


def _late(order: WorkOrder, event: MaterialLate) -> WorkOrder:
    if order.id != event.order:
        return order
    if event.operation is None:
        return replace(order, release=max(order.release, event.release))
    if all(op.id != event.operation for op in order.operations):
        raise InvalidInput(
            "unknown operation",
            [Problem(f"work order {order.id}", f"no operation {event.operation}")],
        )
    ops = tuple(
        replace(op, release=max(op.release, event.release)) if op.id == event.operation else op
        for op in order.operations
    )
    return replace(order, operations=ops)


def _known_machine(problem: ProblemData, machine: str) -> Machine:
    for m in problem.machines:
        if m.id == machine:
            return m
    raise InvalidInput("unknown machine", [Problem(f"machine {machine}", "not in the problem")])


def _known_order(problem: ProblemData, order: str) -> WorkOrder:
    for o in problem.orders:
        if o.id == order:
            return o
    raise InvalidInput("unknown work order", [Problem(f"work order {order}", "not in the problem")])


def _forget_past_blocks(c: Compiled, now: int) -> None:
    """Calendar blocks before ``now`` no longer matter: the past already happened."""
    c.blocked = [[(max(s, now), e) for s, e in rows if e > now] for rows in c.blocked]


def _previous_placement(c: Compiled, previous: Schedule) -> dict[int, tuple[int, int]]:
    """op index -> (start, mode index) for operations of ``previous`` that still exist."""
    index = {op_id: i for i, op_id in enumerate(c.op_ids)}
    machines = [m.id for m in c.problem.machines]
    placed: dict[int, tuple[int, int]] = {}
    for s in previous.operations:
        i = index.get(s.operation)
        if i is None:
            continue
        for k, (m, _) in enumerate(c.modes[i]):
            if machines[m] == s.machine:
                placed[i] = (s.start, k)
    return placed


def _pins(c: Compiled, old: dict[int, tuple[int, int]], now: int, frozen: int) -> dict[int, Pin]:
    """History and the still-valid frozen horizon, closed under predecessors."""
    pins: dict[int, Pin] = {}
    for i in c.topo:
        if i not in old:
            continue
        start, k = old[i]
        m, d = c.modes[i][k]
        done = start + d <= now
        if done:
            pins[i] = Pin(start, k)
            continue
        preds_stay = all(p in pins for p in c.preds[i])
        clear = all(e <= max(start, now) or s >= start + d for s, e in c.blocked[m])
        running = start < now
        frozen_ok = now <= start < now + frozen and start >= c.release[i]
        if clear and preds_stay and (running or frozen_ok):
            pins[i] = Pin(start, k)
    return pins
