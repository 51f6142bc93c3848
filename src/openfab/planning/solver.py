"""``solve(problem)``: dispatching warm start, then CP-SAT and LNS phases to the deadline.

The stages share one budget. The dispatching rules give a feasible schedule in
milliseconds. On plain makespan problems (no changeovers, calendars, pins or tardiness) a
tabu search and CP-SAT then run side by side and trade the best schedule
(:mod:`openfab.planning.hybrid`). Otherwise a short complete CP-SAT pass hinted with the
warm start proves small instances optimal, then CP-SAT's own neighbourhood workers improve
the best schedule and, when operations have a choice of machines, OpenFab's LNS
(:mod:`openfab.planning.lns`) takes the second half (:data:`PHASES`). Whatever happens, the
best schedule so far is returned at the deadline.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from openfab.errors import Infeasible, Problem
from openfab.planning import cpsat, hybrid, lns
from openfab.planning.compiled import FOREVER, Compiled, earliest_fit
from openfab.planning.dispatch import RULES, best_dispatch
from openfab.planning.explain import explain
from openfab.planning.feasibility import prepare
from openfab.planning.model import Objective, ObjectiveName, ProblemData
from openfab.planning.schedule import Schedule, ScheduledOperation
from openfab.planning.solution import (
    Solution,
    evaluate,
    is_feasible,
    moved_count,
    order_release,
)

log = logging.getLogger(__name__)

Phases = tuple[tuple[str, float], ...]
PHASES: Phases = (("full", 0.1), ("cp-lns", 0.9))
"""Shares of the search budget when every operation has one machine (a job shop): a short
complete CP-SAT pass proves small instances optimal, then CP-SAT's own LNS workers from the
best schedule ("cp-lns") do best on job shops."""
FLEXIBLE_PHASES: Phases = (("full", 0.1), ("cp-lns", 0.45), ("lns", 0.45))
"""With machine choices our own LNS (which also frees machine assignments) joins in; on the
Brandimarte instances it beat CP-SAT's portfolio."""
ROUND_WORK = 0.05
"""Deterministic work limit of one LNS sub-problem (CP-SAT work units; about 0.2-0.5 s here)."""
DISPATCH_SHARE = 0.2
"""After this share of the budget no further dispatching rule is tried (large shops)."""
FULL_OPS_PER_S = 250
"""A full pass needs about a second per this many operations to pay; shorter ones go to LNS."""
MAX_FULL_ARCS = 60_000
"""Above this many changeover arcs the full model is skipped: LNS alone scales further."""


@dataclass(frozen=True)
class Budget:
    """Where the search stops: a wall-clock deadline and, optionally, a repeatable work limit."""

    deadline: float
    work_limit: float | None = None
    seed: int = 0
    workers: int = 2
    patience: float | None = None
    """Stop once this many seconds pass without a better schedule (None: use the deadline)."""

    def left(self) -> float:
        return self.deadline - time.monotonic()


def reserve(time_limit: float) -> float:
    """Seconds kept back from the search for building the result and returning it."""
    return min(0.5, 0.05 + 0.05 * time_limit)


def solve(
    problem: ProblemData,
    *,
    time_limit: float = 30.0,
    seed: int = 0,
    objective: ObjectiveName | Objective = "makespan",
    workers: int = 2,
    work_limit: float | None = None,
    patience: float | None = None,
) -> Schedule:
    """Schedule ``problem``; return the best schedule found within ``time_limit`` seconds.

    ``work_limit`` (CP-SAT deterministic work units, roughly seconds) makes a run exactly
    repeatable for a ``seed`` however loaded the machine is; ``time_limit`` always caps the
    wall-clock time. ``patience`` (seconds) ends the neighbourhood search early once it stops
    finding better schedules. Raises ``InvalidInput`` or ``Infeasible`` naming what is wrong.
    """
    clock = time.monotonic()
    deadline = clock + time_limit - reserve(time_limit)
    budget = Budget(deadline, work_limit, seed, workers, patience)
    c = prepare(problem)
    spec = cpsat.Spec(objective=Objective.named(objective))
    return optimise(c, spec, budget)


def optimise(
    c: Compiled,
    spec: cpsat.Spec,
    budget: Budget,
    rules: Sequence[str] = RULES,
    ranks: Sequence[float] | None = None,
    starts: Sequence[Solution] = (),
) -> Schedule:
    """Warm start, full pass, LNS (see module docstring) for a compiled problem.

    ``starts`` are extra warm-start candidates (e.g. a repaired schedule); the best of them
    and of the dispatching rules is the starting point.
    """
    clock = time.monotonic()
    start, rule = best_dispatch(
        c,
        spec.objective,
        rules=rules,
        pins=spec.pins,
        floor=spec.floor,
        ranks=ranks,
        deadline=clock + DISPATCH_SHARE * max(0.0, budget.left()),
    )
    stats = {"dispatch_s": time.monotonic() - clock}
    pinned = frozenset(spec.pins)
    if _overflows(c, start) or not is_feasible(c, start, spec.floor, pinned):
        start = _full_pass_from_scratch(c, spec, budget)
    valid = [s for s in starts if is_feasible(c, s, spec.floor, pinned)]
    start = min([start, *valid], key=lambda s: lns.value_of(c, spec, s))
    search = lns.Search(c, spec, start, lns.value_of(c, spec, start))
    search.lower_bound = max(trivial_bound(c, spec), relaxed_bound(c, spec))
    stats["dispatch_value"] = search.value
    log.debug("dispatch %s gives %d", rule, search.value)
    optimal = _search(search, budget)
    stats.update(rounds=search.rounds, improvements=search.improvements)
    stats["seconds"] = time.monotonic() - clock
    return to_schedule(c, spec, search.best, search.lower_bound, optimal, stats)


def _search(search: lns.Search, budget: Budget) -> bool:
    """The hybrid where it applies, else the phases in turn (see :data:`PHASES`); True when
    proved optimal."""
    begin, total = time.monotonic(), max(0.0, budget.left())
    if search.value <= search.lower_bound:
        return True  # the warm start already meets the bound: nothing to search
    if hybrid.applies(search.c, search.base):
        return hybrid.improve(
            search, deadline=budget.deadline, seed=budget.seed, work_limit=budget.work_limit
        )
    done = 0.0
    flexible = any(len(modes) > 1 for modes in search.c.modes)
    for kind, share in FLEXIBLE_PHASES if flexible else PHASES:
        done += share
        deadline = begin + total * done
        work = share * budget.work_limit if budget.work_limit is not None else None
        if kind in ("full", "cp-lns") and _full_pass(search, budget, deadline, work, kind):
            return True
        if kind == "lns":
            lns.improve(
                search,
                deadline=deadline,
                seed=budget.seed + search.rounds,
                workers=budget.workers,
                work_limit=ROUND_WORK,
                max_rounds=None if work is None else search.rounds + int(work / ROUND_WORK),
                patience=budget.patience,
            )
        if search.value <= search.lower_bound:
            return True
    return False


def _full_pass(
    search: lns.Search, budget: Budget, deadline: float, work: float | None, kind: str = "full"
) -> bool:
    """Hinted CP-SAT on the whole model until ``deadline``; True when proved optimal.

    ``kind="cp-lns"`` restricts CP-SAT to its own LNS workers (it cannot prove optimality).
    """
    c = search.c
    room = work if work is not None else deadline - time.monotonic()
    if _arc_count(c) > MAX_FULL_ARCS or room < c.num_ops / FULL_OPS_PER_S:
        return False
    spec = replace(search.base, incumbent=search.best, bound=search.value)
    spec.horizon = horizon_bound(spec, search.value)
    built = cpsat.build(c, spec)
    outcome = cpsat.run(
        built,
        seed=budget.seed,
        workers=budget.workers,
        time_limit=max(0.01, deadline - time.monotonic()),
        work_limit=work,
        repeatable=budget.work_limit is not None,
        lns_only=kind == "cp-lns",
    )
    if outcome.solution is not None:
        value = lns.value_of(c, search.base, outcome.solution)
        if value <= search.value:
            search.best, search.value = outcome.solution, value
        search.lower_bound = max(search.lower_bound, outcome.bound)
    if outcome.status == "OPTIMAL":
        search.lower_bound = search.value
    return outcome.status == "OPTIMAL"


def _full_pass_from_scratch(c: Compiled, spec: cpsat.Spec, budget: Budget) -> Solution:
    """When the calendars leave too little room for a greedy schedule, let CP-SAT decide."""
    outcome = cpsat.run(
        cpsat.build(c, spec), seed=budget.seed, workers=budget.workers, time_limit=budget.left()
    )
    if outcome.solution is None:
        reason = "the machines' windows leave too little capacity for all operations"
        if outcome.status != "INFEASIBLE":
            reason = "no feasible schedule found within the time limit"
        raise Infeasible(
            "the problem has no feasible schedule", [Problem("calendar", reason, "no_capacity")]
        )
    return outcome.solution


def horizon_bound(spec: cpsat.Spec, value: int) -> int | None:
    """Latest useful end when the objective is capped at ``value``.

    Every term is >= 0, so ``makespan weight × makespan <= value``: nothing ends later. This
    keeps the model small (fewer calendar blocks, tighter domains). None without a makespan
    term.
    """
    return value // spec.objective.makespan if spec.objective.makespan else None


def _overflows(c: Compiled, sol: Solution) -> bool:
    return any(sol.end(c, i) >= min(FOREVER, c.horizon) for i in range(c.num_ops))


def _arc_count(c: Compiled) -> int:
    counts = [0] * c.num_machines
    for modes in c.modes:
        for m, _ in modes:
            counts[m] += 1
    return sum(n * n for m, n in enumerate(counts) if c.has_setups(m))


def trivial_bound(c: Compiled, spec: cpsat.Spec) -> int:
    """Makespan lower bound (longest chain, busiest single-mode machine) × its weight."""
    if (spec.stability and spec.previous) or not spec.objective.makespan:
        return 0
    head = [0] * c.num_ops
    for i in c.topo:
        pin = spec.pins.get(i)
        floor = pin.start if pin else max(c.release[i], spec.floor)
        head[i] = max([floor, *(head[p] + min(d for _, d in c.modes[p]) for p in c.preds[i])])
    chain = max((head[i] + c.tails[i] for i in range(c.num_ops)), default=0)
    load = [0] * c.num_machines
    for modes in c.modes:
        if len(modes) == 1:
            load[modes[0][0]] += modes[0][1]
    return spec.objective.makespan * max(chain, max(load, default=0))


def relaxed_bound(c: Compiled, spec: cpsat.Spec) -> int:
    """Objective lower bound with the machines' capacity relaxed (changeovers too): each
    operation ends no earlier than its predecessors, release, calendar and fastest mode allow;
    the makespan term also counts the busiest single-mode machine. Moves cost >= 0.

    On the re-planner's problems (mostly short orders on a plant with room) the repaired plan
    often meets it: then it is proved optimal and no search runs.
    """
    end = [0] * c.num_ops
    for i in c.topo:
        pin = spec.pins.get(i)
        if pin is not None:
            end[i] = pin.start + c.modes[i][pin.mode][1]
            continue
        ready = max([c.release[i], spec.floor, *(end[p] for p in c.preds[i])])
        end[i] = min(earliest_fit(c.blocked[m], ready, d) + d for m, d in c.modes[i])
    objective = spec.objective
    tardiness = flow = 0
    for j, ops in enumerate(c.order_ops):
        if not ops:
            continue
        done = max(end[i] for i in ops)
        flow += c.weight[j] * (done - order_release(c, j))
        due = c.due[j]
        if due is not None:
            tardiness += c.weight[j] * max(0, done - due)
    load = [0] * c.num_machines
    for modes in c.modes:
        if len(modes) == 1:
            load[modes[0][0]] += modes[0][1]
    makespan = max([*end, *load], default=0)
    return objective.makespan * makespan + objective.tardiness * tardiness + objective.flow * flow


def to_schedule(
    c: Compiled,
    spec: cpsat.Spec,
    sol: Solution,
    lower_bound: int,
    optimal: bool,
    stats: dict[str, float],
) -> Schedule:
    """The public :class:`Schedule` for an index-form solution, with reasons."""
    score = evaluate(c, sol, spec.objective)
    reasons = explain(c, sol, set(spec.pins))
    rows = tuple(
        ScheduledOperation(
            operation=c.op_ids[i],
            order=c.problem.orders[c.op_order[i]].id,
            machine=c.problem.machines[sol.machine(c, i)].id,
            start=sol.start[i],
            end=sol.end(c, i),
            reason=reasons[i],
        )
        for i in range(c.num_ops)
    )
    movable = {i: v for i, v in spec.previous.items() if i not in spec.pins}
    return Schedule(
        operations=rows,
        makespan=score.makespan,
        weighted_tardiness=score.weighted_tardiness,
        objective=score.objective,
        lower_bound=lower_bound,
        optimal=optimal,
        moved=moved_count(c, sol, movable),
        stats=stats,
    )
