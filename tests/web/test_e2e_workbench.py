"""The planner's workbench in headless Chromium at a desk (1280 px) and on a phone (390 px):
the order search, the order record, the Gantt and the dashboard fit the screen (wide tables
and the chart scroll in their own box) and axe-core (bundled by axe-playwright-python) finds
no serious or critical accessibility violation, in English and Korean."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import PASSWORD, PLANT, make_plant_staff
from tests.planning.moves import free_sibling
from tests.web.conftest import LiveServer, accessible, email, fits, place_fridge, shot

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("web-e2e")]
PHONE, DESK = 390, 1280


@pytest.fixture(scope="module")
def planned(live_server: LiveServer) -> str:
    """An order of Alice's, planned with the rest: its number."""
    order = place_fridge(live_server.platform, live_server.people.alice)
    live_server.platform.planning.plan(PLANT, trigger="requested by e2e", time_limit=5)
    return order.number


@pytest.fixture
def open_as(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    contexts: list[Any] = []

    def make(address: str, *, width: int = DESK, lang: str = "en", height: int = 844) -> Any:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": height}, locale="en-US"
        )
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        page.locator("#email").fill(address)
        page.locator("#password").fill(PASSWORD)
        page.locator("form button[type=submit]").first.click()
        page.wait_for_load_state()
        if lang != "en":
            page.goto(f"/lang/{lang}?next=/")
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.mark.parametrize("width", [DESK, PHONE])
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_brand_planner_finds_an_order_and_opens_its_record(
    open_as: Any, live_server: LiveServer, planned: str, width: int, lang: str
) -> None:
    from playwright.sync_api import expect

    page = open_as(email(live_server.people, "planner"), width=width, lang=lang)
    page.goto("/factory/orders")
    page.locator("#f-q").fill(f"alice@{live_server.people.tenant_id}")
    page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_load_state()
    assert "q=alice" in page.url  # the search is in the URL
    row = page.locator(f'tr[data-order="{planned}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text(f"alice@{live_server.people.tenant_id}")
    fits(page, width)
    accessible(page)
    if lang == "en":
        shot(page, f"workbench-e2e-search-{width}")
    row.get_by_role("link", name=planned).click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text(planned)
    expect(page.locator("#plan svg.gantt")).to_be_visible()
    fits(page, width)
    accessible(page)
    if lang == "en":
        shot(page, f"workbench-e2e-order-{width}")


@pytest.mark.parametrize("width", [DESK, PHONE])
def test_the_plant_planner_reads_the_gantt_and_clicks_through(
    open_as: Any, live_server: LiveServer, planned: str, width: int
) -> None:
    from playwright.sync_api import expect

    planner = make_plant_staff(live_server.platform).email("planner")
    page = open_as(planner, width=width)
    page.goto(f"/factory/gantt?highlight={planned}")
    chart = page.locator("svg.gantt.planner")
    expect(chart).to_be_visible()
    expect(page.locator(f'rect.bar.path[data-order="{planned}"]').first).to_be_attached()
    expect(page.locator("svg.gantt .now-line")).to_have_count(1)
    fits(page, width)
    accessible(page)
    shot(page, f"workbench-e2e-gantt-{width}")
    page.get_by_role("link", name="1 week").click()
    page.wait_for_load_state()
    assert "hours=168" in page.url
    page.goto(f"/factory/gantt?highlight={planned}&open=all")
    href = page.locator(f'a.bar-link:has(rect[data-order="{planned}"])').first.get_attribute("href")
    assert href == f"/factory/orders/{planned}"
    page.goto(href)
    expect(page.locator("h1")).to_contain_text(planned)
    page.goto("/dashboard")
    fits(page, width)
    accessible(page)
    shot(page, f"workbench-e2e-dashboard-{width}")


def test_the_plant_planner_drags_an_operation_onto_a_sibling_machine(
    open_as: Any, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    platform = live_server.platform
    order = place_fridge(platform, live_server.people.alice)
    platform.planning.plan(PLANT, trigger="requested by e2e", time_limit=5)
    last = platform.planning.order_plan(PLANT, order.id).rows[0].bars[-1]
    target = free_sibling(platform, last, last.start_at + timedelta(hours=1))
    planner = make_plant_staff(platform).email("planner")
    page = open_as(planner)
    page.goto(f"/factory/gantt?order={order.number}&open=all")
    expect(page.locator("svg.gantt.planner.movable")).to_be_attached()  # gantt.js is on
    bar = page.locator(f'rect.bar[data-order="{order.number}"][data-sequence="{last.sequence}"]')
    lane = page.locator(f'rect.lane[data-machine="{target}"]')
    bar.first.scroll_into_view_if_needed()
    lane.scroll_into_view_if_needed()  # a sibling's row is next to it: both on screen
    box, row = bar.first.bounding_box(), lane.bounding_box()
    assert box is not None and row is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 40, row["y"] + row["height"] / 2, steps=8)
    page.mouse.up()
    assert page.url.endswith("open=all")  # the drop did not follow the bar's link
    expect(page.locator("#move-status")).to_contain_text(order.number)
    expect(page.locator("#m-order")).to_have_value(order.number)
    expect(page.locator("#m-seq")).to_have_value(str(last.sequence))
    expect(page.locator("#m-machine")).to_have_value(target)
    dropped = datetime.fromisoformat(page.locator("#m-start").input_value()).replace(tzinfo=UTC)
    assert dropped > last.start_at  # dragged to the right: later
    shot(page, "workbench-e2e-gantt-drag")
    page.locator("#move-submit").click()
    page.wait_for_load_state()
    expect(page.locator("#pinned")).to_contain_text(target)
    page.goto("/factory/gantt")
    expect(page.locator("#pin-list")).to_contain_text(order.number)
    moved = platform.planning.order_plan(PLANT, order.id).rows[0].bars
    assert {b.machine for b in moved if b.sequence == last.sequence} == {target}
