"""Placing, moving and cancelling orders through the service layer, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from openfab.errors import InvalidInput, NotFound
from openfab.orders.orm import OrderLoadRow
from openfab.orders.schemas import OrderCreate, OrderTransition
from openfab.platform import Platform
from openfab.store import EventRecord
from openfab.store.tenancy import Scope
from tests.conftest import PLANT, TenantPeople


def cheapest(platform: Platform, tenant: TenantPeople, product: str = "fridge") -> dict[str, Any]:
    choices: dict[str, Any] = platform.catalog.complete(tenant.alice, product, {}).to_dict()[
        "choices"
    ]
    return choices


def events_of(platform: Platform, tenant: TenantPeople, entity_id: str) -> list[str]:
    with platform.db.unit(Scope.tenant(tenant.tenant_id), actor="t", readonly=True) as uow:
        return list(
            uow.session.scalars(
                select(EventRecord.type)
                .where(EventRecord.entity_id == entity_id)
                .order_by(EventRecord.seq)
            )
        )


@pytest.mark.parametrize("product", ["fridge", "washer", "ebike-battery"])
def test_every_sample_product_can_be_ordered(
    platform: Platform, tenant: TenantPeople, product: str
) -> None:
    order = platform.orders.place(
        tenant.alice, OrderCreate(product=product, choices=cheapest(platform, tenant, product))
    )
    assert order.customer_id == tenant.alice.user_id
    assert order.promise_date > order.created_at
    assert events_of(platform, tenant, order.id) == ["order.placed"]


def test_an_invalid_configuration_writes_nothing(platform: Platform, tenant: TenantPeople) -> None:
    before = platform.orders.list(tenant.admin).count
    with pytest.raises(InvalidInput) as caught:
        platform.orders.place(
            tenant.alice, OrderCreate(product="fridge", choices={"no_such_group": "x"})
        )
    assert caught.value.problems
    assert platform.orders.list(tenant.admin).count == before


def test_shipping_releases_capacity_and_every_step_is_an_event(
    platform: Platform, tenant: TenantPeople
) -> None:
    order = platform.orders.place(
        tenant.alice, OrderCreate(product="fridge", choices=cheapest(platform, tenant))
    )

    def load() -> int:
        with platform.db.unit(Scope.tenant(tenant.tenant_id), actor="t", readonly=True) as uow:
            query = select(func.count()).where(OrderLoadRow.order_id == order.id)
            return int(uow.session.scalar(query) or 0)

    assert load() > 0
    for status in ("Planned", "InProduction", "Inspected"):
        platform.orders.transition(PLANT, order.id, OrderTransition(status=status))
    assert load() == 0
    assert events_of(platform, tenant, order.id) == ["order.placed"] + ["order.status_changed"] * 3


def test_more_open_orders_never_bring_the_promise_forward(
    platform: Platform, tenant: TenantPeople
) -> None:
    body = OrderCreate(product="fridge", choices=cheapest(platform, tenant), quantity=200)
    dates = [platform.orders.place(tenant.admin, body).promise_date for _ in range(4)]
    assert dates == sorted(dates)
    assert dates[-1] > dates[0]


def test_unknown_orders_are_not_found(platform: Platform, tenant: TenantPeople) -> None:
    with pytest.raises(NotFound):
        platform.orders.get(tenant.admin, "SO-DOESNOTEXIST")
