"""Express (rush) orders and the promise policy through the service layer: a surcharge as its
own price line, a shorter promise with priority, ``express`` stored, shown and in the events;
a fixed-lead-time policy quotes order time + its days whatever the load."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from openfab.orders.promise import SHIPPING_DAYS, PromisePolicy
from openfab.orders.schemas import OrderCreate
from openfab.orders.service import EXPRESS_SURCHARGE
from openfab.platform import Platform
from openfab.store import EventRecord
from openfab.store.tenancy import Scope
from tests.conftest import PLANT, TenantPeople
from tests.orders.test_service import cheapest


@pytest.fixture
def fixed_quotes(platform: Platform) -> Iterator[PromisePolicy]:
    """The shared plant's order desk quoting fixed lead times for one test."""
    before = platform.orders.promise_policy
    policy = PromisePolicy.fixed(5, 2)
    platform.orders.set_promise_policy(policy)
    yield policy
    platform.orders.set_promise_policy(before)


def payloads(platform: Platform, tenant: TenantPeople, order_id: str) -> list[dict[str, object]]:
    with platform.db.unit(Scope.tenant(tenant.tenant_id), actor="t", readonly=True) as uow:
        query = select(EventRecord.payload).where(EventRecord.entity_id == order_id)
        return list(uow.session.scalars(query.order_by(EventRecord.seq)))


def test_an_express_order_pays_a_surcharge_line_and_is_marked(
    platform: Platform, tenant: TenantPeople
) -> None:
    choices = cheapest(platform, tenant)
    standard = platform.orders.place(tenant.alice, OrderCreate(product="fridge", choices=choices))
    express = platform.orders.place(
        tenant.alice, OrderCreate(product="fridge", choices=choices, quantity=2, express=True)
    )
    assert not standard.express and express.express
    surcharge = (standard.unit_price * EXPRESS_SURCHARGE).quantize(Decimal("0.01"))
    assert express.unit_price == standard.unit_price + surcharge
    assert express.total_price == express.unit_price * 2
    lines = express.configured["price_breakdown"]
    assert lines[-1]["code"] == "express" and Decimal(lines[-1]["amount"]) == surcharge
    assert "express" not in {line["code"] for line in standard.configured["price_breakdown"]}
    assert platform.orders.get(tenant.alice, express.id).express
    assert [o.express for o in platform.orders.list(tenant.alice).data if o.id == express.id]
    [placed] = payloads(platform, tenant, express.id)
    assert placed["express"] is True


def test_express_jumps_the_queue_of_standard_orders(
    platform: Platform, tenant: TenantPeople
) -> None:
    choices = cheapest(platform, tenant)
    big = OrderCreate(product="fridge", choices=choices, quantity=200)
    placed = [platform.orders.place(tenant.admin, big)]
    for _ in range(30):  # until the queue at the bottleneck holds the promise back a day
        placed.append(platform.orders.place(tenant.admin, big))
        if placed[-1].promise_date - placed[0].promise_date > timedelta(days=1):
            break
    standard = placed[-1]
    express = platform.orders.place(tenant.admin, big.model_copy(update={"express": True}))
    assert express.promise_date < standard.promise_date
    configured = platform.catalog.handle(tenant.admin, "fridge").configurator.configure(choices)
    preview = platform.orders.preview_promise(configured, 200, express=True)
    assert preview <= platform.orders.preview_promise(configured, 200)
    for order in [*placed, express]:  # the shared plant's later tests plan what is open
        platform.orders.cancel(tenant.admin, order.id)


def test_status_changes_carry_express(platform: Platform, tenant: TenantPeople) -> None:
    body = OrderCreate(product="fridge", choices=cheapest(platform, tenant), express=True)
    order = platform.orders.place(tenant.alice, body)
    platform.orders.cancel(PLANT, order.id)
    placed, cancelled = payloads(platform, tenant, order.id)
    assert placed["express"] is True and cancelled["express"] is True


def test_a_fixed_policy_quotes_fixed_lead_times(
    platform: Platform, tenant: TenantPeople, fixed_quotes: PromisePolicy
) -> None:
    choices = cheapest(platform, tenant)
    for express, days in ((False, 5), (True, 2)):
        body = OrderCreate(product="fridge", choices=choices, quantity=200, express=express)
        order = platform.orders.place(tenant.admin, body)
        quoted = order.promise_date - order.created_at
        assert abs(quoted - timedelta(days=days + SHIPPING_DAYS)) < timedelta(seconds=5)
        [placed] = payloads(platform, tenant, order.id)
        assert placed["quote"] == "fixed"
        platform.orders.cancel(tenant.admin, order.id)
