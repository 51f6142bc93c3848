"""The customer's way to an order, through a TestClient: review before placing, confirm
before cancelling, inline errors in the page's language, no stale price, a conflict that
can be repaired, each brand's own shop, names instead of codes, an honest plan section."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from openfab.orders.schemas import OrderTransition
from openfab.planning.gantt import Bar
from openfab.platform import Platform
from openfab.web.order_chart import machine_name, order_window
from openfab.web.pages.portal import from_price, plan_state
from tests.conftest import PLANT, TenantPeople, make_tenant
from tests.web.conftest import FRIDGE, email, place_fridge, signed_in


def form_of(choices: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {**{k: v for k, v in choices.items() if v != []}, **more}


def test_ordering_goes_through_a_review_that_names_every_charge(
    platform: Platform, web_app: Any, shop: TenantPeople
) -> None:
    client = signed_in(web_app, email(shop, "alice"))
    before = platform.orders.list(shop.alice).count
    review = client.post("/portal/products/fridge/review", form_of(FRIDGE, quantity="2"))
    assert review.status_code == 200
    assert platform.orders.list(shop.alice).count == before  # nothing placed yet
    configured = platform.catalog.configure(shop.alice, "fridge", FRIDGE)
    for line in configured.price_breakdown:  # the shelves too: no hidden charge
        assert f"{line.amount:,.2f} EUR" in review.text, line.label
    assert "Glass shelves: 3 pcs" in review.text
    assert f"{configured.price * 2:,.2f} EUR" in review.text
    assert re.search(r"data-promise>\d{4}-\d\d-\d\d \d\d:\d\d UTC<", review.text)
    assert 'name="address"' in review.text and "Confirm order" in review.text
    change = re.search(r'href="(/portal/products/fridge\?[^"]+)"', review.text)
    assert change is not None  # "change" brings the answers back
    back = client.get(change.group(1).replace("&amp;", "&")).text
    assert 'value="w60_330"\n               checked' in back or re.search(
        r'id="opt-size-w60_330"[^>]*checked', back
    )

    no_address = client.post("/portal/products/fridge/order", form_of(FRIDGE, address=" "))
    assert no_address.status_code == 422 and "Enter the address to deliver to." in no_address.text
    assert platform.orders.list(shop.alice).count == before
    placed = client.post(
        "/portal/products/fridge/order", form_of(FRIDGE, quantity="2", address="1 Main St")
    )
    assert placed.status_code == 303
    assert platform.orders.list(shop.alice).count == before + 1


def test_an_incomplete_configuration_cannot_be_reviewed(web_app: Any, shop: TenantPeople) -> None:
    client = signed_in(web_app, email(shop, "alice"))
    response = client.post("/portal/products/fridge/review", {"door": "single_door"})
    assert response.status_code == 422 and "Review your order" not in response.text


def test_cancel_and_order_again_ask_first(
    platform: Platform, web_app: Any, shop: TenantPeople
) -> None:
    order = place_fridge(platform, shop.alice)
    client = signed_in(web_app, email(shop, "alice"))
    page = client.get(f"/portal/orders/{order.id}").text
    assert f'href="/portal/orders/{order.id}/cancel"' in page  # a link, not a button that acts
    assert f'action="/portal/orders/{order.id}/cancel"' not in page
    ask = client.get(f"/portal/orders/{order.id}/cancel")
    assert ask.status_code == 200 and "Yes, cancel the order" in ask.text
    assert "CoolLine refrigerator" in ask.text
    assert platform.orders.get(shop.alice, order.id).status == "Received"
    done = client.post(f"/portal/orders/{order.id}/cancel")
    assert done.status_code == 303 and done.headers["location"].endswith("?cancelled=1")
    assert platform.orders.get(shop.alice, order.id).status == "Cancelled"
    after = client.get(done.headers["location"]).text
    assert "The order was cancelled." in after and "cancelled, so it has no production" in after

    count = platform.orders.list(shop.alice).count
    again = client.get(f"/portal/orders/{order.id}/reorder")
    assert again.status_code == 200 and order.number in again.text
    assert platform.orders.list(shop.alice).count == count


@pytest.mark.parametrize(
    ("lang", "field", "value", "message"),
    [
        ("en", "shelves", "9", "Enter a number from 2 to 6 pcs."),
        ("en", "quantity", "0", "Enter a whole number from 1 to 1000."),
        ("ko", "shelves", "9", "2–6개 사이의 숫자를 입력하세요."),
        ("ko", "quantity", "0", "1–1000 사이의 정수를 입력하세요."),
        ("ko", "quantity", "abc", "1–1000 사이의 정수를 입력하세요."),
    ],
)
def test_an_out_of_range_number_is_named_at_its_field_and_the_price_is_withdrawn(
    web_app: Any, shop: TenantPeople, lang: str, field: str, value: str, message: str
) -> None:
    client = signed_in(web_app, email(shop, "alice"))
    client.get(f"/lang/{lang}?next=/portal")
    response = client.post(
        "/portal/products/fridge/preview",
        form_of(FRIDGE, **{field: value}),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    error = re.search(rf'data-field-error="{field}">([^<]*)<', response.text)
    assert error is not None and error.group(1) == message
    assert "data-price-invalid" in response.text and "EUR" not in response.text
    assert 'id="order-button"' not in response.text
    if field == "quantity":
        assert f'value="{value}"' in response.text  # what was typed stays, to be fixed


def test_the_form_lets_the_server_judge_out_of_range_numbers(
    web_app: Any, shop: TenantPeople
) -> None:
    """Browsers refuse to submit an out-of-range number (htmx would silently not send it,
    leaving a stale price): the form opts out, the server answers at the field."""
    client = signed_in(web_app, email(shop, "alice"))
    page = client.get("/portal/products/fridge").text
    assert re.search(r'<form id="configurator"[^>]*novalidate', page)


def test_after_a_conflict_the_options_that_repair_it_stay_enabled(
    web_app: Any, shop: TenantPeople
) -> None:
    client = signed_in(web_app, email(shop, "alice"))
    choices = form_of(FRIDGE, size="w55_250", shelves="5")
    response = client.post("/portal/products/fridge/preview", choices).text
    assert "cannot be built together" in response
    enabled = [
        m.group(1)
        for m in re.finditer(r'<input[^>]*id="opt-([a-z_0-9-]+)"[^>]*>', response)
        if " disabled" not in m.group(0)
    ]
    disabled = [
        m.group(1)
        for m in re.finditer(r'<input[^>]*id="opt-([a-z_0-9-]+)"[^>]*>', response)
        if " disabled" in m.group(0)
    ]
    assert "size-w60_330" in enabled  # a wider model repairs it
    assert "door-double_door" in enabled and "finish-stainless" in enabled
    assert len(enabled) > 3 * len(disabled)


def test_shelves_start_at_their_default_and_show_their_price(
    platform: Platform, web_app: Any, shop: TenantPeople
) -> None:
    client = signed_in(web_app, email(shop, "alice"))
    page = client.get("/portal/products/fridge").text
    assert re.search(r'id="opt-shelves"[^>]*\n?[^>]*value="3"', page)
    assert "+14.90 per pcs" in page
    assert "Glass shelves: 3 pcs" in page  # in the price breakdown, shown open


def test_the_catalog_from_price_is_the_configurators_first_price(
    platform: Platform, web_app: Any, shop: TenantPeople
) -> None:
    client = signed_in(web_app, email(shop, "alice"))
    cheapest = from_price(platform.catalog.handle(shop.alice, "fridge").configurator)
    assert cheapest is not None
    shown = f"{cheapest.price:,.2f} EUR"
    catalog = client.get("/portal").text
    configure = client.get("/portal/products/fridge").text
    assert shown in catalog
    found = re.search(r"data-price>([^<]*)<", configure)
    assert found is not None and found.group(1) == f"from {shown}"


def test_a_brand_sells_only_its_own_products(platform: Platform, web_app: Any) -> None:
    washers = make_tenant(platform, samples=False)
    platform.catalog.install_sample_products(washers.admin, ["washer"])
    client = signed_in(web_app, email(washers, "alice"))
    catalog = client.get("/portal").text
    assert "/portal/products/washer" in catalog
    assert "/portal/products/fridge" not in catalog
    assert client.get("/portal/products/fridge").status_code == 404


def test_orders_show_product_names_and_a_shipped_order_is_not_waiting_for_a_plan(
    platform: Platform, web_app: Any, shop: TenantPeople
) -> None:
    order = place_fridge(platform, shop.bob)
    for status in ("Planned", "InProduction", "Inspected", "Shipped"):
        platform.orders.transition(PLANT, order.id, OrderTransition(status=status))
    client = signed_in(web_app, email(shop, "bob"))
    page = client.get(f"/portal/orders/{order.id}").text
    assert "CoolLine refrigerator" in page and "(rev. 1)" not in page
    assert "Not planned yet" not in page and "Production is finished" in page
    listing = client.get("/portal/orders").text
    assert "CoolLine refrigerator" in listing and "<td>fridge</td>" not in listing


def test_korean_order_pages_use_korean_counts_money_and_dates(
    platform: Platform, web_app: Any, shop: TenantPeople
) -> None:
    order = place_fridge(platform, shop.alice)
    client = signed_in(web_app, email(shop, "alice"))
    client.get("/lang/ko?next=/portal")
    page = client.get(f"/portal/orders/{order.id}").text
    assert "3개" in page and "3 pcs" not in page
    assert re.search(r"[\d,]+\.\d\d유로", page) and " EUR" not in page
    assert re.search(r"\d{4}년 \d{1,2}월 \d{1,2}일", page)
    review = client.post("/portal/products/fridge/review", form_of(FRIDGE)).text
    assert "주문 확정" in review and "유리 선반: 3개" in review


@pytest.mark.parametrize(
    ("status", "charted", "expected"),
    [
        ("Shipped", False, "made"),
        ("Delivered", False, "made"),
        ("Cancelled", False, "cancelled"),
        ("Received", False, "not_planned"),
        ("Planned", True, "chart"),
    ],
)
def test_the_plan_section_says_why_there_is_no_chart(
    status: str, charted: bool, expected: str
) -> None:
    assert plan_state(status, charted) == expected


def test_machines_are_named_for_people() -> None:
    centers = {"sheet_metal_press": "Sheet-metal press line"}
    assert machine_name("sheet_metal_press-3", centers, str) == "Sheet-metal press line 3"
    assert machine_name("mystery-1", centers, str) == "mystery-1"


def test_the_chart_spans_the_orders_operations_not_a_far_clock() -> None:
    start = datetime(2026, 3, 1, 8, tzinfo=UTC)
    bars = [Bar("m", start, start + timedelta(hours=5), "SO", "SO", "")]
    assert order_window(bars, start + timedelta(hours=2)) is not None
    assert order_window(bars, start + timedelta(days=200)) is None
    assert order_window(bars, start - timedelta(days=60)) is None


def test_the_reviewed_address_is_kept_and_shown_to_the_customer_and_staff(
    platform: Platform, web_app: Any, shop: TenantPeople
) -> None:
    client = signed_in(web_app, email(shop, "alice"))
    bad = client.post("/portal/products/fridge/order", form_of(FRIDGE, address="1 Main\tSt"))
    assert bad.status_code == 422 and "control characters" in bad.text
    placed = client.post(
        "/portal/products/fridge/order", form_of(FRIDGE, address="7 Fjord Way\n0150 Oslo")
    )
    assert placed.status_code == 303
    order_id = placed.headers["location"].split("/portal/orders/")[1].split("?")[0]
    order = platform.orders.get(shop.alice, order_id)
    assert order.delivery_address == "7 Fjord Way, 0150 Oslo"
    page = client.get(f"/portal/orders/{order_id}")
    assert "data-address>7 Fjord Way, 0150 Oslo<" in page.text
    staff = signed_in(web_app, email(shop, "planner"))
    record = staff.get(f"/factory/orders/{order.number}")
    assert record.status_code == 200 and "data-address>7 Fjord Way, 0150 Oslo<" in record.text
