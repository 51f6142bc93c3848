"""Random small shops: every schedule passes the checker, tiny ones match brute force.

The brute force enumerates every machine choice and every order on every machine, and
left-shifts each operation as far as precedence, changeover and calendar allow; it shares
no code with the solver.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openfab.planning import (
    Machine,
    Mode,
    Operation,
    ProblemData,
    Window,
    WorkOrder,
    assert_valid,
    solve,
)

FAMILIES = ("red", "blue")


@st.composite
def tiny_shops(draw: st.DrawFn, max_ops: int = 5) -> ProblemData:
    """2 machines, up to 3 work orders and ``max_ops`` operations, setups and a lunch break."""
    machines = []
    for k in range(2):
        setups = {(a, b): draw(st.integers(0, 3)) for a in FAMILIES for b in FAMILIES if a != b}
        shifts = None
        if draw(st.booleans()):
            lunch = draw(st.integers(4, 12))
            shifts = (Window(0, lunch), Window(lunch + draw(st.integers(1, 4)), 200))
        machines.append(Machine(f"M{k}", shifts=shifts, setup_times=setups))
    orders, count = [], 0
    for j in range(draw(st.integers(1, 3))):
        ops = []
        for k in range(draw(st.integers(1, 2))):
            if count == max_ops:
                break
            count += 1
            eligible = draw(st.sampled_from([["M0"], ["M1"], ["M0", "M1"]]))
            modes = tuple(Mode(m, draw(st.integers(1, 6))) for m in eligible)
            ops.append(Operation(f"O{j}{k}", modes, draw(st.sampled_from(FAMILIES))))
        if ops:
            orders.append(WorkOrder(f"W{j}", tuple(ops), release=draw(st.integers(0, 3))))
    return ProblemData(tuple(machines), tuple(orders))


def brute_force_makespan(problem: ProblemData) -> int:
    ops = [(order, op) for order in problem.orders for op in order.operations]
    best = 10**9
    for modes in itertools.product(*(op.modes for _, op in ops)):
        for sequences in _sequences(problem, ops, modes):
            value = _left_shifted_makespan(problem, ops, modes, sequences)
            best = min(best, value)
    return best


def _sequences(
    problem: ProblemData, ops: list[tuple[WorkOrder, Operation]], modes: tuple[Mode, ...]
) -> Iterator[dict[str, tuple[int, ...]]]:
    per_machine = {
        m.id: [k for k, md in enumerate(modes) if md.machine == m.id] for m in problem.machines
    }
    names = list(per_machine)
    for combo in itertools.product(*(itertools.permutations(per_machine[n]) for n in names)):
        yield dict(zip(names, combo, strict=True))


def _left_shifted_makespan(
    problem: ProblemData,
    ops: list[tuple[WorkOrder, Operation]],
    modes: tuple[Mode, ...],
    sequences: dict[str, tuple[int, ...]],
) -> int:
    index = {op.id: k for k, (_, op) in enumerate(ops)}
    machines = {m.id: m for m in problem.machines}
    end: dict[int, int] = {}
    position = dict.fromkeys(sequences, 0)
    progress = True
    while progress and len(end) < len(ops):
        progress = False
        for name, seq in sequences.items():
            if position[name] == len(seq):
                continue
            k = seq[position[name]]
            order, op = ops[k]
            route = [o.id for o in order.operations]
            pos = route.index(op.id)
            before = index[route[pos - 1]] if pos else None
            if before is not None and before not in end:
                continue
            machine = machines[name]
            t = max(order.release, end[before] if before is not None else 0)
            if position[name]:
                prev = seq[position[name] - 1]
                setup = machine.setup_times.get((ops[prev][1].family or "", op.family or ""), 0)
                t = max(t, end[prev] + setup)
            end[k] = _fit(machine, t, modes[k].duration) + modes[k].duration
            position[name] += 1
            progress = True
    return max(end.values()) if len(end) == len(ops) else 10**9


def _fit(machine: Machine, t: int, duration: int) -> int:
    windows = machine.shifts or (Window(0, 10**6),)
    while not any(w.start <= t and t + duration <= w.end for w in windows):
        t += 1
        if t > 10**4:
            return 10**6
    return t


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_shops())
def test_tiny_shops_match_brute_force(problem: ProblemData) -> None:
    schedule = solve(problem, time_limit=5, work_limit=0.5)
    assert_valid(problem, schedule)
    assert schedule.makespan == brute_force_makespan(problem)


@st.composite
def small_shops(draw: st.DrawFn) -> ProblemData:
    """Up to 4 machines and 6 work orders with calendars, downtime, setups and due dates."""
    machines = []
    for k in range(draw(st.integers(1, 4))):
        shifts = None
        if draw(st.booleans()):
            shifts = (Window(0, 60), Window(70, 130), Window(140, 2000))
        downtime = (Window(30, 45),) if draw(st.booleans()) else ()
        setups = {("a", "b"): draw(st.integers(0, 9)), ("b", "a"): draw(st.integers(0, 9))}
        machines.append(
            Machine(f"M{k}", shifts, downtime, setups, draw(st.sampled_from([None, "a"])))
        )
    ids = [m.id for m in machines]
    orders = []
    for j in range(draw(st.integers(1, 6))):
        ops = []
        for k in range(draw(st.integers(1, 4))):
            eligible = draw(
                st.lists(st.sampled_from(ids), min_size=1, max_size=len(ids), unique=True)
            )
            modes = tuple(Mode(m, draw(st.integers(1, 30))) for m in eligible)
            ops.append(Operation(f"W{j}-{k}", modes, draw(st.sampled_from(["a", "b", None]))))
        due = draw(st.one_of(st.none(), st.integers(0, 300)))
        orders.append(
            WorkOrder(f"W{j}", tuple(ops), draw(st.integers(0, 50)), due, draw(st.integers(1, 5)))
        )
    return ProblemData(tuple(machines), tuple(orders))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_shops(), st.sampled_from(["makespan", "tardiness", "mix"]))
def test_random_shops_always_get_valid_schedules(problem: ProblemData, objective: str) -> None:
    schedule = solve(problem, time_limit=5, work_limit=0.2, objective=objective)  # type: ignore[arg-type]
    assert_valid(problem, schedule)
    assert schedule.lower_bound <= schedule.objective
