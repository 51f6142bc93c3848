"""An index-form solution (start and chosen mode per operation) and its objective value."""

from __future__ import annotations

from dataclasses import dataclass

from openfab.planning.compiled import Compiled
from openfab.planning.model import Objective


@dataclass(frozen=True)
class Solution:
    """Start minute and mode index (into ``Compiled.modes[i]``) of every operation."""

    start: tuple[int, ...]
    mode: tuple[int, ...]

    def end(self, c: Compiled, i: int) -> int:
        return self.start[i] + c.modes[i][self.mode[i]][1]

    def machine(self, c: Compiled, i: int) -> int:
        return c.modes[i][self.mode[i]][0]

    def sequences(self, c: Compiled) -> list[list[int]]:
        """Operations per machine in start order."""
        rows: list[list[int]] = [[] for _ in range(c.num_machines)]
        for i in sorted(range(c.num_ops), key=lambda i: (self.start[i], self.end(c, i))):
            rows[self.machine(c, i)].append(i)
        return rows


@dataclass(frozen=True)
class Score:
    makespan: int
    weighted_tardiness: int
    objective: int
    weighted_flow: int = 0


def evaluate(c: Compiled, sol: Solution, objective: Objective) -> Score:
    """Makespan, total weighted tardiness, total weighted flow time and the weighted
    objective of ``sol``."""
    makespan = max((sol.end(c, i) for i in range(c.num_ops)), default=0)
    tardiness = flow = 0
    for j, ops in enumerate(c.order_ops):
        if not ops:
            continue
        done = max(sol.end(c, i) for i in ops)
        flow += c.weight[j] * (done - order_release(c, j))
        due = c.due[j]
        if due is not None:
            tardiness += c.weight[j] * max(0, done - due)
    value = objective.makespan * makespan + objective.tardiness * tardiness + objective.flow * flow
    return Score(makespan, tardiness, value, flow)


def order_release(c: Compiled, j: int) -> int:
    """When order ``j`` may start: the earliest release of its operations."""
    return min(c.release[i] for i in c.order_ops[j])


def moved_count(c: Compiled, sol: Solution, previous: dict[int, tuple[int, int]]) -> int:
    """Operations whose start or machine differs from ``previous`` (op -> (start, machine))."""
    return sum(
        1
        for i, (start, machine) in previous.items()
        if sol.start[i] != start or sol.machine(c, i) != machine
    )


def is_feasible(
    c: Compiled, sol: Solution, floor: int = 0, pinned: frozenset[int] = frozenset()
) -> bool:
    """Whether ``sol`` keeps every constraint of the compiled problem (a cheap self-check).

    Operations not in ``pinned`` must also start at or after ``floor``.
    """
    for i in range(c.num_ops):
        start = sol.start[i]
        if i not in pinned and start < max(c.release[i], floor):
            return False
        if any(sol.end(c, p) > start for p in c.preds[i]):
            return False
        m, d = c.modes[i][sol.mode[i]]
        if any(s < start + d and start < e for s, e in c.blocked[m]):
            return False
    for m, row in enumerate(sol.sequences(c)):
        previous = -1
        for i in row:
            ready = 0 if previous < 0 else sol.end(c, previous)
            if sol.start[i] < ready + c.setup_time(m, previous, i):
                return False
            previous = i
    return True
