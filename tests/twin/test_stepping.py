"""Step-by-step runs: advance to any time, add plans and re-plan mid-run."""

from __future__ import annotations

from dataclasses import replace

import pytest

from openfab.errors import InvalidInput
from openfab.twin import (
    ListSink,
    MachineStateChanged,
    OperationStarted,
    PlantLayout,
    ProductionPlan,
    Twin,
    TwinConfig,
)
from tests.twin.conftest import chain_plan, quiet
from tests.twin.test_determinism import fingerprint


def test_steps_give_the_same_run_as_one_call(plant: PlantLayout, day_plan: ProductionPlan) -> None:
    cfg = TwinConfig(telemetry_period=10.0)
    whole, steps = ListSink(), ListSink()
    one = Twin(plant, seed=9, config=cfg, sink=whole).run(day_plan, 600)
    twin = Twin(plant, seed=9, config=cfg, sink=steps)
    twin.submit(day_plan)
    for t in (17.5, 100, 100, 333.3, 599, 600):
        stepped = twin.advance(t)
    assert fingerprint(whole.events) == fingerprint(steps.events)
    assert stepped == one


def test_time_only_moves_forward(small_layout: PlantLayout) -> None:
    twin = Twin(small_layout, config=quiet())
    twin.advance(50)
    with pytest.raises(InvalidInput, match="back in time"):
        twin.advance(10)


def test_replanning_moves_waiting_operations(small_layout: PlantLayout) -> None:
    """The planner moves work from press-1 to press-2; what already started stays."""
    sink = ListSink()
    twin = Twin(small_layout, seed=1, config=quiet(), sink=sink)
    plan = chain_plan(6)
    twin.run(plan, 45)  # WO0 pressed, WO1 pressing
    moved = tuple(
        replace(
            wo,
            operations=(replace(wo.operations[0], machine="press-2"), *wo.operations[1:]),
        )
        for wo in plan.work_orders
    )
    submitted = twin.submit(replace(plan, work_orders=moved, purchase_orders=()))
    assert submitted.added == 0
    assert submitted.kept == 3  # WO0/10, WO0/20 and WO1/10 had started
    assert submitted.updated == 9
    twin.advance(2000)
    machines = {e.operation: e.machine for e in sink.of(OperationStarted)}
    assert machines["WO0/10"] == machines["WO1/10"] == "press-1"
    assert {machines[f"WO{n}/10"] for n in range(2, 6)} == {"press-2"}


def test_new_orders_join_mid_run(small_layout: PlantLayout) -> None:
    twin = Twin(small_layout, seed=1, config=quiet())
    twin.run(chain_plan(2), 100)
    later = chain_plan(3)
    renamed = tuple(
        replace(
            wo,
            id=f"B{wo.id}",
            operations=tuple(
                replace(op, id=f"B{op.id}", start=op.start + 200, end=op.end + 200)
                for op in wo.operations
            ),
        )
        for wo in later.work_orders
    )
    po = replace(later.purchase_orders[0], id="PO-B")
    result = twin.run(ProductionPlan(renamed, (po,)), 1000)
    assert result.work_orders_finished == 5


def test_machine_down_events_say_when_it_is_back(small_layout: PlantLayout) -> None:
    sink = ListSink()
    cfg = quiet(initial_wear=2.5, repair_minutes=45.0)
    Twin(small_layout, seed=4, config=cfg, sink=sink).run(chain_plan(30), 5000)
    down = [e for e in sink.of(MachineStateChanged) if e.state == "Down"]
    assert down
    for e in down:
        assert e.expected_end is not None
        assert (e.expected_end - e.time).total_seconds() == pytest.approx(45 * 60)


def test_stop_at_a_breakdown_and_replan(small_layout: PlantLayout) -> None:
    """The planner's loop: run until a machine goes down, move its work, carry on."""
    sink = ListSink()
    cfg = quiet(initial_wear=2.5, random_failures_per_hour=0.0)
    twin = Twin(small_layout, seed=4, config=cfg, sink=sink)
    plan = chain_plan(30)
    twin.submit(plan)

    def is_down(e: object) -> bool:
        return isinstance(e, MachineStateChanged) and e.state == "Down"

    halted = twin.advance(5000, stop_when=is_down)
    assert halted.until < 5000
    last = sink.events[-1]
    assert is_down(last) and twin.now == pytest.approx(
        (last.time - twin.cfg.origin).total_seconds() / 60
    )
    rest = twin.advance(6000)  # the first call's end (5000) no longer stops it
    assert rest.until == 6000
    assert rest.work_orders_finished == 30
