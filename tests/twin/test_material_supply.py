"""Material as the platform books it: operations report the lots they drew, a late supplier
shows as a shortage and as time blocked, purchased materials are never conjured."""

from __future__ import annotations

import pytest

from openfab.twin import (
    ListSink,
    MaterialShortage,
    OperationStarted,
    PlantLayout,
    ProductionPlan,
    PurchaseOrder,
    Twin,
)
from tests.twin.conftest import chain_plan, quiet


def test_an_operation_start_names_the_lots_it_drew(small_layout: PlantLayout) -> None:
    sink = ListSink()
    run = Twin(small_layout, seed=1, config=quiet(), sink=sink).run(chain_plan(4), 10_000)
    drawn = [use for e in sink.of(OperationStarted) for use in e.lots]
    assert {use.material for use in drawn} == {"steel"}
    assert sum(use.quantity for use in drawn) == pytest.approx(run.material_consumed["steel"])
    welds = [e for e in sink.of(OperationStarted) if e.code == "weld"]
    assert welds and all(e.lots == () for e in welds)  # no material at the second step


def test_a_late_supplier_counts_a_shortage_and_the_hours_blocked(
    small_layout: PlantLayout,
) -> None:
    """The press is planned at minute 0; the steel is due at 120 (no random delay): the
    operation waits two hours for it, and says so once."""
    plan = chain_plan(1, stock=0.0)
    late = PurchaseOrder("PO-9", "steel", 2.0, due=120.0, ordered_at=0.0)
    twin = Twin(small_layout, seed=1, config=quiet(supplier_delay_sigma=0.0), sink=ListSink())
    twin.submit(ProductionPlan(plan.work_orders, (late,)))
    waiting = twin.advance(60)
    assert waiting.material_shortages == 1
    assert waiting.material_blocked_minutes == pytest.approx(60.0)  # still blocked
    done = twin.advance(600)
    assert done.material_shortages == 1
    assert done.material_blocked_minutes == pytest.approx(120.0)
    assert done.events[MaterialShortage.kind] == 1


def test_enough_stock_means_no_shortage(small_layout: PlantLayout) -> None:
    run = Twin(small_layout, seed=1, config=quiet()).run(chain_plan(3), 2_000)
    assert run.material_shortages == 0
    assert run.material_blocked_minutes == 0.0


def test_auto_stock_spares_purchased_materials(small_layout: PlantLayout) -> None:
    """With auto stock, a material no supplier sells is received on demand; a purchased one
    waits for its purchase order even before the first was placed."""
    plan = chain_plan(1, stock=0.0)
    conjured = Twin(small_layout, seed=1, config=quiet(auto_stock=True)).run(plan, 500)
    assert conjured.material_shortages == 0 and conjured.operations_started == 2
    config = quiet(auto_stock=True, purchased=frozenset({"steel"}))
    bought = Twin(small_layout, seed=1, config=config).run(plan, 500)
    assert bought.material_shortages == 1 and bought.operations_started == 0
