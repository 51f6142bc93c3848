"""From configured orders to option series, and back to materials through a planning BOM."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest

from openfab.catalog.results import ConfiguredProduct
from openfab.catalog.sample import load_sample_catalog
from openfab.errors import InvalidInput, OpenFabError
from openfab.planning.demand import (
    ConfiguredOrder,
    DemandSensing,
    PlanningBom,
    material_forecast,
    material_history,
    option_history,
    planning_bom,
    safety_stocks,
    to_forecast_demand,
)
from openfab.planning.mrp.model import ForecastDemand

from .conftest import START, WEEKDAY


def fridge(options: set[str], shelves: float = 3, day: int = 0, qty: float = 1) -> ConfiguredOrder:
    """A toy fridge: 1 compressor of the chosen kind, 1 ice maker if chosen, a glass shelf each."""
    bom = {"compressor_inverter" if "inverter" in options else "compressor_fixed": 1.0}
    if "ice_maker" in options:
        bom["ice_maker_module"] = 1.0
    bom["glass_shelf"] = shelves
    bom["steel"] = 20.0 + (5.0 if "wide" in options else 0.0)
    return ConfiguredOrder(
        START + timedelta(days=day), "fridge", qty, frozenset(options), {"shelves": shelves}, bom
    )


def configurations(product: str, count: int, seed: int) -> list[ConfiguredProduct]:
    """Valid configurations of a sample product: random partial choices, completed cheapest."""
    catalog = load_sample_catalog()
    definition, configurator = catalog.products[product], catalog.configurator(product)
    rng, found = random.Random(seed), []
    while len(found) < count:
        partial: dict[str, object] = {}
        for group in definition.option_groups:
            if group.kind == "single" and rng.random() < 0.6:
                partial[group.code] = rng.choice(group.option_codes)
            elif group.kind == "numeric" and rng.random() < 0.6:
                partial[group.code] = float(rng.choice(group.values))
        try:
            found.append(configurator.complete(partial))
        except OpenFabError:
            continue
    return found


def test_option_history_counts_products_options_and_numeric_values() -> None:
    orders = [fridge({"inverter"}, 4, qty=2), fridge({"ice_maker"}, 2), fridge({"inverter"}, 3, 1)]
    counts = {(o.series, o.day): o.quantity for o in option_history(orders)}
    day0, day1 = START, START + timedelta(days=1)
    assert counts[("fridge", day0)] == 3
    assert counts[("fridge/inverter", day0)] == 2
    assert counts[("fridge/ice_maker", day0)] == 1
    assert counts[("fridge/shelves", day0)] == 2 * 4 + 2
    assert counts[("fridge/inverter", day1)] == 1


def test_material_history_explodes_configured_boms() -> None:
    orders = [fridge({"inverter"}, 4, qty=2), fridge({"ice_maker"}, 2)]
    usage = {o.series: o.quantity for o in material_history(orders)}
    assert usage == {
        "compressor_inverter": 2,
        "compressor_fixed": 1,
        "ice_maker_module": 1,
        "glass_shelf": 10,
        "steel": 60,
    }


def test_planning_bom_reproduces_every_configured_bom_it_learned_from() -> None:
    orders = [
        fridge({"inverter"}, 4),
        fridge({"inverter", "ice_maker", "wide"}, 5),
        fridge(set(), 2),
        fridge({"wide"}, 3),
        fridge({"ice_maker"}, 3),
    ]
    bom = planning_bom(orders)
    for order in orders:
        regressors = {"fridge": 1.0, **{f"fridge/{o}": 1.0 for o in order.options}}
        regressors["fridge/shelves"] = order.numbers["shelves"]
        for material in bom.materials:
            fitted = sum(
                bom.coefficients.get(s, {}).get(material, 0.0) * v for s, v in regressors.items()
            )
            assert fitted == pytest.approx(order.bom.get(material, 0.0), abs=1e-6), material
    assert "fridge/ice_maker" in bom.explain("ice_maker_module")
    assert bom.explain("unobtainium") == "not used"


def test_option_forecasts_become_material_forecasts() -> None:
    orders = [
        fridge(opts, day=d)
        for d in range(70)
        for opts in ([{"inverter"}] * 3 + [set()] + ([{"ice_maker"}] if d % 2 else []))
    ]
    bom = planning_bom(orders)
    plan = DemandSensing().forecast(option_history(orders), 14, 0.95)
    materials = material_forecast(plan, bom)
    assert materials["compressor_inverter"] == pytest.approx([3.0] * 14, abs=0.05)
    assert materials["compressor_fixed"] == pytest.approx([1.5] * 14, abs=0.3)
    assert sum(materials["ice_maker_module"]) == pytest.approx(7, rel=0.15)


def test_to_forecast_demand_is_mrp_input_due_after_the_offset() -> None:
    orders = [fridge({"inverter"}, day=d) for d in range(40)]
    bom = planning_bom(orders)
    plan = DemandSensing().forecast(option_history(orders), 5, 0.95)
    demand = to_forecast_demand(plan, bom, offset_days=7)
    assert all(isinstance(d, ForecastDemand) for d in demand)
    inverters = [d for d in demand if d.material == "compressor_inverter"]
    assert [d.due for d in inverters] == [plan.first_day + timedelta(days=7 + k) for k in range(5)]
    assert all(d.quantity == Decimal("1.000") for d in inverters)
    assert not [d for d in demand if d.material == "compressor_fixed"], "zero demand is left out"


def test_safety_stocks_come_from_each_materials_own_forecast_error() -> None:
    rng = np.random.default_rng(3)
    orders = [
        fridge({"inverter"} if rng.random() < 0.7 else set(), day=d)
        for d in range(84)
        for _ in range(int(rng.poisson(10 * WEEKDAY[d % 7])))
    ]
    bom = planning_bom(orders)
    history = option_history(orders) + material_history(orders)
    plan = DemandSensing().forecast(history, 28, 0.95, lead_times={"compressor_inverter": 28})
    stocks = safety_stocks(plan, bom)
    assert set(stocks) == set(bom.materials)
    assert float(stocks["compressor_inverter"]) == pytest.approx(
        plan["compressor_inverter"].safety_stock, abs=1e-3
    )
    options_only = DemandSensing().forecast(option_history(orders), 28, 0.95)
    propagated = safety_stocks(options_only, bom)
    assert propagated["compressor_inverter"] > 0, "without a material series, option errors"


def test_sample_catalog_orders_round_trip_through_the_planning_bom() -> None:
    configured = configurations("ebike-battery", 30, seed=1)
    orders = [ConfiguredOrder.of(START, c) for c in configured]
    assert all(o.bom for o in orders)
    bom = planning_bom(orders)
    # the BMS is chosen by one option: its planning-BOM line names exactly that option
    for order in orders:
        bms = next(m for m in order.bom if m.startswith("bms_"))
        assert f"ebike-battery/{bms}" in bom.explain(bms)
    cells = ("cell_18650_35e", "cell_21700_50e", "cell_21700_40t")
    total_cells = sum(q for o in orders for m, q in o.bom.items() if m in cells)
    fitted = sum(
        bom.coefficients.get(o.product, {}).get(m, 0.0)
        + sum(bom.coefficients.get(f"{o.product}/{x}", {}).get(m, 0.0) for x in o.options)
        + sum(
            bom.coefficients.get(f"{o.product}/{g}", {}).get(m, 0.0) * v
            for g, v in o.numbers.items()
        )
        for o in orders
        for m in cells
    )
    # cells are series × parallel: not linear in the options, but right on the total
    assert fitted == pytest.approx(total_cells, rel=0.02)


def test_configured_order_of_reads_options_numbers_and_bom() -> None:
    configured = configurations("fridge", 1, seed=2)[0]
    order = ConfiguredOrder.of(START, configured, quantity=3)
    assert order.quantity == 3
    assert order.numbers["shelves"] == float(configured.choices["shelves"])  # type: ignore[arg-type]
    assert configured.choices["size"] in order.options
    assert order.bom == {line.material: float(line.quantity) for line in configured.bom}


@pytest.mark.parametrize(
    "change",
    [
        {"quantity": 0},  # an order of nothing
        {"quantity": -1},  # a return is not demand
        {"product": ""},  # whose demand?
        {"bom": {"steel": -2.0}},  # a BOM cannot give material back
    ],
)
def test_bad_orders_are_refused(change: dict[str, object]) -> None:
    fields: dict[str, object] = {"day": START, "product": "fridge", "quantity": 1.0}
    fields.update(change)
    with pytest.raises(InvalidInput):
        ConfiguredOrder(**fields)  # type: ignore[arg-type]


def test_an_empty_planning_bom_plans_no_material() -> None:
    orders = [fridge({"inverter"}, day=d) for d in range(20)]
    plan = DemandSensing().forecast(option_history(orders), 7, 0.9)
    assert to_forecast_demand(plan, PlanningBom({})) == []


def test_each_product_can_have_its_own_offset() -> None:
    orders = [fridge({"inverter"}, day=d) for d in range(30)] + [
        ConfiguredOrder(START + timedelta(days=d), "washer", 1, frozenset(), {}, {"steel": 10.0})
        for d in range(30)
    ]
    bom = planning_bom(orders)
    plan = DemandSensing().forecast(option_history(orders), 1, 0.95)
    demand = to_forecast_demand(plan, bom, offset_days={"fridge": 7, "washer": 3})
    steel = {d.due: d.quantity for d in demand if d.material == "steel"}
    assert steel == {
        plan.first_day + timedelta(days=3): Decimal("10.000"),
        plan.first_day + timedelta(days=7): Decimal("20.000"),
    }
