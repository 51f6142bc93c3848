"""The result of scheduling: where and when each operation runs, and why there."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BindingKind = Literal["origin", "release", "precedence", "machine", "calendar", "fixed"]


@dataclass(frozen=True)
class Reason:
    """Why an operation starts when it does: the constraint that keeps it from starting earlier.

    ``kind`` is ``"precedence"`` (waits for ``other``, an operation it follows),
    ``"machine"`` (waits for ``other`` on the same machine, plus ``setup`` minutes of
    changeover), ``"release"`` (its material or order release), ``"calendar"`` (the machine
    is off shift or down), ``"fixed"`` (already started or frozen when rescheduling),
    or ``"origin"`` (nothing holds it back from minute 0). ``slack`` > 0 means
    the operation could start earlier: the optimizer left it there (no binding constraint).
    """

    kind: BindingKind
    other: str | None = None
    setup: int = 0
    slack: int = 0

    def __str__(self) -> str:
        text = {
            "origin": "starts at the horizon origin",
            "release": "waits for its release date",
            "precedence": f"waits for operation {self.other}",
            "machine": f"waits for {self.other} on its machine (setup {self.setup} min)",
            "calendar": "waits for the machine's calendar (shift or downtime)",
            "fixed": "fixed (started or inside the frozen horizon)",
        }[self.kind]
        return text if self.slack == 0 else f"{text}, then {self.slack} min of slack"


@dataclass(frozen=True)
class ScheduledOperation:
    """One operation placed on a machine (ISA-95 SegmentRequirement with a time)."""

    operation: str
    order: str
    machine: str
    start: int
    end: int
    reason: Reason | None = None


@dataclass(frozen=True)
class Schedule:
    """A complete schedule (ISA-95 OperationsSchedule) and how good it is.

    ``objective`` is the value of the objective it was solved for, ``makespan`` and
    ``weighted_tardiness`` are always reported; ``optimal`` is True when the solver proved
    no better schedule exists; ``lower_bound`` is the best proven bound on the objective.
    """

    operations: tuple[ScheduledOperation, ...]
    makespan: int
    weighted_tardiness: int
    objective: int
    lower_bound: int = 0
    optimal: bool = False
    moved: int = 0
    stats: dict[str, float] = field(default_factory=dict)

    def by_operation(self) -> dict[str, ScheduledOperation]:
        return {s.operation: s for s in self.operations}

    def by_machine(self) -> dict[str, list[ScheduledOperation]]:
        """Operations per machine in start order (Gantt rows)."""
        rows: dict[str, list[ScheduledOperation]] = {}
        for s in sorted(self.operations, key=lambda s: (s.start, s.end)):
            rows.setdefault(s.machine, []).append(s)
        return rows

    def by_order(self) -> dict[str, list[ScheduledOperation]]:
        rows: dict[str, list[ScheduledOperation]] = {}
        for s in sorted(self.operations, key=lambda s: (s.start, s.end)):
            rows.setdefault(s.order, []).append(s)
        return rows

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (CLI and API)."""
        return {
            "makespan": self.makespan,
            "weighted_tardiness": self.weighted_tardiness,
            "objective": self.objective,
            "lower_bound": self.lower_bound,
            "optimal": self.optimal,
            "moved": self.moved,
            "operations": [
                {
                    "operation": s.operation,
                    "order": s.order,
                    "machine": s.machine,
                    "start": s.start,
                    "end": s.end,
                    "reason": str(s.reason) if s.reason else None,
                }
                for s in self.operations
            ],
        }
