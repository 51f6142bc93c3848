"""Tabu search and CP-SAT side by side, exchanging the best schedule between segments.

On plain makespan problems (no changeovers, calendars or pins) a tabu search on machine
sequences (:mod:`openfab.planning.tabu`) improves a schedule far faster than CP-SAT's
neighbourhoods, while CP-SAT proves optimality, finds lower bounds and reassigns machines
more freely (the tabu search moves only critical operations). So the budget is cut into
segments; in each, the tabu search runs in this thread (pure Python) while CP-SAT runs in a
second one (it releases the GIL) from the best schedule so far. The tabu search resumes
where it stood unless CP-SAT beat its best, whose schedule it then takes up. CP-SAT's task
rotates (:data:`KINDS`): a complete hinted search (bounds, optimality on small shops), its
own neighbourhood workers, and with machine choices also OpenFab's LNS
(:mod:`openfab.planning.lns`).
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from openfab.planning import cpsat, lns, tabu
from openfab.planning.compiled import Compiled
from openfab.planning.solution import Solution

log = logging.getLogger(__name__)

SEGMENT_S = (1.0, 6.0)
"""A segment lasts a sixth of the budget, within these bounds (seconds)."""
SEGMENT_WORK = 0.5
"""In repeatable runs (a work limit), CP-SAT work units per segment."""
TABU_PER_WORK = 2000
"""In repeatable runs, tabu iterations per CP-SAT work unit (about as long here)."""
ROUND_WORK = 0.05
SMALL_JOB_SHOP = 250
"""Job shops (one machine per operation) up to this many operations get one segment, with a
complete 2-worker CP-SAT search beside the tabu search for the whole budget: such searches
prove ft10-sized shops optimal in seconds, which restarting every few seconds prevents."""
KINDS = (("full", "cp-lns", "cp-lns"), ("full", "cp-lns", "lns"))
"""CP-SAT's task per segment, in turn (job shops, flexible shops): a complete hinted search
(bounds, proofs), its own neighbourhood workers, OpenFab's LNS (frees machine choices)."""


def applies(c: Compiled, spec: cpsat.Spec) -> bool:
    """Makespan only, nothing pinned, no floor or stability term, plain disjunctive graph."""
    objective = spec.objective
    plain_objective = objective.tardiness == 0 and objective.flow == 0 and objective.makespan > 0
    held = bool(spec.pins) or spec.floor > 0 or bool(spec.stability and spec.previous)
    return plain_objective and not held and tabu.applies(c)


@dataclass(frozen=True)
class Segment:
    """What CP-SAT does in one segment, and until when."""

    kind: str  # "full", "cp-lns" or "lns"
    deadline: float
    seed: int
    work: float | None
    workers: int = 1


def improve(
    search: lns.Search, *, deadline: float, seed: int, work_limit: float | None = None
) -> bool:
    """Run segments until ``deadline``; True when CP-SAT proved the best schedule optimal."""
    c = search.c
    flexible = any(len(modes) > 1 for modes in c.modes)
    total = max(0.0, deadline - time.monotonic())
    length = min(SEGMENT_S[1], max(SEGMENT_S[0], total / 6))
    small = not flexible and c.num_ops <= SMALL_JOB_SHOP and work_limit is None
    if small:
        length = total
    segments = None if work_limit is None else max(1, round(work_limit / SEGMENT_WORK))
    k = 0
    trajectory = search.best
    with ThreadPoolExecutor(max_workers=1) as pool:
        while search.value > search.lower_bound:
            if segments is not None and k >= segments:
                break
            now = time.monotonic()
            if deadline - now < 0.05:
                break
            end = deadline if deadline - now < 1.5 * length or segments else now + length
            work = None if segments is None or work_limit is None else work_limit / segments
            kind = KINDS[flexible][k % 3]
            segment = Segment(kind, end, seed + k, work, 2 if small else 1)
            future = pool.submit(_cp_segment, search, segment)
            iterations = None if work is None else int(work * TABU_PER_WORK)
            polished = tabu.search(
                c,
                trajectory,
                deadline=end,
                seed=seed + k,
                max_iterations=iterations,
                lower_bound=search.lower_bound,
                stop=None if work is not None else future.done,
            )
            found, bound, optimal = future.result()
            search.rounds += 1
            search.lower_bound = max(search.lower_bound, bound)
            before = search.value
            _absorb(search, [polished.solution, *([found] if found else [])])
            log.debug(
                "segment %d (%s): tabu %d, cp-sat %s, best %d -> %d",
                k,
                kind,
                polished.makespan,
                None if found is None else lns.value_of(c, search.base, found),
                before,
                search.value,
            )
            if optimal:
                search.lower_bound = search.value
                return True
            trajectory = polished.current
            if found is not None and lns.value_of(c, search.base, found) < polished.makespan:
                trajectory = found
            k += 1
    return search.value <= search.lower_bound


def _absorb(search: lns.Search, candidates: list[Solution]) -> None:
    """Keep the best candidate; on a tie take the newest, to move the search elsewhere."""
    for sol in candidates:
        value = lns.value_of(search.c, search.base, sol)
        if value < search.value:
            search.improvements += 1
        if value <= search.value:
            search.best, search.value = sol, value


def _cp_segment(search: lns.Search, seg: Segment) -> tuple[Solution | None, int, bool]:
    """One CP-SAT segment from the best schedule: (schedule or None, bound, optimal)."""
    c, base = search.c, search.base
    if seg.kind == "lns":
        local = lns.Search(c, base, search.best, search.value, search.lower_bound)
        lns.improve(
            local,
            deadline=seg.deadline,
            seed=seg.seed,
            workers=1,
            work_limit=ROUND_WORK,
            max_rounds=None if seg.work is None else int(seg.work / ROUND_WORK),
        )
        return local.best, 0, False
    spec = replace(base, incumbent=search.best, bound=search.value)
    if spec.objective.makespan:
        spec.horizon = search.value // spec.objective.makespan
    outcome = cpsat.run(
        cpsat.build(c, spec),
        seed=seg.seed,
        workers=seg.workers,
        time_limit=max(0.01, seg.deadline - time.monotonic()),
        work_limit=seg.work,
        lns_only=seg.kind == "cp-lns",
    )
    bound = outcome.bound if seg.kind == "full" else 0
    return outcome.solution, bound, outcome.status == "OPTIMAL" and seg.kind == "full"
