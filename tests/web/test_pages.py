"""The pages through a TestClient: sign-in, CSRF, configure → order → track, reorder, errors,
and tenant isolation, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import pytest

from openfab.platform import Platform
from tests.conftest import PLANT, TenantPeople
from tests.web.conftest import FRIDGE, WebClient, email, place_fridge, signed_in


def form_of(choices: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in choices.items() if v != []}


def test_pages_send_strangers_to_the_sign_in_page(web: WebClient) -> None:
    for path in ("/portal", "/portal/orders", "/portal/ideas", "/dashboard"):
        response = web.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next={path}"


def test_sign_in_sets_a_strict_http_only_session_cookie(web: WebClient, shop: TenantPeople) -> None:
    response = web.login(email(shop, "alice"))
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "openfab_session=" in cookie
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert web.get("/portal").status_code == 200


def test_a_wrong_password_is_a_readable_message_and_no_session(
    web: WebClient, shop: TenantPeople
) -> None:
    response = web.login(email(shop, "alice"), password="wrong-password-123")
    assert response.status_code == 401
    assert "Wrong e-mail or password." in response.text
    assert "openfab_session" not in response.headers.get("set-cookie", "")
    assert "Traceback" not in response.text


def test_sign_in_never_redirects_to_another_site(web: WebClient, shop: TenantPeople) -> None:
    web.get("/login")
    web.csrf = re.findall(r'name="csrf_token" value="([^"]+)"', web.get("/login").text)[0]
    for target in ("https://evil.example.com/", "//evil.example.com", "/\\evil"):
        response = web.post(
            "/login",
            {"email": email(shop, "alice"), "password": "correct-horse-battery", "next": target},
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/"


def test_a_form_without_the_csrf_token_is_refused_and_writes_nothing(
    platform: Platform, web_app: Any, shop: TenantPeople
) -> None:
    client = signed_in(web_app, email(shop, "alice"))
    ideas, orders = platform.ideas.list(shop.alice).count, platform.orders.list(shop.alice).count
    client.csrf = "forged"
    response = client.post("/portal/ideas", {"title": "Sneaky idea", "description": "x"})
    assert response.status_code == 403
    assert "reload the page" in response.text
    client.csrf = ""
    response = client.post("/portal/products/fridge/order", form_of(FRIDGE))
    assert response.status_code == 403
    assert platform.ideas.list(shop.alice).count == ideas
    assert platform.orders.list(shop.alice).count == orders


def test_sign_out_ends_the_session(web_app: Any, shop: TenantPeople) -> None:
    client = signed_in(web_app, email(shop, "alice"))
    response = client.post("/logout")
    assert response.status_code == 303
    assert client.get("/portal", follow_redirects=False).status_code == 303


def test_the_configurator_disables_a_forbidden_option_and_says_why(
    web_app: Any, shop: TenantPeople
) -> None:
    client = signed_in(web_app, email(shop, "alice"))
    response = client.post(
        "/portal/products/fridge/preview", {"door": "single_door"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    ice_maker = re.search(r'<input[^>]*id="opt-extras-ice_maker"[^>]*>', response.text)
    assert ice_maker is not None and " disabled" in ice_maker.group(0)
    assert 'aria-describedby="why-extras-ice_maker"' in ice_maker.group(0)
    reason = re.search(r'id="why-extras-ice_maker"[^>]*>(.*?)</p>', response.text, re.S)
    assert reason is not None
    assert "The ice maker fits double-door and French-door models only." in reason.group(1)
    assert "Review order" in response.text and 'id="order-button"' not in response.text


def test_price_and_promise_follow_the_choices(
    platform: Platform, web_app: Any, shop: TenantPeople
) -> None:
    client = signed_in(web_app, email(shop, "alice"))
    expected = platform.catalog.configure(shop.alice, "fridge", FRIDGE).price
    response = client.post("/portal/products/fridge/preview", {**form_of(FRIDGE), "quantity": "2"})
    assert f"{expected * 2:,.2f} EUR" in response.text
    assert 'id="order-button"' in response.text
    assert re.search(r"data-promise>\d{4}-\d\d-\d\d \d\d:\d\d UTC<", response.text)
    dearer = client.post(
        "/portal/products/fridge/preview", {**form_of(FRIDGE), "finish": "stainless"}
    )
    price = platform.catalog.configure(shop.alice, "fridge", {**FRIDGE, "finish": "stainless"})
    assert f"{price.price:,.2f} EUR" in dearer.text


def test_conflicting_choices_name_every_broken_rule(web_app: Any, shop: TenantPeople) -> None:
    client = signed_in(web_app, email(shop, "alice"))
    choices = {**form_of(FRIDGE), "door": "single_door", "extras": ["ice_maker"]}
    response = client.post("/portal/products/fridge/preview", choices)
    assert "cannot be built together" in response.text
    assert "The ice maker fits double-door and French-door models only." in response.text
    assert "The ice maker needs the fixed water connection." in response.text


def test_a_customer_orders_tracks_and_reorders(
    platform: Platform, web_app: Any, shop: TenantPeople
) -> None:
    client = signed_in(web_app, email(shop, "alice"))
    before = platform.orders.list(shop.alice).count
    response = client.post("/portal/products/fridge/order", form_of(FRIDGE))
    assert response.status_code == 303
    order_id = response.headers["location"].split("/")[-1].split("?")[0]
    order = platform.orders.get(shop.alice, order_id)
    configured = platform.catalog.configure(shop.alice, "fridge", FRIDGE)
    assert order.choices == configured.to_dict()["choices"]
    page = client.get(response.headers["location"])
    assert order.number in page.text
    assert "Received" in page.text and "Glossy white" in page.text

    review = client.get(f"/portal/orders/{order_id}/reorder")  # a review, nothing placed
    assert review.status_code == 200 and "Confirm order" in review.text
    assert platform.orders.list(shop.alice).count == before + 1
    again = client.post("/portal/products/fridge/order", form_of(FRIDGE))
    assert again.status_code == 303
    second = platform.orders.get(shop.alice, again.headers["location"].split("/")[-1][:36])
    assert second.id != order.id and second.choices == order.choices
    listing = client.get("/portal/orders").text
    assert order.number in listing and second.number in listing


def test_an_invalid_order_is_refused_with_the_rules_and_nothing_is_written(
    platform: Platform, web_app: Any, shop: TenantPeople
) -> None:
    client = signed_in(web_app, email(shop, "alice"))
    before = platform.orders.list(shop.alice).count
    bad = {**form_of(FRIDGE), "door": "single_door", "extras": ["ice_maker"], "shelves": "lots"}
    response = client.post("/portal/products/fridge/order", bad)
    assert response.status_code == 422
    assert "The order was not placed" in response.text
    assert "The ice maker fits double-door" in response.text
    assert "Traceback" not in response.text
    assert platform.orders.list(shop.alice).count == before


def test_unknown_pages_and_products_are_readable_not_found_pages(
    web_app: Any, shop: TenantPeople
) -> None:
    client = signed_in(web_app, email(shop, "alice"))
    for path in ("/portal/products/toaster", "/portal/orders/nope", "/portal/ideas/nope"):
        response = client.get(path)
        assert response.status_code == 404
        assert "<h1>Not found</h1>" in response.text


def test_htmx_errors_go_to_the_alert_region(web_app: Any, shop: TenantPeople) -> None:
    client = signed_in(web_app, email(shop, "alice"))
    response = client.post("/portal/ideas/nope/vote", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#flash"
    assert "<html" not in response.text


def test_customers_cannot_open_the_factory_pages(web_app: Any, shop: TenantPeople) -> None:
    client = signed_in(web_app, email(shop, "alice"))
    for path in ("/dashboard", "/dashboard/events", "/dashboard/kpis", "/dashboard/stream"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "for factory staff" in response.text


def test_drafts_are_hidden_from_customers(
    platform: Platform, web_app: Any, shop: TenantPeople
) -> None:
    from openfab.catalog.ideas_schemas import IdeaCreate, IdeaPromotion

    idea = platform.ideas.propose(shop.alice, IdeaCreate(title="Mini fridge", description="x"))
    platform.ideas.promote(
        shop.planner,
        idea.id,
        IdeaPromotion(code="mini-fridge", name="Mini", base_product="fridge"),
    )
    customer = signed_in(web_app, email(shop, "alice"))
    assert "mini-fridge" not in customer.get("/portal").text
    assert customer.get("/portal/products/mini-fridge").status_code == 404
    planner = signed_in(web_app, email(shop, "planner"))
    assert "mini-fridge" in planner.get("/portal").text
    assert planner.get("/portal/products/mini-fridge").status_code == 200


@pytest.mark.parametrize("who", ["bob", "other-alice", "other-planner"])
def test_nobody_else_sees_an_order(
    platform: Platform, web_app: Any, shop: TenantPeople, rival: TenantPeople, who: str
) -> None:
    order = place_fridge(platform, shop.alice)
    if who == "other-planner":
        platform.planning.plan(PLANT, time_limit=2)
    other = rival
    address = {
        "bob": email(shop, "bob"),
        "other-alice": email(other, "alice"),
        "other-planner": email(other, "planner"),
    }[who]
    client = signed_in(web_app, address)
    for path in (f"/portal/orders/{order.id}", f"/portal/orders/{order.number}"):
        assert client.get(path).status_code == 404
    assert client.get(f"/portal/orders/{order.id}/reorder").status_code == 404
    assert client.get(f"/portal/orders/{order.id}/cancel").status_code == 404
    assert order.number not in client.get("/portal/orders").text
    if who == "other-planner":
        for path in ("/dashboard", "/dashboard/panels/gantt", "/dashboard/events"):
            page = client.get(path)
            assert page.status_code == 200
            assert order.number not in page.text and order.id not in page.text
        events = client.get(f"/dashboard/events?entity={order.id}").text
        assert "No events match" in events and order.number not in events


def test_the_portal_does_not_offer_a_draft_product(
    platform: Platform, web_app: Any, shop: TenantPeople
) -> None:
    from openfab.catalog.ideas_schemas import IdeaCreate, IdeaPromotion

    idea = platform.ideas.propose(
        shop.alice, IdeaCreate(title="Loft fridge", description="Slim.", base_product="fridge")
    )
    platform.ideas.promote(shop.planner, idea.id, IdeaPromotion(code="loft-fridge", name="Loft"))
    alice = signed_in(web_app, email(shop, "alice"))
    assert "loft-fridge" not in alice.get("/portal").text
    assert alice.get("/portal/products/loft-fridge").status_code == 404
    refused = alice.post(
        "/portal/products/loft-fridge/order",
        {k: str(v) for k, v in FRIDGE.items() if k != "extras"},
    )
    assert refused.status_code == 404
    planner = signed_in(web_app, email(shop, "planner"))  # staff preview it, cannot order it
    preview = planner.post(
        "/portal/products/loft-fridge/preview",
        {k: str(v) for k, v in FRIDGE.items() if k != "extras"},
    ).text
    assert 'id="order-button"' not in preview and "cannot be ordered" in preview
    ordered = planner.post(
        "/portal/products/loft-fridge/order",
        {k: str(v) for k, v in FRIDGE.items() if k != "extras"},
    )
    assert ordered.status_code == 409 and "is Draft" in ordered.text
