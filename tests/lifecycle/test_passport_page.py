"""The public passport page the QR code opens: no sign-in, the published sections only, in
English and Korean, with the QR code (a browser reads it in ``tests/web/test_passport_page``)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from openfab.api.app import create_app
from openfab.platform import Platform
from tests.conftest import PLANT, TenantPeople
from tests.lifecycle.conftest import BatteryRun, battery_run

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
