"""Nothing appears or vanishes: units and material balance at any moment of a run."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openfab.twin import (
    ListSink,
    MaterialLotArrived,
    OperationStarted,
    PlantLayout,
    ProductionPlan,
    Twin,
    TwinConfig,
    TwinRun,
    UnitProduced,
)
from tests.twin.conftest import chain_plan, quiet


def assert_balanced(result: TwinRun) -> None:
    assert (
        result.units_started == result.units_good + result.units_scrapped + result.units_in_process
    )
    assert result.units_in_process >= 0
    for material, received in result.material_received.items():
        consumed = result.material_consumed.get(material, 0.0)
        on_hand = result.material_on_hand.get(material, 0.0)
        assert received == pytest.approx(consumed + on_hand)
        assert on_hand >= -1e-9
        bom_and_scrap = result.material_bom.get(material, 0.0) + result.material_scrap.get(
            material, 0.0
        )
        assert consumed == pytest.approx(bom_and_scrap)


@pytest.mark.parametrize("hours", [3, 7, 11, 30])
def test_sample_plant_balances_at_any_time(
    plant: PlantLayout, day_plan: ProductionPlan, hours: int
) -> None:
    sink = ListSink()
    twin = Twin(plant, seed=4, config=TwinConfig(telemetry_period=0), sink=sink)
    result = twin.run(day_plan, hours * 60)
    assert_balanced(result)
    # material consumed is the plan's need per unit times the units that started the step
    needs = {op.id: op.materials for op in day_plan.operations}
    expected: dict[str, float] = defaultdict(float)
    for event in sink.of(OperationStarted):
        for need in needs[event.operation]:
            expected[need.material] += need.quantity * (1 + need.scrap_factor) * len(event.serials)
    assert set(expected) <= set(result.material_consumed)
    for material, quantity in expected.items():
        assert result.material_consumed[material] == pytest.approx(quantity)
    produced = sink.of(UnitProduced)
    assert len(produced) == result.units_good + result.units_scrapped


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    orders=st.integers(1, 12),
    quantity=st.integers(1, 4),
    scrap=st.sampled_from([0.0, 0.05, 0.5]),
    stock_share=st.floats(0.0, 1.5),
    until=st.floats(10, 1500),
    seed=st.integers(0, 10_000),
)
def test_chains_balance(
    small_layout: PlantLayout,
    orders: int,
    quantity: int,
    scrap: float,
    stock_share: float,
    until: float,
    seed: int,
) -> None:
    """Whatever the stock (short or plenty), quantities and stopping time: it balances."""
    full = 2.0 * (1 + scrap) * quantity * orders
    plan = chain_plan(orders, quantity=quantity, scrap=scrap, stock=full * stock_share)
    result = Twin(small_layout, seed=seed, config=quiet()).run(plan, until)
    assert_balanced(result)
    assert result.material_scrap.get("steel", 0.0) == pytest.approx(
        result.material_bom.get("steel", 0.0) * scrap
    )


def test_units_record_the_lots_they_used_first_in_first_out(small_layout: PlantLayout) -> None:
    sink = ListSink()
    plan = chain_plan(8, quantity=2, steel=2.0)  # 32 steel in 4 lots of 8
    Twin(small_layout, seed=1, config=quiet(), sink=sink).run(plan, 10_000)
    lots = [e.lot for e in sink.of(MaterialLotArrived)]
    assert lots == ["PO-1-L1", "PO-1-L2", "PO-1-L3", "PO-1-L4"]
    produced = sink.of(UnitProduced)
    assert len(produced) == 16
    used = [use.lot for unit in produced for use in unit.lots]
    assert used == sorted(used)  # older lots are used up first
    for unit in produced:
        assert sum(u.quantity for u in unit.lots) == pytest.approx(2.0)
        assert unit.machines == ("press-1", "welder-a")


def test_short_material_waits_for_its_lot(small_layout: PlantLayout) -> None:
    """With too little stock the second work order waits; a later purchase order frees it."""
    from dataclasses import replace

    from openfab.twin import MaterialShortage, PurchaseOrder

    sink = ListSink()
    plan = chain_plan(2, stock=2.0)
    twin = Twin(small_layout, seed=1, config=quiet(), sink=sink)
    first = twin.run(plan, 500)
    assert first.operations_started == 2  # WO0 both steps; WO1 blocked
    shortage = sink.of(MaterialShortage)
    assert [(s.operation, s.material) for s in shortage] == [("WO1/10", "steel")]
    late = PurchaseOrder("PO-2", "steel", 5.0, due=600.0, ordered_at=600.0)  # no lead time
    twin.submit(replace(plan, work_orders=(), purchase_orders=(late,)))
    result = twin.advance(2000)
    assert result.operations_started == 4
    started = {e.operation: e.time for e in sink.of(OperationStarted)}
    assert (started["WO1/10"] - twin.cfg.origin).total_seconds() / 60 == pytest.approx(600.0)
    assert_balanced(result)
