"""``solve(problem)``: dispatching warm start, a full CP-SAT pass, then LNS to the deadline.

The three stages share one budget. The dispatching rules give a feasible schedule in
milliseconds; a full CP-SAT solve hinted with it gets a share of the budget (small
instances are proved optimal there); large-neighbourhood search spends the rest improving
the best schedule, which is what is returned when the time is up.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

from openfab.errors import Infeasible, Problem
from openfab.planning import cpsat, lns
from openfab.planning.compiled import FOREVER, Compiled
from openfab.planning.dispatch import RULES, best_dispatch
from openfab.planning.explain import explain
from openfab.planning.feasibility import prepare
from openfab.planning.model import Objective, ObjectiveName, ProblemData
from openfab.planning.schedule import Schedule, ScheduledOperation
from openfab.planning.solution import Solution, evaluate, moved_count

log = logging.getLogger(__name__)

FULL_SHARE = 0.3
"""Share of the budget for the full CP-SAT pass before LNS takes over."""
ROUND_WORK = 0.5
"""Deterministic work limit of one LNS sub-problem (CP-SAT's work units, about seconds)."""
MAX_FULL_ARCS = 60_000
"""Above this many changeover arcs the full model is skipped: LNS alone scales further."""


@dataclass(frozen=True)
class Budget:
    """Where the search stops: a wall-clock deadline and, optionally, a repeatable work limit."""

    deadline: float
    work_limit: float | None = None
    seed: int = 0
    workers: int = 2

    def left(self) -> float:
        return self.deadline - time.monotonic()


def solve(
    problem: ProblemData,
    *,
    time_limit: float = 30.0,
    seed: int = 0,
    objective: ObjectiveName | Objective = "makespan",
    workers: int = 2,
    work_limit: float | None = None,
) -> Schedule:
    """Schedule ``problem``; return the best schedule found within ``time_limit`` seconds.

    ``work_limit`` (CP-SAT deterministic work units, roughly seconds) makes a run exactly
    repeatable for a ``seed`` however loaded the machine is; ``time_limit`` always caps the
    wall-clock time. Raises ``InvalidInput`` or ``Infeasible`` naming what is wrong.
    """
    clock = time.monotonic()
    budget = Budget(clock + time_limit, work_limit, seed, workers)
    c = prepare(problem)
    spec = cpsat.Spec(objective=Objective.named(objective))
    return optimise(c, spec, budget)


def optimise(c: Compiled, spec: cpsat.Spec, budget: Budget, rules: tuple[str, ...] = RULES) -> Schedule:
    """Warm start, full pass, LNS (see module docstring) for a compiled problem."""
    clock = time.monotonic()
    pins = spec.pins
    start, rule = best_dispatch(c, spec.objective, rules=rules, pins=pins, floor=spec.floor)
    stats = {"dispatch_s": time.monotonic() - clock}
    if _overflows(c, start):
        start = _full_pass_from_scratch(c, spec, budget)
    search = lns.Search(c, spec, start, lns.value_of(c, spec, start))
    search.lower_bound = trivial_bound(c, spec)
    stats["dispatch_value"] = search.value
    log.debug("dispatch %s gives %d", rule, search.value)
    optimal = _full_pass(search, budget)
    if not optimal:
        rounds = None
        if budget.work_limit is not None:
            rounds = int(budget.work_limit * (1 - FULL_SHARE) / ROUND_WORK)
        lns.improve(
            search,
            deadline=budget.deadline,
            seed=budget.seed,
            workers=budget.workers,
            work_limit=ROUND_WORK,
            max_rounds=rounds,
        )
        optimal = search.value <= search.lower_bound
    stats.update(rounds=search.rounds, improvements=search.improvements)
    stats["seconds"] = time.monotonic() - clock
    return to_schedule(c, spec, search.best, search.lower_bound, optimal, stats)


def _full_pass(search: lns.Search, budget: Budget) -> bool:
    """Hinted CP-SAT on the whole model for a share of the budget; True when proved optimal."""
    c = search.c
    if _arc_count(c) > MAX_FULL_ARCS or search.value <= search.lower_bound:
        return search.value <= search.lower_bound
    spec = replace(search.base, incumbent=search.best, bound=search.value)
    built = cpsat.build(c, spec)
    share = max(0.0, budget.left()) * FULL_SHARE
    work = FULL_SHARE * budget.work_limit if budget.work_limit is not None else share
    outcome = cpsat.run(built, seed=budget.seed, workers=budget.workers, time_limit=share, work_limit=work)
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
        raise Infeasible("the problem has no feasible schedule", [Problem("calendar", reason, "no_capacity")])
    return outcome.solution


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
    if spec.stability and spec.previous or not spec.objective.makespan:
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
