"""The plant and its orders as a scheduling problem (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from openfab.catalog.definition import WorkCenter
from openfab.planning import assert_valid, solve
from openfab.planning.shopfloor import (
    PlanningOrder,
    RoutingOperation,
    build_problem,
    shifts,
    split_operation_id,
    sub_lots,
)

PRESS = WorkCenter("press", "Press", 2, 16)
OVEN = WorkCenter("oven", "Oven", 1, 24)
ORIGIN = datetime(2026, 3, 2, tzinfo=UTC)


def test_sixteen_hour_centers_work_from_six_to_ten() -> None:
    windows = shifts(PRESS, 2)
    assert windows is not None
    assert [(w.start, w.end) for w in windows] == [(360, 1320), (1800, 2760)]
    assert shifts(OVEN, 2) is None


@given(st.integers(1, 20_000))
def test_sub_lots_fit_a_shift_and_keep_every_minute(minutes: int) -> None:
    parts = sub_lots(minutes, [PRESS])
    assert sum(parts) == minutes
    assert max(parts) <= 16 * 60
    assert max(parts) - min(parts) <= 1


def test_orders_become_work_orders_on_every_eligible_machine() -> None:
    order = PlanningOrder(
        order_id="o1",
        tenant_id="t",
        family="fridge",
        due=ORIGIN + timedelta(days=3),
        release=ORIGIN + timedelta(hours=7),
        operations=(RoutingOperation(1, "press", ("press", "oven"), 90),),
    )
    problem = build_problem([order], {"press": PRESS, "oven": OVEN}, origin=ORIGIN)
    (work_order,) = problem.orders
    assert work_order.release == 7 * 60
    assert work_order.due == 3 * 24 * 60
    (op,) = work_order.operations
    assert {m.machine for m in op.modes} == {"press-1", "press-2", "oven-1"}
    assert split_operation_id(op.id) == ("o1", 1)


@given(
    st.lists(
        st.lists(
            st.tuples(st.sampled_from(["press", "oven"]), st.integers(5, 1500)),
            min_size=1,
            max_size=4,
        ),
        min_size=1,
        max_size=5,
    ),
    st.integers(0, 48),
)
@settings(max_examples=15, deadline=None)
def test_plant_problems_solve_to_valid_schedules_with_downtime(
    routings: list[list[tuple[str, int]]], down_hour: int
) -> None:
    orders = [
        PlanningOrder(
            order_id=f"o{i}",
            tenant_id="t",
            family="f",
            due=ORIGIN + timedelta(days=2),
            release=ORIGIN,
            operations=tuple(
                RoutingOperation(n + 1, wc, (wc,), minutes) for n, (wc, minutes) in enumerate(r)
            ),
        )
        for i, r in enumerate(routings)
    ]
    start = ORIGIN + timedelta(hours=down_hour)
    downtime = {"press-1": [(start, start + timedelta(hours=5))]}
    centers = {"press": PRESS, "oven": OVEN}
    problem = build_problem(orders, centers, origin=ORIGIN, downtime=downtime)
    schedule = solve(problem, time_limit=2, workers=1)
    assert_valid(problem, schedule)  # the engine's independent checker
