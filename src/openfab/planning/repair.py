"""A minimal-move repair of an old schedule: the warm start of rescheduling.

Operations are placed again in their old start order (new ones by release date). Each one
keeps its old start and machine when that is still possible; otherwise it takes the
earliest-finishing slot at or after its old start on any eligible machine, and may fill a
gap left earlier on the machine. Operations a disruption does not reach do not move.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right

from openfab.planning.compiled import Compiled, earliest_fit
from openfab.planning.dispatch import Pin
from openfab.planning.solution import Solution


class Timeline:
    """The operations placed on one machine, sorted by start, with changeover-aware fitting."""

    def __init__(self, c: Compiled, machine: int) -> None:
        self.c, self.m = c, machine
        self.starts: list[int] = []
        self.rows: list[tuple[int, int, int]] = []  # (start, end, op)

    def add(self, op: int, start: int, end: int) -> None:
        k = bisect_right(self.starts, start)
        self.starts.insert(k, start)
        self.rows.insert(k, (start, end, op))

    def fit(self, op: int, t: int, duration: int) -> int:
        """Earliest start >= ``t`` clear of the calendar, the placed operations and setups."""
        c, m = self.c, self.m
        while True:
            t = earliest_fit(c.blocked[m], t, duration)
            k = bisect_right(self.starts, t)
            if k == 0 and t < c.setup_time(m, -1, op):
                t = c.setup_time(m, -1, op)
                continue
            if k > 0:
                _, end, before = self.rows[k - 1]
                ready = end + c.setup_time(m, before, op)
                if t < ready:
                    t = ready
                    continue
            if k < len(self.rows):
                start, end, after = self.rows[k]
                if t + duration + c.setup_time(m, op, after) > start:
                    t = end + c.setup_time(m, after, op)
                    continue
            return t


def repair(
    c: Compiled, old: dict[int, tuple[int, int]], pins: dict[int, Pin], now: int
) -> Solution:
    """The old schedule (op -> (start, mode)) repaired as the module docstring says."""
    start, mode = [0] * c.num_ops, [0] * c.num_ops
    lines = [Timeline(c, m) for m in range(c.num_machines)]
    for i, pin in pins.items():
        m, d = c.modes[i][pin.mode]
        start[i], mode[i] = pin.start, pin.mode
        lines[m].add(i, pin.start, pin.start + d)
    key = [old[i][0] if i in old else c.release[i] for i in range(c.num_ops)]
    for i in _ready_order(c, key):
        if i in pins:
            continue
        ready = max(key[i], now, c.release[i])
        ready = max([ready, *(start[p] + c.modes[p][mode[p]][1] for p in c.preds[i])])
        best: tuple[int, int, int] | None = None
        for k, (m, d) in enumerate(c.modes[i]):
            at = lines[m].fit(i, ready, d)
            stays = i in old and old[i] == (at, k)
            candidate = (at + d, 0 if stays else 1, k)
            if best is None or candidate[:2] < best[:2] or stays:
                best = candidate
                if stays:
                    break
        assert best is not None
        k = best[2]
        m, d = c.modes[i][k]
        start[i], mode[i] = best[0] - d, k
        lines[m].add(i, start[i], best[0])
    return Solution(tuple(start), tuple(mode))


def _ready_order(c: Compiled, key: list[int]) -> list[int]:
    """A topological order that takes the smallest ``key`` among the ready operations."""
    waiting = [len(p) for p in c.preds]
    ready = [(key[i], i) for i in range(c.num_ops) if not waiting[i]]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        _, i = heapq.heappop(ready)
        order.append(i)
        for s in c.succs[i]:
            waiting[s] -= 1
            if not waiting[s]:
                heapq.heappush(ready, (key[s], s))
    return order
