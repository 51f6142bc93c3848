"""The customer's and the lab's pages in headless Chromium, at a desk (1280 px) and on a
phone (390 px), in English and Korean: review → confirm, cancel with a confirmation, inline
field errors, the sticky price bar, no page wider than the screen, and axe-core (bundled
by axe-playwright-python) finding no serious or critical accessibility violation.
Screenshots land in docs/screenshots/portal-*.png."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from openfab.catalog.ideas_schemas import IdeaCreate
from tests.web.conftest import FRIDGE, LiveServer, accessible, email, fits, place_fridge, shot
from tests.web.test_lab_page import two_objective_study

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("web-e2e")]
PHONE, DESK = 390, 1280
expect: Any = None


@pytest.fixture(autouse=True)
def _expect() -> None:
    global expect
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=20_000)
    expect = playwright_expect


@pytest.fixture
def open_as(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A signed-in page of the given width and language."""
    contexts: list[Any] = []

    def make(handle: str, *, width: int = DESK, lang: str = "en") -> Any:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": 844}, locale="en-US"
        )
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("E-mail").fill(email(live_server.people, handle))
        page.get_by_label("Password").fill("correct-horse-battery")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        if lang != "en":
            page.goto(f"/lang/{lang}?next=/")
        return page

    yield make
    for context in contexts:
        context.close()


def settle(page: Any) -> None:
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def configure_fridge(page: Any) -> None:
    page.goto("/portal/products/fridge")
    for group, option in FRIDGE.items():
        if isinstance(option, str):
            page.locator(f"#opt-{group}-{option}").check()
            settle(page)


@pytest.mark.parametrize("width", [DESK, PHONE])
def test_review_confirm_and_a_confirmed_cancel(open_as: Any, width: int) -> None:
    page = open_as("alice", width=width)
    configure_fridge(page)
    expect(page.locator("[data-price]")).to_contain_text("EUR")
    if width == PHONE:  # the price bar stays on screen while choosing
        bar = page.locator("[data-price-bar]").bounding_box()
        assert bar is not None and bar["y"] + bar["height"] <= 844 + 1
        shot(page, "portal-configure-phone-after")
    fits(page, width)
    page.locator("#order-button").click()
    expect(page.get_by_role("heading", name="Review your order")).to_be_visible()
    expect(page.locator("[data-breakdown]")).to_contain_text("Glass shelves: 3 pcs")
    fits(page, width)
    accessible(page)
    page.locator("#confirm-button").click()  # no address yet: named at its field
    expect(page.locator('[data-field-error="address"]')).to_have_text(
        "Enter the address to deliver to."
    )
    page.get_by_label("Delivery address").fill("1 Harbour Road, Busan")
    if width == PHONE:
        shot(page, "portal-review-phone-after")
    page.locator("#confirm-button").click()
    expect(page.get_by_role("status")).to_contain_text("your order was placed")
    expect(page.locator("[data-product]")).to_have_text("CoolLine refrigerator")
    fits(page, width)
    accessible(page)
    if width == PHONE:
        shot(page, "portal-order-phone-after")

    page.locator("#cancel-link").click()  # asks first
    expect(page.get_by_role("heading", name=re.compile(r"^Cancel order SO-"))).to_be_visible()
    expect(page.locator("[data-status]")).to_have_count(0)
    fits(page, width)
    accessible(page)
    page.get_by_role("button", name="Yes, cancel the order").click()
    expect(page.locator("[data-status]")).to_have_text("Cancelled")
    expect(page.get_by_role("status")).to_contain_text("The order was cancelled.")

    page.locator("#reorder-link").click()  # order again: the review, nothing placed yet
    expect(page.get_by_role("heading", name="Review your order")).to_be_visible()
    expect(page.get_by_text(re.compile(r"The same as order SO-"))).to_be_visible()


def test_out_of_range_numbers_are_named_in_korean_on_a_phone(open_as: Any) -> None:
    page = open_as("alice", width=PHONE, lang="ko")
    configure_fridge(page)
    shelves = page.locator("#opt-shelves")
    shelves.fill("9")
    shelves.press("Tab")
    settle(page)
    expect(page.locator('[data-field-error="shelves"]')).to_have_text(
        "2–6개 사이의 숫자를 입력하세요."
    )
    expect(page.locator("[data-price]")).to_have_text("가격을 아직 계산할 수 없습니다")
    expect(page.get_by_role("button", name="주문 검토")).to_be_disabled()
    shot(page, "portal-configure-error-phone-ko-after")
    page.locator("#opt-shelves").fill("3")
    page.locator("#opt-shelves").press("Tab")
    settle(page)
    quantity = page.locator("#quantity")
    quantity.fill("0")
    quantity.press("Tab")
    settle(page)
    expect(page.locator('[data-field-error="quantity"]')).to_have_text(
        "1–1000 사이의 정수를 입력하세요."
    )
    quantity = page.locator("#quantity")
    quantity.fill("2")
    quantity.press("Tab")
    settle(page)
    expect(page.locator("[data-price]")).to_contain_text("유로")
    expect(page.get_by_role("button", name="주문 검토")).to_be_enabled()


def test_a_conflict_leaves_the_repairing_options_enabled(open_as: Any) -> None:
    page = open_as("alice")
    configure_fridge(page)
    page.locator("#opt-size-w55_250").check()  # 55 cm takes at most 3 shelves…
    settle(page)
    page.locator("#opt-shelves").fill("5")  # …so this conflicts
    page.locator("#opt-shelves").press("Tab")
    settle(page)
    expect(page.get_by_text("These choices cannot be built together")).to_be_visible()
    expect(page.locator("#opt-size-w90_550")).to_be_enabled()  # the repair
    page.locator("#opt-size-w90_550").check()
    settle(page)
    expect(page.locator("#order-button")).to_be_enabled()


PAGES = [
    ("alice", "/portal"),
    ("alice", "/portal/products/fridge"),
    ("alice", "/portal/orders"),
    ("alice", "{order}"),
    ("alice", "{order}/cancel"),
    ("alice", "/portal/ideas"),
    ("alice", "{idea}"),
    ("admin", "{idea}"),  # with the promotion form
    ("admin", "/lab"),
    ("admin", "/lab/new"),
    ("admin", "{study}"),
    ("admin", "{study}/edit"),
]


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("width", [DESK, PHONE])
def test_every_customer_and_lab_page_fits_and_passes_axe(
    open_as: Any, live_server: LiveServer, width: int, lang: str
) -> None:
    people = live_server.people
    order = place_fridge(live_server.platform, people.alice)
    study = two_objective_study(live_server.platform, people.admin, runs=5)
    idea = live_server.platform.ideas.propose(
        people.alice,
        IdeaCreate(title="A quieter fan", description="Half the noise.", base_product="fridge"),
    )
    values = {
        "order": f"/portal/orders/{order.id}",
        "study": f"/lab/{study.id}",
        "idea": f"/portal/ideas/{idea.id}",
    }
    pages = {handle: open_as(handle, width=width, lang=lang) for handle in ("alice", "admin")}
    for handle, path in PAGES:
        page = pages[handle]
        page.goto(path.format(**values))
        expect(page.locator("html")).to_have_attribute("lang", lang)
        settle(page)
        fits(page, width)
        accessible(page)
    login = pages["alice"].context.browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 844}
    )
    try:
        page = login.new_page()
        page.goto(f"/lang/{lang}?next=/login")
        fits(page, width)
        accessible(page)
    finally:
        login.close()


def test_the_lab_from_the_browser(open_as: Any, live_server: LiveServer, tmp_path: Any) -> None:
    page = open_as("admin", width=PHONE)
    page.goto("/lab")
    page.locator("#new-study").click()
    name = f"slurry-{uuid.uuid4().hex[:6]}"
    document = (
        f"name: {name}\nparameters:\n"
        "  - {name: binder, type: continuous, low: 0.0, high: 0.2}\n"
        "  - {name: minutes, type: integer, low: 5, high: 60}\n"
        "objectives:\n  - {name: capacity, goal: maximize, unit: mAh/g}\n"
    )
    page.get_by_label("Study (YAML)").fill(document)
    page.locator("#save-study").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text("The study was created.")
    fits(page, PHONE)
    bad = tmp_path / "bad.csv"
    bad.write_text("binder,minutes,capacity\n0.1,10,150\n0.1,x,151\n")
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.locator("#upload-results").click()
    expect(page.locator("[data-upload-problems]")).to_contain_text("line 3: minutes")
    good = tmp_path / "runs.csv"
    rows = [f"{0.02 * i:.2f},{5 + 5 * i},{150 + 10 * i - 0.4 * i**2:.1f}" for i in range(6)]
    good.write_text("binder,minutes,capacity\n" + "\n".join(rows) + "\n")
    page.get_by_label("CSV file").set_input_files(str(good))
    page.locator("#upload-results").click()
    expect(page.get_by_text("6 runs were added.")).to_be_visible()
    expect(page.locator("table.runs tbody tr")).to_have_count(6)
    # the models arrive after the page (they are fitted on this first view)
    expect(page.locator("[data-models-ready]")).to_be_visible(timeout=240_000)
    fits(page, PHONE)
    accessible(page)
    shot(page, "portal-lab-study-phone-after")
    page.locator("#edit-study").click()
    page.get_by_label("Study (YAML)").fill(document.replace("high: 60", "high: 20"))
    page.locator("#save-study").click()
    expect(page.locator("[data-problems]")).to_contain_text("runs.6.minutes")
