"""The public passport page in Chromium: a phone opens it from the QR code and switches to
Korean. (Here, beside the other browser tests: the browser is one per test run, and a second
Playwright in the same process would find the first one's event loop running.)"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import make_tenant
from tests.lifecycle.conftest import battery_run
from tests.web.conftest import LiveServer, shot

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("web-e2e")]


def test_a_phone_opens_the_passport_and_switches_to_korean(
    browser: Any,
    live_server: LiveServer,
) -> None:
    platform = live_server.platform
    brand = make_tenant(platform)
    run = battery_run(platform, brand, quantity=1)
    passport = platform.lifecycle.passport(brand.planner, run.serials[0])
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/p/{passport.id}")
        assert page.locator("h1").inner_text().startswith("Battery passport")
        assert page.locator("[data-qr] svg").is_visible()
        assert page.locator("[data-carbon]").inner_text().endswith("kg CO₂e")
        page.click("a[hreflang=ko]")
        page.wait_for_load_state()
        assert page.locator("h1").inner_text().startswith("배터리 여권")
        assert page.locator("html").get_attribute("lang") == "ko"
        shot(page, "30-battery-passport-korean")
    finally:
        context.close()
