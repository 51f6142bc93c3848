"""Scrap is remade, so the plant draws more material than its orders' BOMs say: demand
sensing scales what it forecasts by each product's measured yield, and MRP counts the units
a make-up work order rebuilds."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openfab.planning.demand import DemandPrior
from openfab.planning.demand.configured import (
    MAX_BUILD_FACTOR,
    ConfiguredOrder,
    ProductYield,
    material_build_factors,
    material_history,
    with_build_factors,
)
from openfab.planning.mrp.loader import load_problem
from openfab.platform import Platform
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow
from tests.conftest import TenantPeople
from tests.execution.conftest import Run, released, run_all

DAY = date(2026, 3, 2)


def order(product: str, bom: dict[str, float], quantity: float = 1) -> ConfiguredOrder:
    return ConfiguredOrder(DAY, product, quantity, bom=bom)


def test_the_build_factor_is_units_started_per_good_unit() -> None:
    assert ProductYield(started=120, good=100).build_factor == pytest.approx(1.2)
    assert ProductYield(started=0, good=0).build_factor == 1.0  # no data: the BOM as it is
    assert ProductYield(started=10, good=0).build_factor == MAX_BUILD_FACTOR  # nothing good
    assert ProductYield(started=100, good=100).build_factor == 1.0


@given(
    st.floats(min_value=1, max_value=1e6),
    st.floats(min_value=0, max_value=1),
)
def test_the_build_factor_stays_between_one_and_its_cap(started: float, share: float) -> None:
    factor = ProductYield(started=started, good=started * share).build_factor
    assert 1.0 <= factor <= MAX_BUILD_FACTOR


def test_orders_draw_their_bom_times_their_products_factor() -> None:
    orders = [
        order("fridge", {"steel": 10.0, "foam": 2.0}, quantity=2),
        order("washer", {"steel": 5.0}),
    ]
    drawn = with_build_factors(orders, {"fridge": 1.25})
    drawn_by_material = {o.series: o.quantity for o in material_history(drawn)}
    assert drawn_by_material == pytest.approx({"foam": 5.0, "steel": 30.0})
    # steel: 20 ordered at 1.25 and 5 at 1.0 → 30 drawn of 25 needed
    factors = material_build_factors(orders, {"fridge": 1.25})
    assert factors == pytest.approx({"foam": 1.25, "steel": 1.2})


def test_the_prior_is_scaled_per_material() -> None:
    prior = DemandPrior({"steel": 100.0, "foam": 10.0})
    scaled = prior.scaled({"steel": 1.2})
    assert scaled.per_day == pytest.approx({"steel": 120.0, "foam": 10.0})
    assert scaled.credibility_days == prior.credibility_days


def test_scrap_raises_the_measured_factor_and_mrp_counts_the_make_up(
    platform: Platform, tenant: TenantPeople
) -> None:
    tomorrow = utcnow().date() + timedelta(days=1)
    before = platform.demand.yields(today=tomorrow).get("fridge", ProductYield(0, 0))
    work_order = released(platform, tenant, quantity=4)
    run_all(platform, work_order, runs={10: Run(scrap=1)})
    after = platform.demand.yields(today=tomorrow)["fridge"]
    assert (after.started - before.started, after.good - before.good) == (4, 3)

    with platform.db.unit(Scope.plant(), actor="test", readonly=True) as uow:
        problem = load_problem(uow, today=utcnow().date(), now=utcnow()).problem
    demand = next(w for w in problem.work_orders if w.work_order == work_order.order_id)
    configured = platform.orders.get(tenant.admin, work_order.order_id).configured
    per_unit = {line["material"]: Decimal(str(line["quantity"])) for line in configured["bom"]}
    untouched = next(m for m in sorted(per_unit) if m != "steel_coil_dc01")
    needed = {c.material: c.quantity for c in demand.components}
    assert needed[untouched] == per_unit[untouched] * 5  # 4 ordered + 1 made up, none issued
