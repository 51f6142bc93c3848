"""The reference points OpenFab's scheduler is compared with, on the same problems.

- ``plain_cpsat``: the textbook CP-SAT model — interval variables (optional ones per eligible
  machine), a no-overlap per machine, makespan objective; no warm start, no LNS.
- ``best_rule``: the best single dispatching rule (each rule of the engine run alone).
- ``pyjobshop``: PyJobShop with its OR-Tools backend, when it is installed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from ortools.sat.python import cp_model

from openfab.planning.dispatch import RULES, dispatch
from openfab.planning.feasibility import prepare
from openfab.planning.model import Objective, ProblemData
from openfab.planning.solution import Solution, evaluate


@dataclass(frozen=True)
class Result:
    makespan: int | None
    seconds: float
    note: str = ""


def plain_cpsat(
    problem: ProblemData, *, time_limit: float, workers: int = 2, seed: int = 0
) -> Result:
    """Makespan of the plain model after ``time_limit`` seconds."""
    model = cp_model.CpModel()
    horizon = sum(max(m.duration for m in op.modes) for o in problem.orders for op in o.operations)
    per_machine: dict[str, list[Any]] = {m.id: [] for m in problem.machines}
    job_ends = []
    for order in problem.orders:
        previous_end = None
        for op in order.operations:
            start = model.new_int_var(0, horizon, "")
            end = model.new_int_var(0, horizon, "")
            literals = []
            for mode in op.modes:
                lit = model.new_bool_var("") if len(op.modes) > 1 else model.new_constant(1)
                interval = model.new_optional_interval_var(start, mode.duration, end, lit, "")
                per_machine[mode.machine].append(interval)
                literals.append(lit)
            model.add_exactly_one(literals)
            if previous_end is not None:
                model.add(start >= previous_end)
            previous_end = end
        job_ends.append(previous_end)
    for intervals in per_machine.values():
        model.add_no_overlap(intervals)
    makespan = model.new_int_var(0, horizon, "makespan")
    model.add_max_equality(makespan, job_ends)
    model.minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    status = solver.solve(model)
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    note = "optimal" if status == cp_model.OPTIMAL else ""
    return Result(int(solver.objective_value) if found else None, solver.wall_time, note)


def best_rule(problem: ProblemData) -> Result:
    """The best makespan over the engine's rules, each run alone (active and non-delay)."""
    import time

    clock = time.monotonic()
    c = prepare(problem)
    best: tuple[int, str] | None = None
    for rule in RULES:
        for active in (True, False):
            sol: Solution = dispatch(c, rule, c.tails, pins={}, active=active)
            value = evaluate(c, sol, Objective()).makespan
            if best is None or value < best[0]:
                best = (value, f"{rule}-{'active' if active else 'nondelay'}")
    assert best is not None
    return Result(best[0], time.monotonic() - clock, best[1])


def pyjobshop_available() -> bool:
    try:
        import pyjobshop  # noqa: F401
    except ImportError:
        return False
    return True


def pyjobshop_solve(
    problem: ProblemData, *, time_limit: float, workers: int = 2, seed: int = 0
) -> Result:
    """PyJobShop's OR-Tools model of the same flexible job shop, makespan objective."""
    import pyjobshop as pjs

    model = pjs.Model()
    machines = {m.id: model.add_machine(name=m.id) for m in problem.machines}
    for order in problem.orders:
        job = model.add_job(name=order.id)
        tasks = []
        for op in order.operations:
            task = model.add_task(job=job, name=op.id)
            for mode in op.modes:
                model.add_mode(task, machines[mode.machine], mode.duration)
            tasks.append(task)
        for a, b in itertools.pairwise(tasks):
            model.add_end_before_start(a, b)
    result = model.solve(
        solver="ortools",
        time_limit=time_limit,
        display=False,
        num_workers=workers,
        random_seed=seed,
    )
    value = int(result.objective) if result.status.value in ("Optimal", "Feasible") else None
    return Result(value, float(result.runtime), str(result.status.value).lower())
