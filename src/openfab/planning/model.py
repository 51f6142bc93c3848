"""The scheduling problem as plain data: machines, work orders, operations, precedences.

Every class checks itself when built, so a solver never sees a malformed problem; problems
that are well-formed but cannot be scheduled (a cycle, no capacity) are found by
:mod:`openfab.planning.feasibility` and raised as ``Infeasible``.

Times are integer minutes from the horizon origin (minute 0). Intervals are half-open:
``Window(480, 960)`` is available from minute 480 up to, not including, minute 960.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from openfab.errors import ProblemCollector

ObjectiveName = Literal["makespan", "tardiness", "mix", "lead-time"]
STANDARD_WEIGHT = 1
EXPRESS_WEIGHT = 10
"""The tardiness (and flow-time) weight of an express (rush) order: late by one minute, it
costs as much as ten standard orders late by one minute each."""


@dataclass(frozen=True)
class Window:
    """A half-open time window ``[start, end)`` in minutes."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start < 0 or self.end <= self.start:
            raise_invalid("window", f"needs 0 <= start < end, got [{self.start}, {self.end})")


@dataclass(frozen=True)
class Machine:
    """A schedulable resource (ISA-95 WorkUnit) with its calendar and changeover matrix.

    ``shifts=None`` means always available; otherwise the machine works only inside the
    listed windows. ``downtime`` (maintenance, breakdowns) is removed from that. An operation
    is never split: it runs inside one uninterrupted stretch of availability.
    ``setup_times[(a, b)]`` is the changeover in minutes from setup family ``a`` to ``b``
    (missing pairs are 0); it is a minimum gap between consecutive operations and may
    overlap a break (changeovers are prepared off-shift). ``initial_family`` is the family
    the machine is set up for at minute 0.
    """

    id: str
    shifts: tuple[Window, ...] | None = None
    downtime: tuple[Window, ...] = ()
    setup_times: Mapping[tuple[str, str], int] = field(default_factory=dict)
    initial_family: str | None = None

    def __post_init__(self) -> None:
        errors = ProblemCollector()
        if not self.id:
            errors.add("machine", "id must not be empty")
        for (a, b), minutes in self.setup_times.items():
            if minutes < 0:
                errors.add(f"machine {self.id}", f"setup {a}->{b} is negative ({minutes})")
        errors.raise_if_any(f"invalid machine {self.id!r}")


@dataclass(frozen=True)
class Mode:
    """One way to run an operation: on ``machine`` for ``duration`` minutes."""

    machine: str
    duration: int

    def __post_init__(self) -> None:
        if self.duration <= 0:
            raise_invalid(f"mode on {self.machine}", f"duration must be > 0, got {self.duration}")


@dataclass(frozen=True)
class Operation:
    """A routing step of a work order (ISA-95 SegmentRequirement).

    ``modes`` lists the eligible machines with their processing times. ``family`` is the
    setup family (colour, material, product family) for changeovers. ``release`` is the
    earliest start of this operation alone, e.g. when its material arrives.
    """

    id: str
    modes: tuple[Mode, ...]
    family: str | None = None
    release: int = 0


@dataclass(frozen=True)
class WorkOrder:
    """A job: operations, by default run in the listed order (a routing).

    ``sequential=False`` leaves the order's operations unordered except for the explicit
    precedences of the problem (a routing that is a DAG). ``weight`` is the priority used by
    the tardiness objective.
    """

    id: str
    operations: tuple[Operation, ...]
    release: int = 0
    due: int | None = None
    weight: int = 1
    sequential: bool = True


@dataclass(frozen=True)
class Precedence:
    """Operation ``after`` starts no earlier than operation ``before`` ends (any orders)."""

    before: str
    after: str


@dataclass(frozen=True)
class Objective:
    """A weighted sum of makespan, total weighted tardiness and total weighted flow time
    (each order's completion after its release: the lead time a make-to-order plant's
    customers wait), with integer weights."""

    makespan: int = 1
    tardiness: int = 0
    flow: int = 0

    def __post_init__(self) -> None:
        weights = (self.makespan, self.tardiness, self.flow)
        if min(weights) < 0 or sum(weights) == 0:
            raise_invalid("objective", "weights must be >= 0 and not all 0")

    @classmethod
    def named(cls, name: ObjectiveName | Objective) -> Objective:
        """``"makespan"``, ``"tardiness"``, ``"mix"`` (1 × makespan + 1 × tardiness) or
        ``"lead-time"`` (promises first: 100 × tardiness + 1 × flow time + 1 × makespan)."""
        if isinstance(name, Objective):
            return name
        weights = {
            "makespan": (1, 0, 0),
            "tardiness": (0, 1, 0),
            "mix": (1, 1, 0),
            "lead-time": (1, 100, 1),
        }
        if name not in weights:
            raise_invalid("objective", f"unknown objective {name!r}")
        return cls(*weights[name])


@dataclass(frozen=True)
class ProblemData:
    """A flexible job shop with calendars, setups, release and due dates."""

    machines: tuple[Machine, ...]
    orders: tuple[WorkOrder, ...]
    precedences: tuple[Precedence, ...] = ()

    def __post_init__(self) -> None:
        errors = ProblemCollector()
        machine_ids = _unique_ids(errors, "machine", [m.id for m in self.machines])
        op_ids = [op.id for order in self.orders for op in order.operations]
        _unique_ids(errors, "work order", [o.id for o in self.orders])
        known_ops = _unique_ids(errors, "operation", op_ids)
        for order in self.orders:
            _check_order(errors, order, machine_ids)
        for p in self.precedences:
            for op_id in (p.before, p.after):
                if op_id not in known_ops:
                    errors.add(f"precedence {p.before}->{p.after}", f"unknown operation {op_id}")
            if p.before == p.after:
                errors.add(
                    f"precedence {p.before}->{p.after}", "an operation cannot precede itself"
                )
        errors.raise_if_any("invalid scheduling problem")

    def operation(self, op_id: str) -> tuple[WorkOrder, Operation]:
        """The work order and operation with this id."""
        for order in self.orders:
            for op in order.operations:
                if op.id == op_id:
                    return order, op
        raise KeyError(op_id)

    @property
    def num_operations(self) -> int:
        return sum(len(o.operations) for o in self.orders)


def raise_invalid(loc: str, msg: str) -> None:
    errors = ProblemCollector()
    errors.add(loc, msg)
    errors.raise_if_any("invalid scheduling problem")


def _unique_ids(errors: ProblemCollector, kind: str, ids: list[str]) -> set[str]:
    seen: set[str] = set()
    for i in ids:
        if not i:
            errors.add(kind, "id must not be empty")
        elif i in seen:
            errors.add(f"{kind} {i}", "duplicate id")
        seen.add(i)
    return seen


def _check_order(errors: ProblemCollector, order: WorkOrder, machine_ids: set[str]) -> None:
    loc = f"work order {order.id}"
    if order.release < 0:
        errors.add(loc, f"release must be >= 0, got {order.release}")
    if order.due is not None and order.due < 0:
        errors.add(loc, f"due date must be >= 0, got {order.due}")
    if order.weight < 0:
        errors.add(loc, f"weight must be >= 0, got {order.weight}")
    for op in order.operations:
        op_loc = f"{loc}, operation {op.id}"
        if op.release < 0:
            errors.add(op_loc, f"release must be >= 0, got {op.release}")
        seen: set[str] = set()
        for mode in op.modes:
            if mode.machine not in machine_ids:
                errors.add(op_loc, f"unknown machine {mode.machine}")
            if mode.machine in seen:
                errors.add(op_loc, f"machine {mode.machine} listed twice")
            seen.add(mode.machine)
