"""Plans are checked against the plant before the twin runs them; every fault is named."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from openfab.errors import InvalidInput
from openfab.twin import (
    MaintenanceWindow,
    MaterialNeed,
    PlantLayout,
    ProductionPlan,
    PurchaseOrder,
    Twin,
    TwinConfig,
    check_plan,
)
from tests.twin.conftest import chain_plan, quiet


def _first_op(plan: ProductionPlan, **changes: object) -> ProductionPlan:
    wo = plan.work_orders[0]
    ops = (replace(wo.operations[0], **changes), *wo.operations[1:])  # type: ignore[arg-type]
    return replace(plan, work_orders=(replace(wo, operations=ops), *plan.work_orders[1:]))


BASE = chain_plan(2)


@pytest.mark.parametrize(
    ("plan", "loc", "message"),
    [
        # a machine the plant does not have
        (_first_op(BASE, machine="press-9"), "WO0/10", "unknown machine press-9"),
        # ends before it starts
        (_first_op(BASE, end=0.0), "WO0/10", "start < end"),
        # setup longer than the planned time
        (_first_op(BASE, setup_minutes=99.0), "WO0/10", "setup"),
        # no load at all
        (_first_op(BASE, load=0.0), "WO0/10", "load"),
        # negative material
        (_first_op(BASE, materials=(MaterialNeed("steel", -1),)), "WO0/10", "material steel"),
        # the same operation id twice
        (_first_op(BASE, id="WO1/10"), "operation WO1/10", "duplicate"),
        # no units
        (
            replace(BASE, work_orders=(replace(BASE.work_orders[0], quantity=0),)),
            "work order WO0",
            "quantity",
        ),
        # a purchase order of nothing
        (
            replace(BASE, purchase_orders=(PurchaseOrder("P", "steel", 0, due=10),)),
            "purchase order P",
            "quantity",
        ),
        # delivered before it was ordered
        (
            replace(BASE, purchase_orders=(PurchaseOrder("P", "steel", 1, due=5, ordered_at=9),)),
            "purchase order P",
            "ordered_at",
        ),
        # maintenance on a machine that does not exist
        (
            replace(BASE, maintenance=(MaintenanceWindow("robot-7", 10, 20),)),
            "maintenance robot-7",
            "unknown machine",
        ),
    ],
)
def test_invalid_plans_name_the_fault(
    small_layout: PlantLayout, plan: ProductionPlan, loc: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        check_plan(plan, small_layout)
    assert any(loc in p.loc and message in p.msg for p in err.value.problems), err.value


def test_a_bad_plan_changes_nothing(small_layout: PlantLayout) -> None:
    twin = Twin(small_layout, config=quiet())
    with pytest.raises(InvalidInput):
        twin.submit(_first_op(BASE, machine="press-9"))
    assert twin.orders == {}
    assert twin.advance(100).operations_started == 0


def test_an_operation_cannot_move_to_another_work_order(small_layout: PlantLayout) -> None:
    twin = Twin(small_layout, config=quiet())
    twin.submit(chain_plan(1))
    clash = chain_plan(1)
    moved = replace(clash.work_orders[0], id="OTHER")
    with pytest.raises(InvalidInput, match="invalid production plan"):
        twin.submit(replace(clash, work_orders=(moved,)))


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"origin": datetime(2026, 1, 1)}, "origin"),  # naive time: whose midnight?
        ({"telemetry_period": -1.0}, "telemetry_period"),  # negative sample period
        ({"energy_period": 0.0}, "energy_period"),  # energy samples need a period
        ({"repair_restores": 1.5}, "repair_restores"),  # a repair cannot remove >100 % wear
        ({"scan_size": 4}, "scan_size"),  # too small to show a defect
        ({"sunrise_hour": 20.0}, "sunrise_hour"),  # the sun rises after it sets
        ({"sink_batch": 0}, "sink_batch"),  # nothing would ever be delivered
    ],
)
def test_invalid_config_names_the_setting(changes: dict[str, object], loc: str) -> None:
    with pytest.raises(InvalidInput) as err:
        TwinConfig(**changes)  # type: ignore[arg-type]
    assert [p.loc for p in err.value.problems] == [loc]


@pytest.mark.parametrize("until", [float("inf"), float("nan"), -5.0])
def test_advance_needs_a_finite_future_time(small_layout: PlantLayout, until: float) -> None:
    twin = Twin(small_layout, config=quiet())
    with pytest.raises(InvalidInput):
        twin.advance(until)
