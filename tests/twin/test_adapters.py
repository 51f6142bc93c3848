"""The planner's schedule runs on the twin as is: same machines, same operation ids."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from openfab.catalog.sample import load_sample_catalog
from openfab.errors import InvalidInput
from openfab.planning import ScheduledOperation, solve
from openfab.planning.shopfloor import PlanningOrder, RoutingOperation, build_problem
from openfab.twin import ListSink, OperationStarted, PlantLayout, PurchaseOrder, Twin
from openfab.twin.adapters import order_spec, plan_from_schedule
from tests.twin.conftest import quiet

ORIGIN = datetime(2026, 1, 5, tzinfo=UTC)


def test_a_solved_schedule_executes_on_the_sample_plant(plant: PlantLayout) -> None:
    catalog = load_sample_catalog()
    configured = {
        f"SO-{n}": catalog.configurator(product).complete({})
        for n, product in enumerate(["fridge", "washer", "ebike-battery", "fridge"])
    }
    planning_orders = [
        PlanningOrder(
            order_id=oid,
            tenant_id="t",
            family=c.product,
            due=ORIGIN + timedelta(days=3),
            release=ORIGIN,
            operations=tuple(
                RoutingOperation(
                    op.sequence,
                    op.code,
                    op.work_centers,
                    math.ceil(op.setup_minutes + op.run_minutes),
                )
                for op in c.routing
            ),
        )
        for oid, c in configured.items()
    ]
    problem = build_problem(planning_orders, catalog.work_centers, origin=ORIGIN)
    schedule = solve(problem, time_limit=5, workers=1, work_limit=2)
    specs = {oid: order_spec(c) for oid, c in configured.items()}
    plan = plan_from_schedule(schedule.operations, specs)
    needs: dict[str, float] = {}
    for wo in plan.work_orders:
        for op in wo.operations:
            for n in op.materials:
                needs[n.material] = needs.get(n.material, 0.0) + n.quantity
    stock = tuple(PurchaseOrder(f"S-{m}", m, q, due=0.0) for m, q in needs.items())
    plan = type(plan)(plan.work_orders, stock)
    sink = ListSink()
    result = Twin(plant, seed=1, config=quiet(), sink=sink).run(plan, 3 * 24 * 60)
    assert result.work_orders_finished == 4
    started = {e.operation: e.machine for e in sink.of(OperationStarted)}
    assert started == {s.operation: s.machine for s in schedule.operations}
    assert all(v == pytest.approx(0.0, abs=1e-6) for v in result.material_on_hand.values())


def test_schedule_rows_without_an_order_spec_are_named() -> None:
    rows = [
        ScheduledOperation("SO-1/10/1", "SO-1", "press-1", 0, 10),
        ScheduledOperation("bad-id", "SO-1", "press-1", 10, 20),
    ]
    with pytest.raises(InvalidInput) as err:
        plan_from_schedule(rows, {})
    assert {p.loc for p in err.value.problems} == {"operation SO-1/10/1", "operation bad-id"}
