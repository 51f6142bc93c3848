"""End to end in headless Chromium against a real uvicorn server: what a customer, a planner
and a stranger see. Screenshots of every page land in docs/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import make_plant_staff
from tests.web.conftest import LiveServer, email, place_fridge, shot

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("web-e2e")]
expect: Any = None


@pytest.fixture(autouse=True)
def _expect() -> None:
    global expect
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=15_000)
    expect = playwright_expect


def open_page(browser: Any, live: LiveServer, *, width: int = 1280, height: int = 900) -> Any:
    context = browser.new_context(
        base_url=live.url, viewport={"width": width, "height": height}, locale="en-US"
    )
    return context.new_page()


def sign_in(page: Any, address: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(address)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.fixture
def page_factory(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    contexts: list[Any] = []

    def make(address: str | None = None, **size: int) -> Any:
        page = open_page(browser, live_server, **size)
        contexts.append(page.context)
        if address:
            sign_in(page, address)
        return page

    yield make
    for context in contexts:
        context.close()


def settle(page: Any) -> None:
    """Wait until htmx has no request in flight (the configurator re-renders on each change)."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def choose(page: Any, group: str, option: str) -> None:
    page.locator(f"#opt-{group}-{option}").check()
    settle(page)
    expect(page.locator(f"#opt-{group}-{option}")).to_be_checked()


def test_customer_configures_a_fridge_sees_why_an_option_is_forbidden_orders_and_tracks(
    page_factory: Any, live_server: LiveServer
) -> None:
    people = live_server.people
    page = page_factory()
    page.goto("/portal")
    expect(page).to_have_url(live_server.url + "/login?next=/portal")
    shot(page, "01-sign-in")
    sign_in(page, email(people, "alice"))
    page.goto("/portal")
    expect(page.get_by_role("heading", name="Catalog", exact=True)).to_be_visible()
    shot(page, "02-catalog")

    page.get_by_role("link", name="Configure: CoolLine refrigerator").click()
    expect(page.get_by_role("heading", name="CoolLine refrigerator")).to_be_visible()
    choose(page, "door", "single_door")
    ice_maker = page.locator("#opt-extras-ice_maker")
    expect(ice_maker).to_be_disabled()
    reason = page.locator('[data-reason-for="ice_maker"]')
    expect(reason).to_contain_text("The ice maker fits double-door and French-door models only.")
    assert ice_maker.get_attribute("aria-describedby") == reason.get_attribute("id")
    expect(page.locator("#order-button")).to_have_count(0)
    shot(page, "03-configure-forbidden-option")

    for group, option in (
        ("door", "double_door"),
        ("size", "w60_330"),
        ("finish", "white"),
        ("compressor", "inverter"),
        ("energy_class", "class_b"),
        ("display", "led_display"),
        ("handle", "bar_handle"),
    ):
        choose(page, group, option)
    expect(page.locator("#opt-extras-ice_maker")).to_be_enabled()
    expect(page.locator("[data-price]")).to_contain_text("EUR")
    expect(page.locator("[data-promise]")).to_contain_text("UTC")
    price = page.locator("[data-price]").inner_text()
    shot(page, "04-configure-ready")

    page.locator("#order-button").click()  # the review, then confirm
    expect(page.get_by_role("heading", name="Review your order")).to_be_visible()
    page.get_by_label("Delivery address").fill("1 Harbour Road, Busan")
    page.locator("#confirm-button").click()
    expect(page.get_by_role("status")).to_contain_text("your order was placed")
    expect(page.locator("[data-status]")).to_have_text("Received")
    number = page.get_by_role("heading", level=1).inner_text().removeprefix("Order ")
    assert number.startswith("SO-")
    expect(page.locator(".steps li")).to_have_count(1)
    assert price.replace(",", "") in page.content().replace(",", "")
    shot(page, "05-order-tracking")

    page.get_by_role("link", name="Order again").click()
    expect(page.get_by_role("heading", name="Review your order")).to_be_visible()
    page.get_by_label("Delivery address").fill("1 Harbour Road, Busan")
    page.locator("#confirm-button").click()
    expect(page.get_by_role("status")).to_contain_text("your order was placed")
    second = page.get_by_role("heading", level=1).inner_text().removeprefix("Order ")
    assert second != number
    page.goto("/portal/orders")
    expect(page.get_by_role("link", name=number)).to_be_visible()
    expect(page.get_by_role("link", name=second)).to_be_visible()
    shot(page, "06-my-orders")


def test_planner_sees_the_order_on_the_gantt_after_planning(
    page_factory: Any, live_server: LiveServer
) -> None:
    people = live_server.people
    order = place_fridge(live_server.platform, people.alice, finish="silver")
    planner = make_plant_staff(live_server.platform).email("planner")  # the plant plans
    page = page_factory(planner)
    page.goto("/dashboard")
    expect(page.locator('[data-kpi="orders_today"] .kpi-value')).not_to_have_text("—")
    expect(page.locator('[data-kpi="oee"] .kpi-value')).to_have_text("—")
    page.get_by_role("button", name="Plan now").click()
    bar = page.locator(f'svg.gantt rect.bar[data-order="{order.number}"]')
    expect(bar.first).to_be_visible(timeout=45_000)  # the solver may take its 10 s and more
    assert bar.count() >= 4  # press, paint, foam, assemble, test, pack
    expect(page.locator("svg.gantt .now-line")).to_have_count(1)
    expect(page.locator("svg.gantt rect.window")).not_to_have_count(0)
    expect(page.locator("#panel-decisions")).to_contain_text("requested by")
    expect(page.locator("#live-status")).to_contain_text("Live")
    shot(page, "07-dashboard")

    customer = page_factory(email(people, "alice"))
    customer.goto(f"/portal/orders/{order.id}")
    expect(customer.locator("[data-status]")).to_have_text("Planned")
    expect(customer.locator(".steps li")).to_have_count(2)  # Received, Planned, with times
    expect(
        customer.locator(f'svg.gantt rect.bar[data-order="{order.number}"]').first
    ).to_be_visible()
    shot(customer, "05b-order-tracking-planned")

    # Live: the brand's order desk sees an order placed elsewhere without a reload.
    page = page_factory(email(people, "planner"))
    page.goto("/dashboard")
    later = place_fridge(live_server.platform, people.bob)
    expect(page.locator("#live-events")).to_contain_text("order.placed", timeout=20_000)
    expect(page.locator("#panel-events")).to_contain_text(later.number, timeout=20_000)

    page.goto("/dashboard/events")
    page.get_by_label("Type starts with").fill("order.")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#event-results")).to_contain_text("order.placed")
    shot(page, "08-event-log")


def test_admin_checks_the_audit_chain(page_factory: Any, live_server: LiveServer) -> None:
    page = page_factory(email(live_server.people, "admin"))
    page.goto("/dashboard/events")
    page.get_by_role("button", name="Check the audit chain").click()
    expect(page.locator("#audit-result")).to_contain_text("Chain intact")


def test_an_idea_gets_votes_and_is_promoted_to_a_draft_product(
    page_factory: Any, live_server: LiveServer
) -> None:
    people = live_server.people
    alice = page_factory(email(people, "alice"))
    alice.goto("/portal/ideas")
    expect(alice.locator(".empty")).to_be_visible()
    alice.get_by_label("Title").fill("Fridge with a pet-food drawer")
    alice.get_by_label("What should it do?").fill("A cooled drawer at the bottom for pet food.")
    alice.get_by_label("Builds on").select_option("fridge")
    alice.get_by_role("button", name="Propose").click()
    expect(alice.get_by_role("heading", name="Fridge with a pet-food drawer")).to_be_visible()
    alice.get_by_role("button", name="Vote: Fridge with a pet-food drawer").click()
    expect(alice.locator("[data-votes]")).to_have_text("1")
    expect(alice.get_by_role("button", name="Withdraw my vote: Fridge with a pet-food drawer"))
    idea_url = alice.url

    bob = page_factory(email(people, "bob"))
    bob.goto("/portal/ideas")
    bob.get_by_role("button", name="Vote: Fridge with a pet-food drawer").click()
    expect(bob.locator("[data-votes]").first).to_have_text("2")
    bob.goto(idea_url)
    bob.get_by_label("Your comment").fill("Yes please, with a lock for curious cats.")
    bob.get_by_role("button", name="Comment").click()
    expect(bob.locator(".comments")).to_contain_text("curious cats")
    expect(bob.get_by_role("heading", name="Promote to a draft product")).to_have_count(0)
    bob.goto("/portal/ideas")
    shot(bob, "09-ideas-board")

    planner = page_factory(email(people, "planner"))
    planner.goto(idea_url)
    planner.get_by_label("Product code").fill("fridge-pet")
    planner.get_by_label("Product name").fill("CoolLine Pet")
    shot(planner, "10-idea-promote")
    planner.get_by_role("button", name="Promote", exact=True).click()
    expect(planner.locator("[data-status]")).to_have_text("Promoted")
    expect(planner.get_by_role("link", name="CoolLine Pet")).to_be_visible()
    # Alice's page is stale now: the server's refusal appears in the page, readably.
    alice.get_by_role("button", name="Withdraw my vote: Fridge with a pet-food drawer").click()
    expect(alice.locator("#flash")).to_contain_text("already promoted")
    expect(alice.locator("#flash")).to_contain_text("That is not possible right now")
    shot(alice, "14-error-in-page")
    planner.goto("/portal")
    expect(planner.get_by_text("CoolLine Pet")).to_be_visible()
    expect(planner.locator(".badge.draft")).to_have_text("Draft")
    alice.goto("/portal")
    expect(alice.get_by_text("CoolLine Pet")).to_have_count(0)  # drafts are not for sale


def test_the_language_switch_translates_the_page(
    page_factory: Any, live_server: LiveServer
) -> None:
    page = page_factory(email(live_server.people, "planner"))
    page.goto("/dashboard")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="한국어").click()
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("heading", name="공장 현황")).to_be_visible()
    expect(page.get_by_role("link", name="제품")).to_be_visible()
    expect(page.locator('[data-kpi="oee"]')).to_contain_text("설비종합효율")
    shot(page, "11-dashboard-korean")
    page.goto("/portal/products/fridge")
    expect(page.get_by_role("button", name="주문 검토")).to_be_disabled()  # not complete yet
    expect(page.get_by_text("남은 선택")).to_be_visible()
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_the_dashboard_shows_energy_and_the_floors_machine_states(
    page_factory: Any, live_server: LiveServer
) -> None:
    page = page_factory(email(live_server.people, "planner"))
    page.goto("/dashboard")
    energy = page.locator('[data-kpi="energy"] .kpi-value')
    expect(energy).to_have_text(re.compile(r"^\d[\d.,]* [kM]Wh$"))  # a day's energy, no units
    expect(page.locator('[data-kpi="energy"]')).to_contain_text("no good units")
    expect(page.locator('[data-kpi="solar_share"] .kpi-value')).to_have_text(
        re.compile(r"^\d+\.\d%$")
    )
    down = page.locator('#panel-machines .badge.m-Down[data-source="execution"]')
    expect(down).to_contain_text("Down · since")
    expect(down).to_have_attribute("title", "spindle jam")
    expect(page.locator('#panel-machines .badge.m-Setup[data-source="execution"]')).to_be_visible()
    expect(page.locator("#panel-machines")).to_contain_text("Health")
    page.locator("#panel-machines").scroll_into_view_if_needed()
    shot(page, "15-dashboard-energy-and-machines")


def test_korean_customers_read_the_catalog_its_reasons_and_errors_in_korean(
    page_factory: Any, live_server: LiveServer
) -> None:
    page = page_factory(email(live_server.people, "alice"))
    page.goto("/lang/ko?next=/portal")
    expect(page.get_by_role("link", name="구성하기: 쿨라인 냉장고")).to_be_visible()
    page.goto("/portal/products/fridge")
    expect(page.get_by_role("heading", name="쿨라인 냉장고")).to_be_visible()
    choose(page, "door", "single_door")
    expect(page.locator("#opt-extras-ice_maker")).to_be_disabled()
    expect(page.locator('[data-reason-for="ice_maker"]')).to_contain_text(
        "제빙기는 2도어와 프렌치 도어 모델에만 들어갑니다."
    )
    expect(page.get_by_text("글로시 화이트")).to_be_visible()
    shot(page, "16-configure-korean")
    page.goto("/dashboard")  # a service's refusal, in Korean, the English kept beside
    expect(page.get_by_role("heading", name="권한이 없습니다")).to_be_visible()
    expect(page.locator(".error-detail")).to_have_text("이 작업을 할 권한이 없습니다.")
    expect(page.locator(".error-original")).to_have_text("this page is for factory staff")
    shot(page, "17-error-korean")
    page.goto("/no/such/page")  # an unknown address: the error page, not JSON
    expect(page.get_by_role("heading", name="찾을 수 없습니다")).to_be_visible()
    expect(page.get_by_text("이 주소에는 페이지가 없습니다.")).to_be_visible()
    expect(page.get_by_role("link", name="첫 화면으로")).to_be_visible()
    shot(page, "18-unknown-page-korean")


def test_tablet_width_and_keyboard(page_factory: Any, live_server: LiveServer) -> None:
    page = page_factory(email(live_server.people, "alice"), width=768, height=1024)
    page.goto("/portal/products/fridge")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 768, f"page scrolls sideways at tablet width ({width}px)"
    shot(page, "12-configure-tablet")
    page.goto("/dashboard")  # a customer is refused the factory pages, readably
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()


def test_another_customer_or_tenant_cannot_see_the_order(
    page_factory: Any, live_server: LiveServer
) -> None:
    people, others = live_server.people, live_server.others
    order = place_fridge(live_server.platform, people.alice)
    bob = page_factory(email(people, "bob"))
    bob.goto(f"/portal/orders/{order.id}")
    expect(bob.get_by_role("heading", name="Not found")).to_be_visible()
    assert order.number not in bob.content()
    shot(bob, "13-not-found")
    bob.goto("/portal/orders")
    assert order.number not in bob.content()

    stranger = page_factory(email(others, "alice"))
    stranger.goto(f"/portal/orders/{order.number}")
    expect(stranger.get_by_role("heading", name="Not found")).to_be_visible()
    their_planner = page_factory(email(others, "planner"))
    their_planner.goto("/dashboard")
    expect(their_planner.get_by_role("heading", name="Factory")).to_be_visible()
    assert order.number not in their_planner.content()
    their_planner.goto(f"/dashboard/events?entity={order.id}")
    expect(their_planner.locator("#event-results")).to_contain_text("No events match")


def test_quality_staff_see_rejects_heat_maps_control_charts_and_causes(
    page_factory: Any, live_server: LiveServer
) -> None:
    from tests.quality.test_process_control import KEY
    from tests.web.test_quality_page import seed_quality

    bad = seed_quality(live_server.platform, live_server.people)
    staff = make_plant_staff(live_server.platform)
    page = page_factory(staff.email("quality"))
    page.goto(f"/dashboard/quality?characteristic={KEY}&kind=imr")
    expect(page.get_by_role("heading", name="Quality", exact=True)).to_be_visible()
    expect(page.locator("svg.control-chart")).to_be_visible()
    expect(page.locator("svg.control-chart .limit-ucl")).to_have_count(1)
    heat = page.locator(f'#rejects li[data-serial="{bad}"] img')
    expect(heat).to_be_visible()
    assert heat.evaluate("img => img.complete && img.naturalWidth > 0"), "heat map did not load"
    expect(page.locator("#causes")).to_contain_text("units")
    shot(page, "20-quality")
    page.get_by_role("link", name="한국어").click()
    expect(page.get_by_role("heading", name="통계적 공정 관리")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 390, "height": 844})
    narrow = page.evaluate("document.documentElement.scrollWidth")
    assert narrow <= 400, f"quality page scrolls sideways on a phone ({narrow}px; desk {width}px)"
    page.get_by_role("link", name="English").click()
