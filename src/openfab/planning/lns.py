"""Large-neighbourhood search around CP-SAT: free a part of the best schedule, re-optimise it.

Each round builds one sub-problem per worker from the best schedule so far, each freeing a
different neighbourhood (a few machines, a time window, a few work orders, a stretch of
the critical path); the rest keeps its machines and its order, not its times. The
sub-problems run in parallel threads (CP-SAT releases the GIL), one CP-SAT worker each,
with a deterministic work limit, and the round keeps the best result — so, for a seed, the
sequence of schedules is the same on every run however loaded the machine is. Each
neighbourhood adapts its size: larger after a sub-problem is solved to optimality, smaller
after one runs out of time.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from openfab.planning import cpsat
from openfab.planning.compiled import Compiled
from openfab.planning.solution import Solution, evaluate, moved_count

KINDS = ("machines", "window", "orders", "critical")
MAX_FREE = (300, 120)
"""At most this many free operations per sub-problem (without, with changeovers): bigger
ones take too long to build (circuits grow with free × held operations) to pay back."""
TIEBREAK = False


@dataclass
class Search:
    """The state of an LNS run: the best schedule, its value and per-kind sizes."""

    c: Compiled
    base: cpsat.Spec
    best: Solution
    value: int
    lower_bound: int = 0
    secondary: int = 0
    build_s: float = 0.0
    rounds: int = 0
    improvements: int = 0
    sizes: dict[str, float] = field(default_factory=lambda: dict.fromkeys(KINDS, 0.25))


def secondary_of(c: Compiled, sol: Solution) -> int:
    """Sum of the ends of the last operations (the LNS tie-break, see ``Spec.tiebreak``)."""
    return sum(sol.end(c, i) for i in range(c.num_ops) if not c.succs[i])


def value_of(c: Compiled, spec: cpsat.Spec, sol: Solution) -> int:
    """The objective the model minimises, stability penalty included."""
    value = evaluate(c, sol, spec.objective).objective
    if spec.stability and spec.previous:
        movable = {i: v for i, v in spec.previous.items() if i not in spec.pins}
        value += spec.stability * moved_count(c, sol, movable)
    return value


def improve(
    search: Search,
    *,
    deadline: float,
    seed: int,
    workers: int,
    work_limit: float,
    max_rounds: int | None = None,
    patience: float | None = None,
) -> None:
    """Run LNS rounds until ``deadline`` (``time.monotonic()``), the bound, or ``max_rounds``;
    with ``patience``, also once that many seconds pass without an improvement (on the
    re-planner's problems most rounds find nothing: waiting for the deadline costs time and
    rarely pays)."""
    rng = random.Random(seed)
    improved_at = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while search.value > search.lower_bound:
            if max_rounds is not None and search.rounds >= max_rounds:
                return
            if patience is not None and time.monotonic() - improved_at > patience:
                return
            jobs = []
            for k in range(workers):
                clock = time.monotonic()
                if deadline - clock < max(0.05, 1.5 * search.build_s):
                    return  # no time left to build and solve another sub-problem
                jobs.append(_sub_problem(search, rng, k))
                search.build_s = time.monotonic() - clock
            seeds = [rng.randrange(2**31) for _ in jobs]
            left = deadline - time.monotonic()
            if left < 0.02:
                return
            if patience is not None:  # a round that finds nothing ends the search
                left = min(left, max(0.05, patience))
            outcomes = list(
                pool.map(
                    lambda job, s, limit: cpsat.run(
                        job[1],
                        seed=s,
                        workers=1,
                        time_limit=limit,
                        work_limit=work_limit,
                        light=True,
                    ),
                    jobs,
                    seeds,
                    [left] * len(jobs),
                )
            )
            if _absorb(search, [j[0] for j in jobs], outcomes):
                improved_at = time.monotonic()


def _sub_problem(search: Search, rng: random.Random, k: int) -> tuple[str, cpsat.Built]:
    kind = KINDS[(search.rounds * 2 + k + rng.randrange(2)) % len(KINDS)]
    cap = MAX_FREE[any(search.c.has_setups(m) for m in range(search.c.num_machines))]
    size = min(search.sizes[kind], cap / max(1, search.c.num_ops))
    chosen = NEIGHBOURHOODS[kind](search.c, search.best, rng, size)
    free = frozenset(i for i in chosen if i not in search.base.pins)
    spec = replace(search.base, free=free, incumbent=search.best, bound=search.value)
    if spec.objective.makespan:
        spec.horizon = search.value // spec.objective.makespan
    plain = spec.objective.tardiness == 0 and spec.objective.flow == 0
    spec.tiebreak = TIEBREAK and plain and not spec.stability
    return kind, cpsat.build(search.c, spec)


def _absorb(search: Search, kinds: list[str], outcomes: list[cpsat.Outcome]) -> bool:
    """Keep the round's best schedule when it is no worse; True when it is better."""
    search.rounds += 1
    best: tuple[int, int, Solution] | None = None
    for kind, outcome in zip(kinds, outcomes, strict=True):
        grow = outcome.status == "OPTIMAL"
        size = search.sizes[kind] * (1.2 if grow else 0.85)
        search.sizes[kind] = min(0.9, max(0.03, size))
        if outcome.solution is None:
            continue
        value = value_of(search.c, search.base, outcome.solution)
        candidate = (value, secondary_of(search.c, outcome.solution), outcome.solution)
        if best is None or candidate[:2] < best[:2]:
            best = candidate
    if best is None or best[0] > search.value:
        return False
    better = best[0] < search.value
    search.improvements += better
    search.value, search.secondary, search.best = best
    return better


def _machines(c: Compiled, sol: Solution, rng: random.Random, size: float) -> set[int]:
    """Whole machines, half of the time starting with machines on the critical path."""
    target = max(2, int(size * c.num_ops))
    rows = sol.sequences(c)
    order = list(range(c.num_machines))
    rng.shuffle(order)
    if rng.random() < 0.5:
        critical = {sol.machine(c, i) for i in critical_path(c, sol)}
        order.sort(key=lambda m: m not in critical)
    free: set[int] = set()
    for m in order:
        if len(free) >= target:
            break
        free.update(rows[m])
    return free


def _window(c: Compiled, sol: Solution, rng: random.Random, size: float) -> set[int]:
    target = max(2, int(size * c.num_ops))
    by_start = sorted(range(c.num_ops), key=lambda i: (sol.start[i], i))
    first = rng.randrange(max(1, c.num_ops - target + 1))
    return set(by_start[first : first + target])


def _orders(c: Compiled, sol: Solution, rng: random.Random, size: float) -> set[int]:
    """Whole work orders, half of the time starting with orders on the critical path."""
    target = max(2, int(size * c.num_ops))
    order = list(range(len(c.order_ops)))
    rng.shuffle(order)
    if rng.random() < 0.5:
        critical = {c.op_order[i] for i in critical_path(c, sol)}
        order.sort(key=lambda j: j not in critical)
    free: set[int] = set()
    for j in order:
        if len(free) >= target:
            break
        free.update(c.order_ops[j])
    return free


def _critical(c: Compiled, sol: Solution, rng: random.Random, size: float) -> set[int]:
    """A stretch of the critical path plus the operations running beside it."""
    path = critical_path(c, sol)
    target = max(2, int(size * c.num_ops))
    if len(path) < 2:
        return _window(c, sol, rng, size)
    a = rng.randrange(len(path))
    b = min(len(path), a + max(2, len(path) // 3))
    stretch = path[a:b]
    low = min(sol.start[i] for i in stretch)
    high = max(sol.end(c, i) for i in stretch)
    around = sorted(
        (i for i in range(c.num_ops) if sol.start[i] < high and sol.end(c, i) > low),
        key=lambda i: (abs(sol.start[i] - low), i),
    )
    return set(stretch) | set(around[: max(0, target - len(stretch))])


def critical_path(c: Compiled, sol: Solution) -> list[int]:
    """Operations on a longest chain ending at the makespan (tight precedence or machine)."""
    if c.num_ops == 0:
        return []
    prev_on_machine: dict[int, int] = {}
    for row in sol.sequences(c):
        for a, b in itertools.pairwise(row):
            prev_on_machine[b] = a
    i = max(range(c.num_ops), key=lambda i: (sol.end(c, i), -i))
    path = [i]
    while True:
        tight = [p for p in c.preds[i] if sol.end(c, p) == sol.start[i]]
        m_prev = prev_on_machine.get(i)
        if (
            m_prev is not None
            and sol.end(c, m_prev) + c.setup_time(sol.machine(c, i), m_prev, i) >= sol.start[i]
        ):
            tight.append(m_prev)
        if not tight:
            return path[::-1]
        i = tight[0]
        path.append(i)


NEIGHBOURHOODS: dict[str, Callable[[Compiled, Solution, random.Random, float], set[int]]] = {
    "machines": _machines,
    "window": _window,
    "orders": _orders,
    "critical": _critical,
}
