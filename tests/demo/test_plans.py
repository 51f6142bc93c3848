"""The baseline's FIFO dispatch: routings in order, machines never double-booked, only
eligible machines; the twin plan of a planned work order keeps the planner's placement."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from openfab.demo.plans import FifoDispatcher, Step, Work, twin_plan

T0 = datetime(2026, 1, 5, tzinfo=UTC)
MACHINES = {"press": ["press-1", "press-2"], "paint": ["paint-1"], "test": ["test-1"]}


def work(n: int, quantity: int, centers: list[str], planned: bool = False) -> Work:
    steps = tuple(
        Step(
            sequence=10 * (i + 1),
            code=c,
            work_centers=(c,),
            setup_minutes=5,
            run_minutes=7,
            machine=MACHINES[c][0] if planned else None,
            start=T0 + timedelta(minutes=30 * i) if planned else None,
            end=T0 + timedelta(minutes=30 * i + 20) if planned else None,
            status="Pending",
        )
        for i, c in enumerate(centers)
    )
    return Work(f"WO-{n}", "t", f"o{n}", "fridge", quantity, T0 + timedelta(minutes=n), steps, ())


routes = st.lists(st.sampled_from(sorted(MACHINES)), min_size=1, max_size=4)


@given(st.lists(st.tuples(routes, st.integers(1, 3)), min_size=1, max_size=12))
def test_fifo_never_double_books_and_keeps_routing_order(
    orders: list[tuple[list[str], int]],
) -> None:
    works = [work(n, q, r) for n, (r, q) in enumerate(orders)]
    plan = FifoDispatcher(MACHINES).plan(works, now=0)
    by_machine: dict[str, list[tuple[float, float]]] = {}
    for wo, (route, _) in zip(plan.work_orders, orders, strict=True):
        ends = 0.0
        for op, center in zip(wo.operations, route, strict=True):
            assert op.machine in MACHINES[center]
            assert op.start >= ends
            ends = op.end
            by_machine.setdefault(op.machine, []).append((op.start, op.end))
    for spans in by_machine.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


def test_first_come_first_served() -> None:
    late, early = work(2, 1, ["paint"]), work(1, 1, ["paint"])
    plan = FifoDispatcher(MACHINES).plan([late, early], now=0)
    starts = {wo.id: wo.operations[0].start for wo in plan.work_orders}
    assert starts["WO-1"] < starts["WO-2"]


def test_twin_plan_keeps_the_planners_machine_and_minutes() -> None:
    plan = twin_plan(
        [work(1, 2, ["press", "paint"], planned=True)],
        minutes=lambda t: (t - T0).total_seconds() / 60,
        now=0,
        machines=MACHINES,
    )
    ops = plan.work_orders[0].operations
    assert [(o.id, o.machine, o.start, o.end) for o in ops] == [
        ("WO-1/10", "press-1", 0, 20),
        ("WO-1/20", "paint-1", 30, 50),
    ]
