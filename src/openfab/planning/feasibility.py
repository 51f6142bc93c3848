"""Reasons a well-formed problem cannot be scheduled, found before any search.

Each check names the offending work order and operation, so the planner can fix the data
instead of reading a solver status. What these checks cannot see (capacity that runs out
only when operations compete) is left to the search, which reports it the same way.
"""

from __future__ import annotations

import dataclasses

from openfab.errors import Infeasible, ProblemCollector
from openfab.planning.compiled import FOREVER, Compiled, compile_problem, earliest_fit
from openfab.planning.model import ProblemData


def prepare(problem: ProblemData) -> Compiled:
    """Compile ``problem``, check it can be scheduled, and add its topological order and tails."""
    c = compile_problem(problem)
    c.topo = check_feasible(c)
    c.tails = tails(c)
    c.machines_of = [frozenset(m for m, _ in modes) for modes in c.modes]
    return c


def tails(c: Compiled) -> list[int]:
    """Longest path of minimum durations from each operation's start to the end."""
    tail = [0] * c.num_ops
    for i in reversed(c.topo):
        own = min(d for _, d in c.modes[i])
        tail[i] = own + max((tail[s] for s in c.succs[i]), default=0)
    return tail


def check_feasible(c: Compiled) -> list[int]:
    """Raise ``Infeasible`` naming every impossible operation; return a topological order.

    Also drops the modes whose machine has no availability window long enough (they could
    never be chosen), so the search does not waste effort on them.
    """
    errors = ProblemCollector()
    for i, modes in enumerate(c.modes):
        if not modes:
            errors.add(c.label(i), "no machine can do this operation (no eligible machine)")
    errors.raise_if_any("the problem has no feasible schedule", Infeasible)
    order = topological_order(c)
    if order is None:
        cycle = find_cycle(c)
        names = " -> ".join(c.label(i) for i in cycle)
        errors.add(c.label(cycle[0]), f"precedence cycle: {names}", "cycle")
        errors.raise_if_any("the problem has no feasible schedule", Infeasible)
        return []
    _prune_modes(c, errors)
    errors.raise_if_any("the problem has no feasible schedule", Infeasible)
    _check_heads(c, order, errors)
    errors.raise_if_any("the problem has no feasible schedule", Infeasible)
    return order


def unplaceable(problem: ProblemData) -> dict[str, str]:
    """Orders with an operation no machine can ever take — none eligible, or no window on
    any of them long enough after its release — each with the first such operation's
    reason. A plant's re-plan leaves these out and schedules the rest: one order of a size
    no shift can hold must not stop every other order from being planned."""
    c = compile_problem(problem)
    eligible = [bool(modes) for modes in c.modes]
    errors = ProblemCollector()
    _prune_modes(c, errors)
    reasons = {p.loc: p.msg for p in errors.problems}
    out: dict[str, str] = {}
    for i, modes in enumerate(c.modes):
        if not modes:
            label = c.label(i)
            why = reasons[label] if eligible[i] else "no machine can do this operation"
            out.setdefault(problem.orders[c.op_order[i]].id, f"{label}: {why}")
    return out


def without(problem: ProblemData, orders: set[str]) -> ProblemData:
    """``problem`` less ``orders`` and the precedences that name their operations."""
    gone = {op.id for o in problem.orders if o.id in orders for op in o.operations}
    return dataclasses.replace(
        problem,
        orders=tuple(o for o in problem.orders if o.id not in orders),
        precedences=tuple(
            p for p in problem.precedences if p.before not in gone and p.after not in gone
        ),
    )


def topological_order(c: Compiled) -> list[int] | None:
    """Kahn's order of the precedence graph, or None when it has a cycle."""
    indegree = [len(p) for p in c.preds]
    ready = [i for i, d in enumerate(indegree) if d == 0]
    order: list[int] = []
    while ready:
        i = ready.pop()
        order.append(i)
        for s in c.succs[i]:
            indegree[s] -= 1
            if indegree[s] == 0:
                ready.append(s)
    return order if len(order) == c.num_ops else None


def find_cycle(c: Compiled) -> list[int]:
    """One precedence cycle as a list of operations (iterative DFS, no recursion limit)."""
    color = [0] * c.num_ops
    parent = [-1] * c.num_ops
    for root in range(c.num_ops):
        if color[root]:
            continue
        stack = [(root, 0)]
        color[root] = 1
        while stack:
            node, k = stack[-1]
            if k < len(c.succs[node]):
                stack[-1] = (node, k + 1)
                nxt = c.succs[node][k]
                if color[nxt] == 1:
                    return _unwind(parent, node, nxt)
                if color[nxt] == 0:
                    color[nxt], parent[nxt] = 1, node
                    stack.append((nxt, 0))
            else:
                color[node] = 2
                stack.pop()
    return []


def _unwind(parent: list[int], node: int, start: int) -> list[int]:
    cycle = [node]
    while cycle[-1] != start:
        cycle.append(parent[cycle[-1]])
    return [*reversed(cycle), start]


def _prune_modes(c: Compiled, errors: ProblemCollector) -> None:
    for i, modes in enumerate(c.modes):
        fits = [(m, d) for m, d in modes if earliest_fit(c.blocked[m], c.release[i], d) < FOREVER]
        if not fits:
            machines = ", ".join(c.problem.machines[m].id for m, _ in modes)
            errors.add(
                c.label(i),
                f"no availability window on its machines ({machines}) is long enough after its"
                " release; operations are not split across breaks",
                "no_capacity",
            )
        c.modes[i] = fits


def _check_heads(c: Compiled, order: list[int], errors: ProblemCollector) -> None:
    """Earliest possible ends along precedence chains must exist (ignoring competition)."""
    head = [0] * c.num_ops
    for i in order:
        if any(head[p] >= FOREVER for p in c.preds[i]):
            head[i] = FOREVER
            continue
        start = max([c.release[i], *(head[p] for p in c.preds[i])])
        best = min(earliest_fit(c.blocked[m], start, d) + d for m, d in c.modes[i])
        if best >= FOREVER:
            errors.add(c.label(i), "no machine window is left after its predecessors end")
            best = FOREVER
        head[i] = best
