"""Purchasing in the loop: the plant starts with an opening stock, each planner buys its
material, every lot the twin receives is booked as a receipt and every lot it draws as an
issue, so the platform's books and the twin's stock agree, and running short shows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import select

from openfab.demo.cli import compare_table
from openfab.demo.report import render
from openfab.demo.run import DemoConfig, DemoResult, run_demo
from openfab.errors import InvalidInput
from openfab.execution.orm import UnitMaterialRow
from openfab.identity.actor import Actor
from openfab.planning.mrp.orm import MaterialLotRow
from openfab.planning.mrp.reorder_point import ReorderPolicy
from openfab.platform import Platform
from openfab.store.tenancy import Scope

pytestmark = pytest.mark.xdist_group("demo-purchasing")
SHORT = DemoConfig(days=0.5, orders_per_day=40, seed=5, plan_seconds=2, telemetry_minutes=30)
TOL = 1e-3
STORES = Actor.system("test")


def open_platform(folder: Path, name: str) -> Platform:
    return Platform.open(f"sqlite:///{folder / name}.db")


@pytest.fixture(scope="module")
def openfab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Platform, DemoResult]]:
    platform = open_platform(tmp_path_factory.mktemp("openfab"), "openfab")
    yield platform, run_demo(platform, SHORT)
    platform.close()


@pytest.fixture(scope="module")
def starved(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Platform, DemoResult]]:
    """The baseline starting with nothing: its suppliers take days, so the plant runs short."""
    platform = open_platform(tmp_path_factory.mktemp("fifo"), "fifo")
    config = DemoConfig(
        days=0.5,
        orders_per_day=40,
        seed=5,
        ai=frozenset(),
        telemetry_minutes=30,
        opening_stock_days=-100,
        reorder=ReorderPolicy(safety_days=2, cover_days=5),
    )
    yield platform, run_demo(platform, config)
    platform.close()


def test_material_is_conserved_in_the_books_and_the_twin(
    openfab: tuple[Platform, DemoResult],
) -> None:
    """Per material: received = issued + on hand in the platform, the twin's balance holds,
    and both agree on what came in and what is left."""
    platform, result = openfab
    twin = result.twin_run
    assert twin is not None and result.material_received
    assert set(result.material_received) == set(twin.material_received)
    for material, received in result.material_received.items():
        issued = result.material_issued.get(material, 0.0)
        on_hand = result.material_on_hand[material]
        assert received == pytest.approx(issued + on_hand, abs=TOL), material
        assert twin.material_received[material] == pytest.approx(
            twin.material_consumed.get(material, 0.0) + twin.material_on_hand[material], abs=TOL
        )
        assert received == pytest.approx(twin.material_received[material], abs=TOL), material
        assert on_hand == pytest.approx(twin.material_on_hand[material], abs=TOL), material
    stock = {s.material: float(s.on_hand) for s in platform.materials.stock(STORES)}
    for material, on_hand in result.material_on_hand.items():
        assert stock[material] == pytest.approx(on_hand, abs=TOL)
    assert sum(result.material_issued.values()) > 0


def test_genealogy_lots_are_the_platforms_lots(openfab: tuple[Platform, DemoResult]) -> None:
    platform, _ = openfab
    with platform.db.unit(Scope.plant(), actor="system:test", readonly=True) as uow:
        consumed = set(uow.session.scalars(select(UnitMaterialRow.lot)))
        lots = set(uow.session.scalars(select(MaterialLotRow.lot)))
    assert consumed and consumed <= lots


def test_opening_stock_covers_a_short_run(openfab: tuple[Platform, DemoResult]) -> None:
    _, result = openfab
    assert result.kpis.material_shortages == 0
    assert result.kpis.material_blocked_hours == 0
    assert result.kpis.average_inventory_value > 0
    assert all(po.id.startswith("PO-") for po in result.purchases)  # the autopilot's orders
    assert result.kpis.purchase_orders == len(result.purchases)


def test_the_baseline_places_reorder_point_orders(starved: tuple[Platform, DemoResult]) -> None:
    """Below its reorder point from the start, the baseline orders every material at once,
    each due after its supplier's lead time."""
    _, result = starved
    first = [po for po in result.purchases if po.ordered_at == 0.0]
    assert first and all(po.id.startswith("RP-") for po in result.purchases)
    assert len({po.material for po in first}) == len(first)  # one order per material
    assert all(po.due - po.ordered_at >= 3 * 1440 and po.supplier for po in first)
    assert result.kpis.purchase_orders == len(result.purchases)


def test_a_late_supplier_shows_as_shortages_and_hours_blocked(
    starved: tuple[Platform, DemoResult],
) -> None:
    _, result = starved
    twin = result.twin_run
    assert twin is not None
    assert result.kpis.material_shortages == twin.events["material.shortage"] > 0
    assert result.kpis.material_blocked_hours > 0
    assert result.kpis.material_blocked_hours == pytest.approx(twin.material_blocked_minutes / 60)


def test_the_runs_message_ids_name_the_arm(
    openfab: tuple[Platform, DemoResult], starved: tuple[Platform, DemoResult]
) -> None:
    ours, baseline = openfab[1].twin_config, starved[1].twin_config
    assert ours is not None and baseline is not None
    assert ours.run_id.startswith("openfab-") and baseline.run_id.startswith("baseline-")


def test_the_report_and_the_comparison_show_the_material_kpis(
    openfab: tuple[Platform, DemoResult], starved: tuple[Platform, DemoResult]
) -> None:
    page = render(openfab[1])
    table = compare_table([starved[1]], [openfab[1]])
    shown = Console(width=200, record=True)
    shown.print(table)
    text = shown.export_text()
    for label in ("purchase orders", "inventory value", "material shortages", "blocked"):
        assert label in page and label in text


@pytest.mark.parametrize("days", [-1000.0, 1e6, float("nan")])  # NaN compares false
def test_a_bad_opening_stock_is_refused_by_name(days: float) -> None:
    with pytest.raises(InvalidInput) as caught:
        DemoConfig(opening_stock_days=days)
    assert [p.loc for p in caught.value.problems] == ["opening_stock_days"]
