"""Released work as the twin gets it: the planner's placement kept, every capable machine
named as an alternative, the order's arrival (FIFO's key) and its setup family."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from openfab.demo.plans import Step, Work, setup_family, twin_plan

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


def test_an_unplanned_step_may_run_on_any_machine_of_its_work_centers() -> None:
    plan = twin_plan(
        [work(1, 1, ["press", "paint"])],
        minutes=lambda t: (t - T0).total_seconds() / 60,
        now=5,
        machines=MACHINES,
    )
    press, paint = plan.work_orders[0].operations
    assert {press.machine, *press.alternatives} == {"press-1", "press-2"}
    assert paint.machine == "paint-1" and paint.alternatives == ()
    assert press.start == 5 and paint.start == press.end  # the routing's order, from now
    assert plan.work_orders[0].released == 1  # arrived a minute after T0: FIFO's key


def test_the_setup_family_is_the_product_and_its_variant() -> None:
    assert setup_family("fridge", {"size": "l", "finish": "white"}) == "fridge/white"
    assert setup_family("washer", {"capacity": "kg8"}) == "washer"
    assert setup_family("unknown", {"size": "l"}) == "unknown"
    plan = twin_plan(
        [work(1, 1, ["press"])],
        minutes=lambda t: 0.0,
        now=0,
        machines=MACHINES,
        families={"o1": "fridge/l"},
    )
    assert plan.work_orders[0].operations[0].family == "fridge/l"


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
