"""The passport worker issues the passports of an order's units when it ships."""

from __future__ import annotations

from sqlalchemy import select

from openfab.lifecycle.orm import PassportRow
from openfab.lifecycle.worker import PassportWorker
from openfab.platform import Platform
from openfab.store.tenancy import Scope
from tests.conftest import Following, TenantPeople
from tests.lifecycle.conftest import battery_run


def issued(platform: Platform, brand: TenantPeople, serials: list[str]) -> set[str]:
    with platform.db.unit(Scope.tenant(brand.tenant_id), actor="t", readonly=True) as uow:
        rows = uow.session.scalars(
            select(PassportRow.serial).where(PassportRow.serial.in_(serials))
        )
        return set(rows)


def test_shipping_an_order_issues_its_units_passports(
    platform: Platform, brand: TenantPeople
) -> None:
    worker = Following(platform, PassportWorker(platform.lifecycle))
    run = battery_run(platform, brand, quantity=2)
    assert issued(platform, brand, run.serials) == set()
    results = worker.poll()
    assert results and sum(results) >= 2
    assert issued(platform, brand, run.serials) == set(run.serials)
    assert worker.poll() == []  # nothing new shipped: nothing to do
