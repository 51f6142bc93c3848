"""Dispatching rules: fast, always-feasible schedules that warm-start the CP-SAT search.

A serial schedule generator places one ready operation at a time on the mode that finishes
it earliest (counting the changeover and the machine calendar). Which ready operation goes
next is the rule's choice, restricted Giffler-Thompson style to the operations that could
start before the earliest possible finish, so the result is an active schedule. Pinned
operations (already started or frozen when rescheduling) are placed first and block their
machine, padded by the largest changeover so no setup is ever violated next to them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from openfab.planning.compiled import FOREVER, Compiled, earliest_fit
from openfab.planning.model import Objective
from openfab.planning.solution import Solution, evaluate

Option = tuple[int, int, int, int]
"""(finish, start, mode, setup) of an operation's best placement."""

RULES = ("mwkr", "spt", "edd", "slack", "mor", "lpt", "setup")
"""Most work remaining, shortest processing time, earliest due date, least slack,
most operations remaining, longest processing time, least changeover (then most work)."""


@dataclass(frozen=True)
class Pin:
    """An operation that must stay at ``start`` in mode ``mode``."""

    start: int
    mode: int


@dataclass
class _State:
    free_at: list[int]
    last: list[int]
    blocked: list[list[tuple[int, int]]]
    start: list[int]
    mode: list[int]


def best_dispatch(
    c: Compiled,
    objective: Objective,
    *,
    rules: Sequence[str] = RULES,
    pins: dict[int, Pin] | None = None,
    floor: int = 0,
    ranks: Sequence[float] | None = None,
    deadline: float | None = None,
) -> tuple[Solution, str]:
    """The best schedule over ``rules`` × (active, non-delay), and the winning rule's name.

    The rule ``"previous"`` dispatches by ``ranks`` (e.g. the start times of the schedule
    being repaired), which keeps a repaired schedule close to the old one.
    """
    tail = c.tails
    best: tuple[int, Solution, str] | None = None
    for rule in rules:
        for delay in (True, False):
            sol = dispatch(c, rule, tail, pins=pins or {}, floor=floor, active=delay, ranks=ranks)
            value = evaluate(c, sol, objective).objective
            if best is None or value < best[0]:
                best = (value, sol, f"{rule}-{'active' if delay else 'nondelay'}")
            if deadline is not None and time.monotonic() > deadline:
                return best[1], best[2]
    assert best is not None
    return best[1], best[2]


def dispatch(
    c: Compiled,
    rule: str,
    tail: list[int],
    *,
    pins: dict[int, Pin],
    floor: int = 0,
    active: bool = True,
    ranks: Sequence[float] | None = None,
) -> Solution:
    """One schedule built with ``rule`` (see :data:`RULES`, and ``"previous"`` with ``ranks``)."""
    state = _initial_state(c, pins)
    priority = _priority(c, rule, tail, ranks)
    ready_at = [max(c.release[i], floor) for i in range(c.num_ops)]
    waiting = [len(p) for p in c.preds]
    ready: list[int] = []

    def release(i: int) -> None:
        end = state.start[i] + c.modes[i][state.mode[i]][1]
        for s in c.succs[i]:
            ready_at[s] = max(ready_at[s], end)
            waiting[s] -= 1
            if waiting[s] == 0 and s not in pins:
                ready.append(s)

    ready.extend(i for i in range(c.num_ops) if waiting[i] == 0 and i not in pins)
    for i in pins:
        release(i)
    options: dict[int, Option] = {}
    holders: list[set[int]] = [set() for _ in range(c.num_machines)]  # ops whose option uses m
    modes = _ModeCache(c, state)
    while ready:
        for i in ready:
            if i not in options:
                options[i] = option = modes.best(i, ready_at[i])
                holders[c.modes[i][option[2]][0]].add(i)
        finish = min(options.values())
        limit = finish[0] if active else min(o[1] for o in options.values()) + 1
        pick = min(
            (i for i in ready if options[i][1] < limit), key=lambda i: priority(i, options[i])
        )
        _, start, mode, _ = options.pop(pick)
        _place(c, state, pick, start, mode)
        ready.remove(pick)
        release(pick)
        machine = c.modes[pick][mode][0]
        modes.changed(machine)
        for i in holders[machine]:
            options.pop(i, None)  # its chosen machine got busier: recompute
        holders[machine].clear()
    return Solution(tuple(state.start), tuple(state.mode))


def _initial_state(c: Compiled, pins: dict[int, Pin]) -> _State:
    blocked = [list(b) for b in c.blocked]
    start, mode = [0] * c.num_ops, [0] * c.num_ops
    for i, pin in pins.items():
        start[i], mode[i] = pin.start, pin.mode
        m, d = c.modes[i][pin.mode]
        pad = _max_setup(c, m)
        blocked[m].append((max(0, pin.start - pad), pin.start + d + pad))
    for m, rows in enumerate(blocked):
        rows.sort()
        blocked[m] = _merge(rows)
    return _State([0] * c.num_machines, [-1] * c.num_machines, blocked, start, mode)


class _ModeCache:
    """Each ready operation's placement per mode (appended to the machine's work), redone
    only for machines something was placed on since: the plant's operations have up to
    twenty machines to choose from, and most placements leave most of them as they were."""

    def __init__(self, c: Compiled, state: _State) -> None:
        self.c, self.state = c, state
        self.version = [0] * c.num_machines
        self.options: dict[int, list[Option]] = {}
        self.seen: dict[int, list[int]] = {}

    def changed(self, machine: int) -> None:
        self.version[machine] += 1

    def best(self, i: int, ready_at: int) -> Option:
        """(finish, start, mode, setup) of the earliest-finishing mode (then earliest start,
        then lowest mode index)."""
        c, state, version = self.c, self.state, self.version
        modes = c.modes[i]
        options, seen = self.options.get(i), self.seen.get(i)
        if options is None or seen is None:
            options = self.options[i] = [(0, 0, 0, 0)] * len(modes)
            seen = self.seen[i] = [-1] * len(modes)
        for k, (m, d) in enumerate(modes):
            if seen[k] == version[m]:
                continue
            setup = c.setup_time(m, state.last[m], i)
            start = earliest_fit(state.blocked[m], max(ready_at, state.free_at[m] + setup), d)
            options[k], seen[k] = (start + d, start, k, setup), version[m]
        return min(options)


def _place(c: Compiled, state: _State, i: int, start: int, mode: int) -> None:
    m, d = c.modes[i][mode]
    state.start[i], state.mode[i] = start, mode
    state.free_at[m], state.last[m] = start + d, i


def _priority(
    c: Compiled, rule: str, tail: list[int], ranks: Sequence[float] | None = None
) -> Callable[[int, Option], tuple[float, ...]]:
    """A sort key (smallest first) for ``rule``; ties go to the lower index."""
    remaining_ops = _ops_remaining(c)
    due = [
        float(d) if (d := c.due[c.op_order[i]]) is not None else FOREVER for i in range(c.num_ops)
    ]
    min_d = [min(d for _, d in modes) for modes in c.modes]
    keys: dict[str, Callable[[int], float]] = {
        "mwkr": lambda i: -tail[i],
        "spt": lambda i: min_d[i],
        "lpt": lambda i: -min_d[i],
        "mor": lambda i: -remaining_ops[i],
        "edd": lambda i: due[i],
        "slack": lambda i: due[i] - tail[i],
        "setup": lambda i: -tail[i],
        "previous": lambda i: ranks[i] if ranks is not None else 0.0,
    }
    key = keys[rule]
    weight = [c.weight[c.op_order[i]] or 1 for i in range(c.num_ops)]
    if rule == "setup":
        return lambda i, option: (option[3], key(i), i)
    if rule == "previous":
        return lambda i, _option: (key(i), -tail[i], i)
    return lambda i, _option: (key(i) / weight[i], -tail[i], i)


def _ops_remaining(c: Compiled) -> list[int]:
    count = [0] * c.num_ops
    for ops in c.order_ops:
        for k, i in enumerate(ops):
            count[i] = len(ops) - k
    return count


def _max_setup(c: Compiled, machine: int) -> int:
    matrix = c.setup[machine]
    return max(map(max, matrix)) if matrix else 0


def _merge(rows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in rows:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
