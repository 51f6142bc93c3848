"""Finding orders by number, customer or brand, with filters; each reader sees only what
they may (a brand its own, a customer their own, the plant every brand's but no customer)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from openfab.errors import InvalidInput
from openfab.orders.schemas import OrderCreate, OrderDetail, OrderTransition
from openfab.orders.search import OrderQuery
from openfab.orders.states import OrderStatus
from openfab.platform import Platform
from openfab.store.types import utcnow
from tests.conftest import PLANT, TenantPeople, make_tenant

FRIDGE = {
    "size": "w60_330",
    "door": "double_door",
    "finish": "white",
    "compressor": "inverter",
    "energy_class": "class_b",
    "display": "led_display",
    "handle": "bar_handle",
    "extras": [],
    "shelves": 3,
}


@pytest.fixture(scope="module")
def brands(platform: Platform) -> tuple[TenantPeople, TenantPeople]:
    return make_tenant(platform), make_tenant(platform)


def place(platform: Platform, people: TenantPeople, customer: str = "alice") -> OrderDetail:
    actor = getattr(people, customer)
    return platform.orders.place(actor, OrderCreate(product="fridge", choices=FRIDGE))


def numbers(platform: Platform, actor: object, **query: object) -> set[str]:
    found = platform.orders.search(actor, OrderQuery(limit=500, **query))  # type: ignore[arg-type]
    return {o.number for o in found.data}


def test_a_brand_finds_an_order_by_number_or_customer_and_never_anothers(
    platform: Platform, brands: tuple[TenantPeople, TenantPeople]
) -> None:
    mine, theirs = brands
    alices, bobs = place(platform, mine), place(platform, mine, "bob")
    other = place(platform, theirs)
    assert numbers(platform, mine.planner, q=alices.number[-6:].lower()) == {alices.number}
    assert numbers(platform, mine.planner, q="bob@") == {bobs.number}
    assert numbers(platform, mine.planner, q=other.number) == set()
    found = platform.orders.search(mine.planner, OrderQuery(q=alices.number)).data[0]
    assert found.customer_email == f"alice@{mine.tenant_id}.example.com"
    assert found.customer_name == "alice" and found.brand is None


def test_a_customer_finds_only_their_own(
    platform: Platform, brands: tuple[TenantPeople, TenantPeople]
) -> None:
    mine, _ = brands
    bobs = place(platform, mine, "bob")
    assert numbers(platform, mine.alice, q=bobs.number) == set()
    assert bobs.number in numbers(platform, mine.bob)
    assert numbers(platform, mine.bob, q="alice") == set()  # no search by other people


def test_the_plant_finds_every_brand_but_no_customer(
    platform: Platform, brands: tuple[TenantPeople, TenantPeople]
) -> None:
    mine, theirs = brands
    a, b = place(platform, mine), place(platform, theirs)
    assert numbers(platform, PLANT, q=a.number) == {a.number}
    assert b.number in numbers(platform, PLANT, q=theirs.tenant_id)
    assert numbers(platform, PLANT, q=f"alice@{mine.tenant_id}") == set()
    found = platform.orders.search(PLANT, OrderQuery(q=a.number)).data[0]
    assert found.brand == mine.tenant_id.upper()
    assert found.customer_id is None and found.customer_email is None


def test_filters_status_product_late_and_dates(
    platform: Platform, brands: tuple[TenantPeople, TenantPeople]
) -> None:
    mine, _ = brands
    order = place(platform, mine)
    platform.orders.transition(PLANT, order.id, OrderTransition(status="Planned"))
    planned = numbers(platform, mine.planner, status=(OrderStatus.PLANNED,))
    assert order.number in planned
    assert order.number not in numbers(platform, mine.planner, status=(OrderStatus.RECEIVED,))
    assert order.number not in numbers(platform, mine.planner, product="washer")
    assert order.number in numbers(platform, mine.planner, late=False)
    assert order.number not in numbers(platform, mine.planner, late=True)
    today = utcnow().date()
    assert order.number in numbers(platform, mine.planner, placed_from=today, placed_to=today)
    tomorrow = today + timedelta(days=1)
    assert order.number not in numbers(platform, mine.planner, placed_from=tomorrow)


def test_pages_and_counts(platform: Platform) -> None:
    shop = make_tenant(platform, samples=True)
    made = [place(platform, shop) for _ in range(3)]
    first = platform.orders.search(shop.planner, OrderQuery(limit=2))
    second = platform.orders.search(shop.planner, OrderQuery(limit=2, offset=2))
    assert first.count == second.count == 3
    assert {o.number for o in first.data + second.data} == {o.number for o in made}


@pytest.mark.parametrize(
    "bad",
    [
        {"q": "x" * 101},  # too long a text
        {"limit": 0},  # an empty page
        {"limit": 501},  # too big a page
        {"offset": -1},  # before the first
        {"q": "SO-\x00"},  # a control character (PostgreSQL refuses NUL in text)
        {"product": "fridge\n"},  # in the product too
        {"placed_from": utcnow().date(), "placed_to": utcnow().date() - timedelta(days=1)},
    ],
)
def test_a_bad_search_names_the_problem(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as caught:
        OrderQuery(**bad)  # type: ignore[arg-type]
    assert caught.value.problems


def test_the_record_has_customer_steps_and_promises(
    platform: Platform, brands: tuple[TenantPeople, TenantPeople]
) -> None:
    mine, theirs = brands
    order = place(platform, mine)
    platform.orders.transition(PLANT, order.id, OrderTransition(status="Planned"))
    record = platform.orders.record(mine.planner, order.number)
    assert record.order.customer_email == f"alice@{mine.tenant_id}.example.com"
    assert [s.status for s in record.steps] == ["Received", "Planned"]
    assert record.promises[0].promise_date == order.promise_date
    assert record.configured["routing"]
    plant_view = platform.orders.record(PLANT, order.id)
    assert plant_view.order.customer_email is None
    from openfab.errors import NotFound

    with pytest.raises(NotFound):
        platform.orders.record(theirs.planner, order.number)


def test_the_rest_search_finds_by_number_and_refuses_bad_input(platform: Platform) -> None:
    from fastapi.testclient import TestClient

    from openfab.api.app import create_app
    from tests.api.conftest import auth

    shop = make_tenant(platform)
    order = place(platform, shop)
    with TestClient(create_app(platform), raise_server_exceptions=False) as client:
        headers = auth(client, f"planner@{shop.tenant_id}.example.com")
        found = client.get("/orders", params={"q": order.number[-5:]}, headers=headers)
        assert found.status_code == 200
        assert [o["number"] for o in found.json()["data"]] == [order.number]
        assert found.json()["data"][0]["customer_email"].startswith("alice@")
        for bad in ({"q": "x\x00"}, {"placed_from": "yesterday"}, {"late": "maybe"}):
            assert client.get("/orders", params=bad, headers=headers).status_code == 422
        for odd in ("%", "_", "\\", "'"):  # LIKE's wildcards and quotes are plain text
            assert client.get("/orders", params={"q": odd}, headers=headers).status_code == 200
