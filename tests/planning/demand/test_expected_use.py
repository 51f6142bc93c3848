"""The planner's expected use on the real store: set by plant planners, the forecast from day
one (no order history yet), so the purchasing autopilot buys before the first orders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from openfab import clock
from openfab.autopilot.purchasing import PurchasingAutopilot, PurchasingLimits
from openfab.errors import Forbidden, InvalidInput
from openfab.identity.actor import Actor
from openfab.planning.mrp.schemas import PurchaseStatus
from openfab.platform import Platform
from openfab.settings import Settings
from openfab.store import EventRecord
from openfab.store.tenancy import Scope
from tests.conftest import PLANT, TenantPeople, make_tenant
from tests.planning.mrp.conftest import place_fridge

STEEL = "steel_coil_dc01"


@pytest.fixture
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A new plant without a single order: day one."""
    url = f"sqlite:///{tmp_path_factory.mktemp('prior') / 'plant.db'}"
    settings = Settings(database_url=url, jwt_secret="test-secret-not-for-production-0123456789")
    platform = Platform.open(url, settings=settings)
    platform.materials.install_sample_suppliers(Actor.system("test"))
    yield platform
    platform.close()


def bought(platform: Platform, material: str) -> Decimal:
    return sum(
        (
            po.quantity
            for status in (PurchaseStatus.PLANNED, PurchaseStatus.RELEASED)
            for po in platform.materials.purchase_orders(PLANT, status=status).data
            if po.material == material
        ),
        Decimal(0),
    )


def test_planners_set_the_expected_use_and_it_replaces_the_last(fresh: Platform) -> None:
    assert fresh.demand.expected_use(PLANT).per_day == {}
    first = fresh.demand.set_expected_use(PLANT, {STEEL: Decimal("12.5")})
    assert first.per_day == {STEEL: Decimal("12.5")} and first.set_by == PLANT.name
    assert first.credibility_days > 0 and first.min_history_days > 0
    second = fresh.demand.set_expected_use(PLANT, {"pu_foam_system": 1, STEEL: 0})
    assert second.per_day == {"pu_foam_system": Decimal(1)}  # 0: no prior for steel
    assert fresh.demand.prior().per_day == {"pu_foam_system": 1.0}
    with fresh.db.unit(Scope.plant(), actor="t", readonly=True) as uow:
        events = uow.session.scalars(
            select(EventRecord.payload).where(EventRecord.type == "demand.expected_use_set")
        ).all()
    assert events[-1] == {"pu_foam_system": "1"}


def test_unknown_materials_and_brand_users_are_refused(fresh: Platform) -> None:
    with pytest.raises(InvalidInput) as caught:
        fresh.demand.set_expected_use(PLANT, {"unobtainium": 1, "vibranium": 2})
    assert len(caught.value.problems) == 2
    with pytest.raises(InvalidInput):
        fresh.demand.set_expected_use(PLANT, {STEEL: -1})
    brand = make_tenant(fresh)
    with pytest.raises(Forbidden):
        fresh.demand.set_expected_use(brand.admin, {STEEL: 1})


def test_the_autopilot_buys_for_the_prior_from_day_one(fresh: Platform) -> None:
    pilot = PurchasingAutopilot(fresh.materials, PurchasingLimits(), demand=fresh.demand)
    pilot.run(trigger="no prior")  # no history, no prior: open orders only (none)
    assert bought(fresh, STEEL) == 0
    fresh.demand.set_expected_use(PLANT, {STEEL: Decimal(20)})
    sensed = pilot.run(trigger="prior")
    assert sensed.run.purchase_value > 0
    assert bought(fresh, STEEL) >= 20 * 7  # at least a week of expected use
    reasons = [po.reason for po in fresh.materials.purchase_orders(PLANT).data]
    assert any("forecast" in r.lower() for r in reasons), reasons


def test_history_takes_over_from_the_prior(fresh: Platform) -> None:
    tenant: TenantPeople = make_tenant(fresh)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    history = clock.SimulatedClock(today - timedelta(days=28))
    with clock.running_on(history):
        for _day in range(28):
            place_fridge(fresh, tenant)
            history.advance(timedelta(days=1))
    fresh.demand.set_expected_use(PLANT, {STEEL: Decimal(0)})  # no prior
    plain = fresh.demand.plan_materials(PLANT, history_days=28)
    fresh.demand.set_expected_use(PLANT, {STEEL: Decimal(10_000)})
    huge = fresh.demand.plan_materials(PLANT, history_days=28)
    week = fresh.demand.plan_materials(PLANT, history_days=7)  # less history: more prior
    assert plain.purchase_value < huge.purchase_value < week.purchase_value
