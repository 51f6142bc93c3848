"""The maintenance page: health bars, RUL with its interval, open orders and MTBF / MTTR,
in English and Korean, for the plant's staff only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from openfab.autopilot.maintenance import MaintenanceAutopilot
from openfab.platform import Platform
from openfab.store.types import utcnow
from tests.conftest import PLANT, TenantPeople, make_plant_staff
from tests.maintenance.telemetry import store, wearing_readings
from tests.web.conftest import email, signed_in

pytestmark = pytest.mark.xdist_group("maintenance")
MACHINE = "sheet_metal_press-3"


def seed_maintenance(platform: Platform) -> None:
    """A worn machine assessed and given a maintenance order."""
    platform.catalog.install_reference_data(PLANT)
    start = utcnow() - timedelta(hours=40)
    store(platform, wearing_readings(MACHINE, start, 40, wear_to=0.95, seed=31, prefix="web"))
    platform.maintenance.assess()
    MaintenanceAutopilot(platform.maintenance, platform.planning).plan_maintenance(MACHINE)


def test_the_maintenance_page_shows_health_rul_and_orders(
    platform: Platform, web_app: object
) -> None:
    seed_maintenance(platform)
    staff = make_plant_staff(platform)
    client = signed_in(web_app, staff.email("planner"))
    page = client.http.get("/dashboard/maintenance")
    assert page.status_code == 200, page.text
    html = page.text
    assert 'class="health-bars"' in html and f'data-machine="{MACHINE}"' in html
    assert "Remaining life" in html and 'id="orders"' in html and "MO-" in html
    assert 'id="reliability"' in html
    client.http.cookies.set("lang", "ko")
    korean = client.http.get("/dashboard/maintenance", headers={"Accept-Language": "ko"})
    assert korean.status_code == 200 and "건전성 지수" in korean.text and "잔여 수명" in korean.text


def test_brands_do_not_see_the_maintenance_page(
    platform: Platform, tenant: TenantPeople, web_app: object
) -> None:
    client = signed_in(web_app, email(tenant, "planner"))
    assert client.http.get("/dashboard/maintenance").status_code in (403, 404)
