"""Demand sensing on the real store: the plant's order history becomes forecast demand and
safety stock in the material plan, so material is bought before the orders arrive."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from openfab import clock
from openfab.identity.actor import Actor
from openfab.orders.orm import SalesOrderRow
from openfab.planning.demand.service import configured_order
from openfab.platform import Platform
from openfab.settings import Settings
from openfab.store.tenancy import Scope
from tests.conftest import PLANT, TenantPeople, make_tenant
from tests.planning.mrp.conftest import place_fridge


@pytest.fixture(scope="module")
def stocked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A plant of its own: these tests buy for forecast demand, and purchase orders released
    here would cover what other tests of the shared plant expect to see planned."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demand') / 'plant.db'}"
    settings = Settings(database_url=url, jwt_secret="test-secret-not-for-production-0123456789")
    platform = Platform.open(url, settings=settings)
    platform.materials.install_sample_suppliers(Actor.system("test"))
    yield platform
    platform.close()


@pytest.fixture
def tenant(stocked: Platform) -> TenantPeople:
    return make_tenant(stocked)


def test_sensed_demand_buys_more_than_the_open_orders_alone(
    stocked: Platform, tenant: TenantPeople
) -> None:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    history = clock.SimulatedClock(today - timedelta(days=28))
    with clock.running_on(history):
        for _day in range(28):
            for _order in range(2):
                place_fridge(stocked, tenant)
            history.advance(timedelta(days=1))
    orders = stocked.demand.history(days=28, today=today.date())
    assert len([o for o in orders if o.product == "fridge"]) >= 56
    assert all(o.bom and o.options for o in orders)

    plan, _ = stocked.demand.forecast(PLANT, history_days=28, today=today.date())
    fridge = plan.forecasts["fridge"]
    assert fridge.total > 0 and fridge.reason  # explains why its method was chosen

    plain = stocked.materials.run(PLANT, trigger="test")
    sensed = stocked.demand.plan_materials(PLANT, history_days=28, service_level=0.95)
    assert sensed.purchase_value > plain.purchase_value  # forecast + safety stock on top


def test_a_stored_order_reads_back_with_its_choices_and_bom(
    stocked: Platform, tenant: TenantPeople
) -> None:
    order_id = place_fridge(stocked, tenant, quantity=2)
    with stocked.db.unit(Scope.tenant(tenant.tenant_id), actor="t", readonly=True) as uow:
        row = uow.session.get(SalesOrderRow, order_id)
        assert row is not None
        order = configured_order(row)
    assert order.product == "fridge" and order.quantity == 2
    assert order.bom and all(q > 0 for q in order.bom.values())


def test_the_purchasing_autopilot_buys_for_sensed_demand(
    stocked: Platform, tenant: TenantPeople
) -> None:
    from openfab.autopilot.purchasing import PurchasingAutopilot, PurchasingLimits

    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    history = clock.SimulatedClock(today - timedelta(days=21))
    with clock.running_on(history):
        for _day in range(21):
            place_fridge(stocked, tenant)
            history.advance(timedelta(days=1))
    plain = stocked.materials.run(PLANT, trigger="open orders only")  # releases nothing
    pilot = PurchasingAutopilot(stocked.materials, PurchasingLimits(), demand=stocked.demand)
    sensed = pilot.run(trigger="sensed")
    assert sensed.run.trigger == "sensed"
    assert sensed.run.purchase_value > plain.purchase_value  # planned before it released
