"""The tabu search returns valid schedules, never worse than its start, and finds optima."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openfab.planning import (
    Machine,
    Mode,
    Operation,
    Precedence,
    ProblemData,
    WorkOrder,
    assert_valid,
    hybrid,
    solve,
    tabu,
)
from openfab.planning.compiled import Compiled
from openfab.planning.cpsat import Spec, build, run
from openfab.planning.dispatch import dispatch
from openfab.planning.feasibility import prepare
from openfab.planning.model import Objective
from openfab.planning.readers import build_problem
from openfab.planning.solution import Solution, evaluate
from openfab.planning.solver import to_schedule
from tests.planning.shops import random_shop

FT06 = [
    [(2, 1), (0, 3), (1, 6), (3, 7), (5, 3), (4, 6)],
    [(1, 8), (2, 5), (4, 10), (5, 10), (0, 10), (3, 4)],
    [(2, 5), (3, 4), (5, 8), (0, 9), (1, 1), (4, 7)],
    [(1, 5), (0, 5), (2, 5), (3, 3), (4, 8), (5, 9)],
    [(2, 9), (1, 3), (4, 5), (5, 4), (0, 3), (3, 1)],
    [(1, 3), (3, 3), (5, 9), (0, 10), (4, 4), (2, 1)],
]
"""Fisher and Thompson's 6 × 6 job shop: (machine, duration) per job."""


def _ft06() -> ProblemData:
    return build_problem(6, [[[(m + 1, d)] for m, d in job] for job in FT06])


def _start(c: Compiled) -> Solution:
    return dispatch(c, "spt", c.tails, pins={}, active=False)


def _makespan(c: Compiled, sol: Solution) -> int:
    return evaluate(c, sol, Objective()).makespan


def _check(problem: ProblemData, c: Compiled, out: tabu.Outcome) -> None:
    schedule = to_schedule(c, Spec(Objective()), out.solution, 0, False, {})
    assert_valid(problem, schedule)
    assert schedule.makespan == out.makespan


def _proved_optimum(c: Compiled) -> int:
    outcome = run(build(c, Spec(Objective())), seed=0, workers=1, time_limit=30)
    assert outcome.status == "OPTIMAL"
    assert outcome.solution is not None
    return _makespan(c, outcome.solution)


@pytest.mark.parametrize("wide", [True, False])
def test_reaches_the_proved_optimum_of_ft06(wide: bool) -> None:
    problem = _ft06()
    c = prepare(problem)
    start = _start(c)
    out = tabu.search(
        c,
        start,
        deadline=time.monotonic() + 30,
        max_iterations=3000,
        settings=tabu.Settings(wide=wide),
    )
    _check(problem, c, out)
    assert out.makespan == _proved_optimum(c)
    assert out.makespan < _makespan(c, start)


def test_same_seed_same_schedule() -> None:
    c = prepare(random_shop(orders=12, machines=5, seed=3))
    start = _start(c)
    runs = [
        tabu.search(c, start, deadline=time.monotonic() + 60, seed=5, max_iterations=400)
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


def test_stops_at_the_lower_bound() -> None:
    c = prepare(_ft06())
    out = tabu.search(c, _start(c), deadline=time.monotonic() + 30, lower_bound=10**6)
    assert out.iterations == 0


def test_deadline_is_respected() -> None:
    c = prepare(random_shop(orders=30, machines=8, seed=1, ops=8))
    clock = time.monotonic()
    tabu.search(c, _start(c), deadline=clock + 0.3)
    assert time.monotonic() - clock < 0.3 + 2.0  # a guard against a hang, not a timing


def test_only_plain_disjunctive_problems_apply() -> None:
    assert tabu.applies(prepare(_ft06()))
    changeover = Machine("M1", setup_times={("a", "b"): 5})
    orders = tuple(
        WorkOrder(f"W{k}", (Operation(f"W{k}/op", (Mode("M1", 3),), family),))
        for k, family in enumerate("ab")
    )
    assert not tabu.applies(prepare(ProblemData((changeover,), orders)))


@st.composite
def shops(draw: st.DrawFn) -> ProblemData:
    """Flexible job shops with release dates and links between orders (not chains)."""
    machines = draw(st.integers(1, 5))
    ids = [f"M{k}" for k in range(machines)]
    orders = []
    for j in range(draw(st.integers(1, 8))):
        ops = []
        for k in range(draw(st.integers(1, 5))):
            eligible = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True))
            modes = tuple(Mode(m, draw(st.integers(1, 40))) for m in eligible)
            ops.append(Operation(f"W{j}-{k}", modes))
        orders.append(WorkOrder(f"W{j}", tuple(ops), release=draw(st.integers(0, 30))))
    links = []  # sub-assemblies: an order's last operation before a later order's first
    for j in range(1, len(orders)):
        if draw(st.booleans()):
            before = orders[draw(st.integers(0, j - 1))].operations[-1].id
            links.append(Precedence(before, orders[j].operations[0].id))
    return ProblemData(tuple(Machine(m) for m in ids), tuple(orders), tuple(links))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shops(), st.integers(0, 3), st.booleans(), st.booleans())
def test_random_shops_give_valid_schedules_never_worse(
    problem: ProblemData, seed: int, wide: bool, reassign: bool
) -> None:
    c = prepare(problem)
    start = _start(c)
    out = tabu.search(
        c,
        start,
        deadline=time.monotonic() + 30,
        seed=seed,
        max_iterations=150,
        settings=tabu.Settings(wide=wide, stall=40, reassign=reassign),
    )
    _check(problem, c, out)
    assert out.makespan <= _makespan(c, start)
    if not reassign:
        assert out.solution.mode == start.mode


def test_solve_runs_the_hybrid_and_proves_ft06_optimal() -> None:
    problem = _ft06()
    c = prepare(problem)
    assert hybrid.applies(c, Spec(Objective()))
    assert not hybrid.applies(c, Spec(Objective.named("tardiness")))
    schedule = solve(problem, time_limit=20, work_limit=2.0)
    assert_valid(problem, schedule)
    assert schedule.optimal
    assert schedule.makespan == schedule.lower_bound == _proved_optimum(c)


def test_stop_ends_the_search() -> None:
    c = prepare(_ft06())
    out = tabu.search(c, _start(c), deadline=time.monotonic() + 30, stop=lambda: True)
    assert out.iterations == 0
    assert out.makespan == _makespan(c, _start(c))


def test_small_job_shop_returns_once_cp_sat_proves_optimality() -> None:
    """The tabu search stops when the complete search beside it finishes (not at the limit)."""
    problem = _ft06()
    clock = time.monotonic()
    schedule = solve(problem, time_limit=30)
    assert time.monotonic() - clock < 20  # ft06 is proved in well under a second idle
    assert_valid(problem, schedule)
    assert schedule.optimal
    assert schedule.makespan == _proved_optimum(prepare(problem))
