"""The twin's mutable bookkeeping: machines, operations, work orders, units in process."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

import numpy as np
import simpy

from openfab.twin.events import Defect, LotUse
from openfab.twin.layout import MachineInfo, MachineState
from openfab.twin.plan import PlannedOperation, PlannedWorkOrder

if TYPE_CHECKING:
    from openfab.twin.dispatch import Pool


class OpStatus(Enum):
    WAITING = "waiting"  # for its predecessor
    DEFERRED = "deferred"  # predecessor done, but the plan says not before a minute (pools)
    QUEUED = "queued"  # on its machine's queue (or in its pool)
    BLOCKED = "blocked"  # ready but short of material
    RUNNING = "running"
    DONE = "done"


@dataclass
class Unit:
    serial: str
    defects: list[Defect] = field(default_factory=list)
    lots: list[LotUse] = field(default_factory=list)
    machines: list[str] = field(default_factory=list)
    parameters: dict[str, dict[str, float]] = field(default_factory=dict)
    energy_kwh: float = 0.0


@dataclass(eq=False)
class Op:
    plan: PlannedOperation
    order: WorkOrderState
    index: int
    status: OpStatus = OpStatus.WAITING
    version: int = 0
    shortage_reported: bool = False
    blocked_since: float | None = None
    """Minute it was first found short of material (None: never or no longer blocked)."""
    blocked_minutes: float = 0.0
    short_of: str | None = None
    """The material it was last found short of (it waits for that one's arrival)."""
    """Minutes it waited for material, over all its blocked spells that ended."""
    released_at: float | None = None
    """Minute its predecessor finished (or its order arrived): when it could first start."""
    ready_at: float | None = None
    """Minute it may start by the plan's gates (planned start in a timetable, not_before)."""
    pool: Pool | None = None
    """The pool it waits in under pooled dispatch."""


@dataclass(eq=False)
class WorkOrderState:
    plan: PlannedWorkOrder
    ops: list[Op] = field(default_factory=list)
    units: list[Unit] | None = None


@dataclass(eq=False)
class MachineSim:
    """One machine: its state, health, process parameters and queue of operations."""

    info: MachineInfo
    rng: np.random.Generator
    wakeup: simpy.Event
    wear: float = 0.0
    hazard_left: float = 0.0
    random_left: float = 0.0
    state: MachineState = MachineState.IDLE
    idle_reason: str = ""
    code: int = 1
    """Index of ``state`` in ``physics.STATE_CODES`` (for vectorized telemetry)."""
    since: float = 0.0
    period_kwh: float = 0.0
    total_kwh: float = 0.0
    family: str | None = None
    load: float = 1.0
    temperature: float = 24.0
    offsets: dict[str, float] = field(default_factory=dict)
    directions: dict[str, float] = field(default_factory=dict)
    drift_minutes: float = 0.0
    queue: list[tuple[float, int, int, Op]] = field(default_factory=list)
    blocked: list[Op] = field(default_factory=list)
    maintenance: list[tuple[float, float]] = field(default_factory=list)
    wake_times: set[float] = field(default_factory=set)
    failures: int = 0
    maintenances: int = 0
    maintained: list[tuple[float, float]] = field(default_factory=list)
    """Maintenance spells done, [start, end) (what ready operations waited for)."""
    parked: bool = False
    """Idle in its loop, waiting for ``wakeup``."""
    parked_since: float = 0.0
    no_work_since: float | None = None
    """Minute it went Idle with no work (standby power after a while), None otherwise."""
    pools: list[Pool] = field(default_factory=list)
    """The pools it takes work from under pooled dispatch."""
    running_minutes: float = 0.0
    """Minutes run in all (the machine's hour meter)."""
    down_minutes: float = 0.0
    """Minutes broken down, up to its last repair."""
    down_from: float | None = None
    """Minute its present breakdown began (None: not down)."""
    pushes: int = 0

    @property
    def id(self) -> str:
        return self.info.id

    def push(self, op: Op) -> None:
        op.version += 1
        op.status = OpStatus.QUEUED
        self.pushes += 1
        heapq.heappush(self.queue, (op.plan.start, self.pushes, op.version, op))

    def head(self) -> tuple[float, Op] | None:
        """The queued operation planned earliest (stale entries are dropped)."""
        while self.queue:
            start, _, version, op = self.queue[0]
            if version == op.version and op.status is OpStatus.QUEUED:
                return start, op
            heapq.heappop(self.queue)
        return None

    def pop(self) -> None:
        heapq.heappop(self.queue)

    def parameter_values(self) -> dict[str, float]:
        """The parameters as set now: setpoint + random-walk offset + wear-driven offset."""
        return {
            p.name: p.setpoint
            + self.offsets[p.name]
            + self.wear * p.tolerance * self.directions[p.name]
            for p in self.info.work_center.parameters
        }
