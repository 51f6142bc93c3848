"""The public passport page the QR code opens: no sign-in, the published sections only, in
English and Korean, with the QR code; and a browser reading it (Chromium)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from openfab.api.app import create_app
from openfab.platform import Platform
from tests.conftest import PLANT, TenantPeople, make_tenant
from tests.lifecycle.conftest import BatteryRun, battery_run
from tests.web.conftest import LiveServer, browser, live_server, shot  # noqa: F401

pytestmark = pytest.mark.xdist_group("lifecycle-web")


@pytest.fixture(scope="module")
def built(platform: Platform, brand: TenantPeople) -> BatteryRun:
    return battery_run(platform, brand, quantity=1)


def test_the_public_page_shows_published_sections_in_both_languages(
    platform: Platform, brand: TenantPeople, built: BatteryRun
) -> None:
    passport = platform.lifecycle.passport(PLANT, built.serials[0], tenant=brand.tenant_id)
    client = TestClient(create_app(platform), raise_server_exceptions=False)
    page = client.get(f"/p/{passport.id}", headers={"Accept-Language": "en"})
    assert page.status_code == 200, page.text
    html = page.text
    assert "Battery passport" in html and "Carbon footprint" in html and "<svg" in html
    assert 'data-section="performance"' in html and 'data-section="recycled_content"' in html
    for lot in built.lots.values():  # materials and suppliers are not published
        assert lot not in html
    assert built.order_id not in html
    korean = client.get(f"/p/{passport.id}", headers={"Accept-Language": "ko"})
    assert (
        korean.status_code == 200 and "배터리 여권" in korean.text and "탄소 발자국" in korean.text
    )
    qr = client.get(f"/public/passports/{passport.id}/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg")
    missing = client.get("/p/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404


def test_a_phone_opens_the_passport_and_switches_to_korean(
    browser: Any,  # noqa: F811
    live_server: LiveServer,  # noqa: F811
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
