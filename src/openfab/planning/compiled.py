"""The problem flattened to integer indices, shared by the heuristics, CP-SAT model and LNS.

Operations, machines and setup families become list positions so the inner loops of the
solvers touch only lists of ints. Calendars become per-machine sorted lists of *blocked*
intervals (off-shift and downtime, merged); an operation may run only in the gaps.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from dataclasses import dataclass, field

from openfab.planning.model import Machine, ProblemData, Window

FOREVER = 2**40
"""End of the blocked interval after a machine's last shift."""


@dataclass
class Compiled:
    """Index form of a :class:`ProblemData` (see module docstring)."""

    problem: ProblemData
    op_ids: list[str]
    op_order: list[int]
    modes: list[list[tuple[int, int]]]
    release: list[int]
    preds: list[list[int]]
    succs: list[list[int]]
    family: list[int]
    setup: list[list[list[int]] | None]
    initial_family: list[int]
    blocked: list[list[tuple[int, int]]]
    order_ops: list[list[int]]
    due: list[int | None]
    weight: list[int]
    horizon: int
    topo: list[int] = field(default_factory=list)
    tails: list[int] = field(default_factory=list)
    machines_of: list[frozenset[int]] = field(default_factory=list)

    @property
    def num_ops(self) -> int:
        return len(self.op_ids)

    @property
    def num_machines(self) -> int:
        return len(self.blocked)

    def setup_time(self, machine: int, before: int, after: int) -> int:
        """Changeover on ``machine`` from op ``before`` (-1: initial state) to op ``after``."""
        matrix = self.setup[machine]
        if matrix is None:
            return 0
        a = self.initial_family[machine] if before < 0 else self.family[before]
        b = self.family[after]
        return 0 if a < 0 or b < 0 else matrix[a][b]

    def has_setups(self, machine: int) -> bool:
        return self.setup[machine] is not None

    def label(self, op: int) -> str:
        order = self.problem.orders[self.op_order[op]]
        return f"work order {order.id}, operation {self.op_ids[op]}"


def compile_problem(problem: ProblemData) -> Compiled:
    """Flatten ``problem``; assumes it passed :func:`feasibility.check_feasible`'s checks."""
    machine_index = {m.id: k for k, m in enumerate(problem.machines)}
    families = _families(problem)
    op_ids: list[str] = []
    op_order: list[int] = []
    modes: list[list[tuple[int, int]]] = []
    release: list[int] = []
    family: list[int] = []
    order_ops: list[list[int]] = []
    for j, order in enumerate(problem.orders):
        order_ops.append([])
        for op in order.operations:
            order_ops[j].append(len(op_ids))
            op_ids.append(op.id)
            op_order.append(j)
            modes.append([(machine_index[md.machine], md.duration) for md in op.modes])
            release.append(max(order.release, op.release))
            family.append(families[op.family] if op.family is not None else -1)
    preds = _precedences(problem, op_ids, order_ops)
    succs: list[list[int]] = [[] for _ in op_ids]
    for i, ps in enumerate(preds):
        for p in ps:
            succs[p].append(i)
    setup = [_setup_matrix(m, families) for m in problem.machines]
    init = [
        families.get(m.initial_family, -1) if m.initial_family else -1 for m in problem.machines
    ]
    horizon = _horizon(problem, modes, release, setup)
    blocked = [blocked_intervals(m, horizon) for m in problem.machines]
    return Compiled(
        problem=problem,
        op_ids=op_ids,
        op_order=op_order,
        modes=modes,
        release=release,
        preds=preds,
        succs=succs,
        family=family,
        setup=setup,
        initial_family=init,
        blocked=blocked,
        order_ops=order_ops,
        due=[o.due for o in problem.orders],
        weight=[o.weight for o in problem.orders],
        horizon=horizon,
    )


def blocked_intervals(machine: Machine, horizon: int) -> list[tuple[int, int]]:
    """Sorted, merged intervals in which ``machine`` cannot run an operation."""
    raw: list[tuple[int, int]] = [(w.start, w.end) for w in machine.downtime]
    if machine.shifts is not None:
        raw.extend(_gaps(sorted(machine.shifts, key=lambda w: w.start)))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(raw):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def earliest_fit(blocked: list[tuple[int, int]], t: int, duration: int) -> int:
    """Earliest start >= ``t`` of an unsplit run of ``duration`` outside ``blocked``.

    Returns :data:`FOREVER` or more when no gap is long enough.
    """
    k = bisect_right(blocked, (t, FOREVER + 1))
    if k > 0 and blocked[k - 1][1] > t:
        t = blocked[k - 1][1]
    while k < len(blocked):
        start, end = blocked[k]
        if t + duration <= start:
            return t
        t = max(t, end)
        k += 1
    return t


def _gaps(shifts: list[Window]) -> list[tuple[int, int]]:
    """The complement of ``shifts`` on [0, FOREVER)."""
    gaps: list[tuple[int, int]] = []
    t = 0
    for w in shifts:
        if w.start > t:
            gaps.append((t, w.start))
        t = max(t, w.end)
    gaps.append((t, FOREVER))
    return gaps


def _families(problem: ProblemData) -> dict[str, int]:
    names: dict[str, int] = {}
    for m in problem.machines:
        for a, b in m.setup_times:
            names.setdefault(a, len(names))
            names.setdefault(b, len(names))
        if m.initial_family:
            names.setdefault(m.initial_family, len(names))
    for order in problem.orders:
        for op in order.operations:
            if op.family is not None:
                names.setdefault(op.family, len(names))
    return names


def _setup_matrix(machine: Machine, families: dict[str, int]) -> list[list[int]] | None:
    if not any(v > 0 for v in machine.setup_times.values()):
        return None
    matrix = [[0] * len(families) for _ in families]
    for (a, b), minutes in machine.setup_times.items():
        matrix[families[a]][families[b]] = minutes
    return matrix


def _precedences(
    problem: ProblemData, op_ids: list[str], order_ops: list[list[int]]
) -> list[list[int]]:
    index = {op_id: i for i, op_id in enumerate(op_ids)}
    preds: list[set[int]] = [set() for _ in op_ids]
    for order, ops in zip(problem.orders, order_ops, strict=True):
        if order.sequential:
            for a, b in itertools.pairwise(ops):
                preds[b].add(a)
    for p in problem.precedences:
        preds[index[p.after]].add(index[p.before])
    return [sorted(s) for s in preds]


def _horizon(
    problem: ProblemData,
    modes: list[list[tuple[int, int]]],
    release: list[int],
    setup: list[list[list[int]] | None],
) -> int:
    """A safe upper bound on any operation's end in some optimal (left-shifted) schedule."""
    max_setup = max((max(map(max, s)) for s in setup if s), default=0)
    work = sum(max((d for _, d in ms), default=0) + max_setup for ms in modes)
    finite_blocks = 0
    for m in problem.machines:
        finite_blocks += sum(w.end - w.start for w in m.downtime)
        if m.shifts is not None:
            finite_blocks += max((w.end for w in m.shifts), default=0)
    return max(release, default=0) + work + finite_blocks + 1
