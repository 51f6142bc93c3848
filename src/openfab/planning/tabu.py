"""Tabu search on machine sequences (critical-block neighbourhoods N5/N7) for the makespan.

CP-SAT's neighbourhoods re-solve large parts of a schedule; a tabu search makes thousands of
small, well-aimed moves per second instead, which is what the best job-shop methods do. A
schedule is a sequence per machine; its makespan is the longest path of the disjunctive
graph. Only reordering the ends of a *critical block* (a run of operations on one machine
along a longest path) can shorten that path, so those are the only moves: N5 swaps the
first or last two operations of a block (Nowicki and Smutnicki), N7 also moves the first or
last operation inside the block and inner ones to either end (Zhang et al.). Each move is
scored from heads and tails along the reordered stretch only, the best non-tabu move is
made, and the pairs it reversed stay tabu for a while. When the search stalls it jumps
back to the best schedule and perturbs it.

Machine assignments (modes) stay as given: for flexible shops CP-SAT chooses them. Only
problems without changeovers or calendars qualify (:func:`applies`).
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from openfab.planning.compiled import Compiled
from openfab.planning.solution import Solution

Move = tuple[int, int, bool, tuple[int, ...]]
"""(moved operation, anchor, forward, the block stretch in its new order). Forward puts the
moved operation right after the anchor, backward right before it."""
Reassign = tuple[int, int, int, int, int]
"""(operation, new mode, machine predecessor there or -1, successor or -1, estimate)."""
State = tuple[list[int], list[int], list[int]]
"""Machine predecessors, successors and modes: enough to restore a schedule."""


def applies(c: Compiled) -> bool:
    """Whether the plain disjunctive graph describes ``c`` (no setups, no calendars)."""
    return c.num_ops > 1 and not any(c.has_setups(m) or c.blocked[m] for m in range(c.num_machines))


@dataclass(frozen=True)
class Settings:
    """Search parameters; the defaults suit 10-2,000 operations."""

    tenure: tuple[int, int] = (8, 14)
    """A reversed pair stays tabu for a random number of iterations in this range (scaled
    up for longer machine sequences, see :func:`_tenure`)."""
    stall: int = 2500
    """Iterations without a new best before jumping back to the best schedule."""
    kicks: int = 3
    """Random critical moves applied to the best schedule at such a jump."""
    wide: bool = True
    """N7 (True) or N5 (False)."""
    reassign: bool = True
    """Also move critical operations to other eligible machines (flexible shops)."""


@dataclass(frozen=True)
class Outcome:
    """The best schedule found and where the search stood at the end (to resume from)."""

    solution: Solution
    makespan: int
    iterations: int
    current: Solution


class _Graph:
    """Machine sequences (linked lists) with heads (earliest starts) and tails (work from
    an operation's start to the end, its own duration included)."""

    def __init__(self, c: Compiled, sol: Solution) -> None:
        n = c.num_ops
        self.n = n
        self.modes = c.modes
        self.mode = list(sol.mode)
        self.dur = [c.modes[i][sol.mode[i]][1] for i in range(n)]
        self.ops_on: list[set[int]] = [set() for _ in range(c.num_machines)]
        for i in range(n):
            self.ops_on[c.modes[i][sol.mode[i]][0]].add(i)
        self.release = list(c.release)
        self.preds = c.preds
        self.succs = c.succs
        self.npreds = [len(p) for p in c.preds]
        self.chain = all(len(p) <= 1 for p in c.preds) and all(len(x) <= 1 for x in c.succs)
        self.jp = [p[0] if p else -1 for p in c.preds]
        self.js = [x[0] if x else -1 for x in c.succs]
        self.mp = [-1] * n
        self.ms = [-1] * n
        for row in sol.sequences(c):
            for a, b in itertools.pairwise(row):
                self.ms[a], self.mp[b] = b, a
        self.head = [0] * n
        self.tail = [0] * n
        self.makespan = 0

    def evaluate(self) -> bool:
        """Recompute heads, tails and the makespan; False if the sequences form a cycle.

        One topological pass settles each head when its last predecessor is done; tails
        follow in reverse order. This is the inner loop of the search, hence the style.
        """
        if self.chain:
            return self._evaluate_chains()
        mp, ms, succs, dur = self.mp, self.ms, self.succs, self.dur
        indeg = [a + (b >= 0) for a, b in zip(self.npreds, mp, strict=True)]
        head = list(self.release)
        order = [i for i, d in enumerate(indeg) if d == 0]
        for i in order:
            end = head[i] + dur[i]
            for s in succs[i]:
                if end > head[s]:
                    head[s] = end
                indeg[s] -= 1
                if indeg[s] == 0:
                    order.append(s)
            s = ms[i]
            if s >= 0:
                if end > head[s]:
                    head[s] = end
                indeg[s] -= 1
                if indeg[s] == 0:
                    order.append(s)
        if len(order) < self.n:
            return False
        tail = self.tail
        best = 0
        for i in reversed(order):
            t = 0
            for s in succs[i]:
                if tail[s] > t:
                    t = tail[s]
            s = ms[i]
            if s >= 0 and tail[s] > t:
                t = tail[s]
            t += dur[i]
            tail[i] = t
            if head[i] + t > best:
                best = head[i] + t
        self.head = head
        self.makespan = best
        return True

    def _evaluate_chains(self) -> bool:
        """:meth:`evaluate` when every operation has at most one routing predecessor and
        successor (job shops): the same passes without the inner loops."""
        mp, ms, jp, js, dur = self.mp, self.ms, self.jp, self.js, self.dur
        indeg = [(a >= 0) + (b >= 0) for a, b in zip(jp, mp, strict=True)]
        head = list(self.release)
        order = [i for i, d in enumerate(indeg) if d == 0]
        for i in order:
            end = head[i] + dur[i]
            s = js[i]
            if s >= 0:
                if end > head[s]:
                    head[s] = end
                indeg[s] -= 1
                if not indeg[s]:
                    order.append(s)
            s = ms[i]
            if s >= 0:
                if end > head[s]:
                    head[s] = end
                indeg[s] -= 1
                if not indeg[s]:
                    order.append(s)
        if len(order) < self.n:
            return False
        tail = self.tail
        best = 0
        for i in reversed(order):
            a, b = js[i], ms[i]
            t = tail[a] if a >= 0 else 0
            if b >= 0 and tail[b] > t:
                t = tail[b]
            t += dur[i]
            tail[i] = t
            if head[i] + t > best:
                best = head[i] + t
        self.head = head
        self.makespan = best
        return True

    def critical_path(self, rng: random.Random) -> list[int]:
        """One longest path, start to end, choosing among tight arcs at random."""
        head, dur, mp, preds = self.head, self.dur, self.mp, self.preds
        ends = [i for i in range(self.n) if head[i] + dur[i] == self.makespan]
        i = ends[rng.randrange(len(ends))]
        path = [i]
        while True:
            h = head[i]
            tight = [p for p in preds[i] if head[p] + dur[p] == h]
            p = mp[i]
            if p >= 0 and head[p] + dur[p] == h:
                tight.append(p)
            if not tight:
                break
            i = tight[rng.randrange(len(tight))] if len(tight) > 1 else tight[0]
            path.append(i)
        path.reverse()
        return path

    def moves(self, path: list[int], wide: bool) -> list[Move]:
        """Moves at the ends of the critical blocks of ``path`` (N5 or, ``wide``, N7).

        N5 skips the first pair of the first block and the last pair of the last one, which
        cannot shorten the path; N7 keeps only the moves that Balas and Vazacopoulos' test
        proves free of cycles.
        """
        blocks: list[list[int]] = []
        for i in path:
            if blocks and self.mp[i] == blocks[-1][-1]:
                blocks[-1].append(i)
            else:
                blocks.append([i])
        out: list[Move] = []
        last = len(blocks) - 1
        for b, block in enumerate(blocks):
            size = len(block)
            if size < 2:
                continue
            if not wide:
                if b > 0:
                    out.append((block[0], block[1], True, (block[1], block[0])))
                if b < last and (size > 2 or b == 0):
                    out.append((block[-2], block[-1], True, (block[-1], block[-2])))
                continue
            for i in range(size - 1):
                for j in range(i + 1, size):
                    if i == 0 or j == size - 1:
                        self._block_moves(block, i, j, out)
        return out

    def _block_moves(self, block: list[int], i: int, j: int, out: list[Move]) -> None:
        u, w = block[i], block[j]
        head, tail, dur = self.head, self.tail, self.dur
        if j == i + 1 or all(tail[w] >= tail[s] for s in self.succs[u]):
            out.append((u, w, True, (*block[i + 1 : j + 1], u)))
        if j > i + 1 and all(head[u] + dur[u] >= head[p] + dur[p] for p in self.preds[w]):
            out.append((w, u, False, (w, *block[i:j])))

    def estimate(self, move: Move) -> int:
        """Longest path through the reordered stretch once ``move`` is made."""
        head, tail, dur, preds, succs = self.head, self.tail, self.dur, self.preds, self.succs
        moved, anchor, forward, seq = move
        prev = self.mp[moved] if forward else self.mp[anchor]
        nxt = self.ms[anchor] if forward else self.ms[moved]
        ready = head[prev] + dur[prev] if prev >= 0 else 0
        heads = []
        for x in seq:
            h = self.release[x]
            if ready > h:
                h = ready
            for p in preds[x]:
                e = head[p] + dur[p]
                if e > h:
                    h = e
            heads.append(h)
            ready = h + dur[x]
        after = tail[nxt] if nxt >= 0 else 0
        best = 0
        for k in range(len(seq) - 1, -1, -1):
            x = seq[k]
            t = after
            for s in succs[x]:
                if tail[s] > t:
                    t = tail[s]
            after = t + dur[x]
            if heads[k] + after > best:
                best = heads[k] + after
        return best

    def apply(self, move: Move) -> None:
        """Unlink the moved operation and relink it after (forward) or before the anchor."""
        moved, anchor, forward, _ = move
        mp, ms = self.mp, self.ms
        a, z = mp[moved], ms[moved]
        if a >= 0:
            ms[a] = z
        if z >= 0:
            mp[z] = a
        if forward:
            after = ms[anchor]
            mp[moved], ms[moved] = anchor, after
            ms[anchor] = moved
            if after >= 0:
                mp[after] = moved
        else:
            before = mp[anchor]
            mp[moved], ms[moved] = before, anchor
            mp[anchor] = moved
            if before >= 0:
                ms[before] = moved

    def reassignments(self, path: list[int]) -> list[Reassign]:
        """Each critical operation with a choice of machines, put on another eligible machine
        at its best place there (by estimate) among the places that cannot close a cycle:
        after no descendant (head below this head + duration) and before no ancestor."""
        head, tail, dur, preds, succs = self.head, self.tail, self.dur, self.preds, self.succs
        out: list[Reassign] = []
        for i in path:
            options = self.modes[i]
            if len(options) < 2:
                continue
            ready = self.release[i]
            for p in preds[i]:
                ready = max(ready, head[p] + dur[p])
            rest = max((tail[s] for s in succs[i]), default=0)
            latest, own_tail = head[i] + dur[i], tail[i]
            for k, (m, d) in enumerate(options):
                if k == self.mode[i]:
                    continue
                row = self.sequence(m)
                best: Reassign | None = None
                for pos in range(len(row) + 1):
                    a = row[pos - 1] if pos > 0 else -1
                    b = row[pos] if pos < len(row) else -1
                    if a >= 0 and head[a] >= latest:
                        break
                    if b >= 0 and tail[b] >= dur[b] + own_tail:
                        continue
                    h = max(ready, head[a] + dur[a]) if a >= 0 else ready
                    t = max(rest, tail[b]) if b >= 0 else rest
                    value = h + t + d
                    if best is None or value < best[4]:
                        best = (i, k, a, b, value)
                if best is not None:
                    out.append(best)
        return out

    def sequence(self, m: int) -> list[int]:
        ops = self.ops_on[m]
        i = next((x for x in ops if self.mp[x] < 0), -1)
        row = []
        while i >= 0:
            row.append(i)
            i = self.ms[i]
        return row

    def reassign(self, move: Reassign) -> None:
        """Move an operation to another machine, between ``a`` and ``b`` there."""
        i, k, a, b, _ = move
        mp, ms = self.mp, self.ms
        before, after = mp[i], ms[i]
        if before >= 0:
            ms[before] = after
        if after >= 0:
            mp[after] = before
        self.ops_on[self.modes[i][self.mode[i]][0]].discard(i)
        m, d = self.modes[i][k]
        self.ops_on[m].add(i)
        self.mode[i], self.dur[i] = k, d
        mp[i], ms[i] = a, b
        if a >= 0:
            ms[a] = i
        if b >= 0:
            mp[b] = i

    def machine(self, i: int) -> int:
        return self.modes[i][self.mode[i]][0]

    def snapshot(self) -> State:
        return list(self.mp), list(self.ms), list(self.mode)

    def restore(self, state: State) -> None:
        self.mp, self.ms, self.mode = list(state[0]), list(state[1]), list(state[2])
        self.dur = [self.modes[i][k][1] for i, k in enumerate(self.mode)]
        for ops in self.ops_on:
            ops.clear()
        for i, k in enumerate(self.mode):
            self.ops_on[self.modes[i][k][0]].add(i)


def search(
    c: Compiled,
    start: Solution,
    *,
    deadline: float,
    seed: int = 0,
    max_iterations: int | None = None,
    lower_bound: int = 0,
    settings: Settings | None = None,
    stop: Callable[[], bool] | None = None,
) -> Outcome:
    """Tabu search from ``start`` until ``deadline`` (``time.monotonic()``),
    ``max_iterations``, ``lower_bound`` or ``stop()``; returns the best (semi-active)
    schedule found, never worse than ``start`` left-shifted. Within ``max_iterations`` (and
    without ``stop``) a run is repeatable for a seed."""
    cfg = settings or Settings()
    rng = random.Random(seed)
    g = _Graph(c, start)
    if not g.evaluate():
        raise ValueError("the start schedule's machine sequences contain a cycle")
    best_value, best_state, best_head = g.makespan, g.snapshot(), g.head
    tabu: dict[tuple[int, int], int] = {}
    low, high = _tenure(c, cfg)
    flexible = cfg.reassign and any(len(m) > 1 for m in c.modes)
    it = last_gain = 0
    while best_value > lower_bound:
        if max_iterations is not None and it >= max_iterations:
            break
        if time.monotonic() >= deadline or (stop is not None and stop()):
            break  # both cheap next to one iteration
        it += 1
        path = g.critical_path(rng)
        moves = g.moves(path, cfg.wide)
        shifts = g.reassignments(path) if flexible else []
        if not moves and not shifts:
            if g.makespan == best_value:
                break  # one block or a single chain: no reordering can shorten it
            _jump(g, best_state, rng, cfg)
            tabu.clear()
            continue
        state = g.snapshot()
        until = it + rng.randint(low, high)
        _make_best(g, moves, shifts, tabu, (it, until, best_value), rng)
        if not g.evaluate():  # the tests for cycles are sufficient; stay safe regardless
            g.restore(state)
            g.evaluate()
            continue
        if g.makespan < best_value:
            best_value, best_state, best_head = g.makespan, g.snapshot(), g.head
            last_gain = it
        elif it - last_gain > cfg.stall:
            _jump(g, best_state, rng, cfg)
            tabu.clear()
            last_gain = it
    best = Solution(tuple(best_head), tuple(best_state[2]))
    return Outcome(best, best_value, it, Solution(tuple(g.head), tuple(g.mode)))


def _make_best(
    g: _Graph,
    moves: list[Move],
    shifts: list[Reassign],
    tabu: dict[tuple[int, int], int],
    clock: tuple[int, int, int],
    rng: random.Random,
) -> None:
    """Make the best allowed move of either kind and record what it reversed as tabu.

    A reassignment forbids the operation's return to its machine (key ``(op, -1 - m)``)."""
    it, until, best_value = clock
    move, value = _choose(g, moves, tabu, it, best_value, rng)
    shift: Reassign | None = None
    for cand in shifts:
        blocked = tabu.get((cand[0], -1 - g.modes[cand[0]][cand[1]][0]), 0) > it
        if (not blocked or cand[4] < best_value) and (shift is None or cand[4] < shift[4]):
            shift = cand
    if shift is not None and (move is None or shift[4] < value):
        tabu[(shift[0], -1 - g.machine(shift[0]))] = until
        g.reassign(shift)
        return
    if move is None:
        move = moves[rng.randrange(len(moves))] if moves else None
    if move is None:
        assert shifts, "called with no move at all"
        shift = shifts[rng.randrange(len(shifts))]
        g.reassign(shift)
        return
    for pair in _reversed(move):
        tabu[pair] = until
    g.apply(move)


def _reversed(move: Move) -> list[tuple[int, int]]:
    """The (before, after) pairs a move reverses; making any of them again is tabu."""
    moved, _, forward, seq = move
    if forward:
        return [(moved, x) for x in seq[:-1]]
    return [(x, moved) for x in seq[1:]]


def _creates(move: Move) -> list[tuple[int, int]]:
    moved, _, forward, seq = move
    if forward:
        return [(x, moved) for x in seq[:-1]]
    return [(moved, x) for x in seq[1:]]


def _tenure(c: Compiled, cfg: Settings) -> tuple[int, int]:
    """Longer tenure for longer machine sequences, which need more diversity."""
    scale = max(1.0, (c.num_ops / max(1, c.num_machines)) / 10) ** 0.5
    return int(cfg.tenure[0] * scale), int(cfg.tenure[1] * scale)


def _choose(
    g: _Graph,
    moves: list[Move],
    tabu: dict[tuple[int, int], int],
    it: int,
    best_value: int,
    rng: random.Random,
) -> tuple[Move | None, int]:
    """The best-estimated move that is not tabu (or beats the best: aspiration) and its
    estimate; if all are tabu, the one whose tabu ends first (estimate: infinite)."""
    chosen: list[Move] = []
    chosen_value = -1
    oldest: Move | None = None
    oldest_until = -1
    for move in moves:
        value = g.estimate(move)
        until = max((tabu.get(pair, 0) for pair in _creates(move)), default=0)
        if until > it and value >= best_value:
            if oldest_until < 0 or until < oldest_until:
                oldest, oldest_until = move, until
            continue
        if not chosen or value < chosen_value:
            chosen, chosen_value = [move], value
        elif value == chosen_value:
            chosen.append(move)
    if not chosen:
        return oldest, 2**62
    return (chosen[rng.randrange(len(chosen))] if len(chosen) > 1 else chosen[0]), chosen_value


def _jump(g: _Graph, state: State, rng: random.Random, cfg: Settings) -> None:
    """Back to the best schedule, then a few random critical moves to leave its basin."""
    g.restore(state)
    g.evaluate()
    for _ in range(cfg.kicks):
        moves = g.moves(g.critical_path(rng), cfg.wide)
        if not moves:
            return
        saved = g.snapshot()
        g.apply(moves[rng.randrange(len(moves))])
        if not g.evaluate():
            g.restore(saved)
            g.evaluate()
