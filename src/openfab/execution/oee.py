"""Overall equipment effectiveness, a pure engine: state intervals and counts in, OEE out.

OEE = availability × performance × quality (ISO 22400 style):

- *planned busy time* is the time the machine was Running, in Setup, Down or Idle (starved or
  blocked while work was waiting for it); planned Maintenance, Idle with the reason
  ``no work`` (nothing was released to the machine: a demand gap, not a loss) and time with no
  recorded state are left out;
- availability = running time ÷ planned busy time;
- performance = ideal time (ideal cycle time × units produced) ÷ running time, capped at 1 —
  running faster than "ideal" means the ideal cycle time is wrong, not that OEE exceeds 100 %;
- quality = good units ÷ units produced.

A factor with nothing to measure (no planned time, no running time, no units) is 0, never 1,
so a machine that did nothing never looks perfect.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from openfab.execution.states import MachineState

LOSS_STATES = frozenset(
    {MachineState.RUNNING, MachineState.SETUP, MachineState.DOWN, MachineState.IDLE}
)


NO_WORK = "no work"
"""The reason of an Idle state with nothing released to the machine."""
NO_WORK_SECONDS = "Idle (no work)"
"""Where ``MachineOee.seconds`` books Idle time without work."""


@dataclass(frozen=True)
class StateInterval:
    """A machine was in ``state`` from ``start`` to ``end`` (``reason`` as reported)."""

    state: MachineState
    start: datetime
    end: datetime
    reason: str = ""

    @property
    def bucket(self) -> str:
        """The ``seconds`` key this interval counts under."""
        if self.state == MachineState.IDLE and self.reason == NO_WORK:
            return NO_WORK_SECONDS
        return self.state.value

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"interval ends ({self.end}) before it starts ({self.start})")


@dataclass(frozen=True)
class ProductionCount:
    """Units of one kind made in the window, and the ideal seconds each should take."""

    ideal_cycle_seconds: float
    total: int
    good: int

    def __post_init__(self) -> None:
        if self.ideal_cycle_seconds < 0:
            raise ValueError("ideal cycle time must not be negative")
        if not 0 <= self.good <= self.total:
            raise ValueError(f"good count {self.good} must lie in 0..{self.total}")


@dataclass(frozen=True)
class OeeInput:
    machine: str
    start: datetime
    end: datetime
    intervals: tuple[StateInterval, ...] = ()
    counts: tuple[ProductionCount, ...] = ()

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("the OEE window must end after it starts")


@dataclass(frozen=True)
class MachineOee:
    """OEE of one machine (or the plant) over a window, with the seconds behind each factor."""

    machine: str
    start: datetime
    end: datetime
    seconds: dict[str, float] = field(default_factory=dict)  # per machine state, clipped
    planned_seconds: float = 0.0
    running_seconds: float = 0.0
    ideal_seconds: float = 0.0
    total_count: int = 0
    good_count: int = 0

    @property
    def availability(self) -> float:
        return _ratio(self.running_seconds, self.planned_seconds)

    @property
    def performance(self) -> float:
        return min(1.0, _ratio(self.ideal_seconds, self.running_seconds))

    @property
    def quality(self) -> float:
        return _ratio(self.good_count, self.total_count)

    @property
    def oee(self) -> float:
        return self.availability * self.performance * self.quality


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0


def _clipped(interval: StateInterval, start: datetime, end: datetime) -> float:
    first, last = max(interval.start, start), min(interval.end, end)
    return max(0.0, (last - first).total_seconds())


def compute_oee(data: OeeInput) -> MachineOee:
    """OEE of one machine over ``[start, end)``."""
    seconds = {state.value: 0.0 for state in MachineState} | {NO_WORK_SECONDS: 0.0}
    for interval in data.intervals:
        seconds[interval.bucket] += _clipped(interval, data.start, data.end)
    planned = sum(seconds[s.value] for s in LOSS_STATES)
    return MachineOee(
        machine=data.machine,
        start=data.start,
        end=data.end,
        seconds=seconds,
        planned_seconds=planned,
        running_seconds=seconds[MachineState.RUNNING.value],
        ideal_seconds=sum(c.ideal_cycle_seconds * c.total for c in data.counts),
        total_count=sum(c.total for c in data.counts),
        good_count=sum(c.good for c in data.counts),
    )


def combine(results: Iterable[MachineOee], *, name: str = "plant") -> MachineOee:
    """Several machines as one: sums of times and counts, so busy machines weigh more."""
    items = list(results)
    if not items:
        raise ValueError("nothing to combine")
    seconds = {state.value: 0.0 for state in MachineState} | {NO_WORK_SECONDS: 0.0}
    for item in items:
        for state, value in item.seconds.items():
            seconds[state] = seconds.get(state, 0.0) + value
    return MachineOee(
        machine=name,
        start=min(i.start for i in items),
        end=max(i.end for i in items),
        seconds=seconds,
        planned_seconds=sum(i.planned_seconds for i in items),
        running_seconds=sum(i.running_seconds for i in items),
        ideal_seconds=sum(i.ideal_seconds for i in items),
        total_count=sum(i.total_count for i in items),
        good_count=sum(i.good_count for i in items),
    )


def intervals_from_changes(
    changes: Sequence[tuple[datetime, MachineState] | tuple[datetime, MachineState, str]],
    start: datetime,
    end: datetime,
) -> tuple[StateInterval, ...]:
    """State-change points (any order, as a bus may deliver them) → intervals in the window.

    A state holds until the next change; the state at ``start`` is the last change before it;
    the last state holds until ``end`` (pass ``min(end, now)`` for a window reaching into the
    future). Before the first change nothing is known, so nothing is counted.
    """
    ordered = sorted(changes, key=lambda c: c[0])
    out: list[StateInterval] = []
    for index, (at, state, *reason) in enumerate(ordered):
        until = ordered[index + 1][0] if index + 1 < len(ordered) else end
        first, last = max(at, start), min(until, end)
        if last > first:
            out.append(StateInterval(state, first, last, reason[0] if reason else ""))
    return tuple(out)


def busy_intervals(
    spans: Iterable[tuple[datetime, datetime]],
) -> tuple[StateInterval, ...]:
    """Operation run times as Running intervals (overlaps merged), for a machine that
    reports no states of its own."""
    merged: list[list[datetime]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return tuple(StateInterval(MachineState.RUNNING, a, b) for a, b in merged)
