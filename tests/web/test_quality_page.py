"""The quality page: rejects with heat maps, a control chart of a reported process value,
causes, alarms and decisions, in English and Korean, for the plant's staff only; the
browser test in ``test_e2e_browser`` drives it in Chromium."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sqlalchemy import select

from openfab.platform import Platform
from openfab.quality.worker import InspectionWorker
from openfab.store import EventRecord
from openfab.store.relay import Relay
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow
from tests.conftest import PLANT, TenantPeople, make_plant_staff
from tests.execution.conftest import released
from tests.gateway.conftest import path_of, run_all
from tests.quality.test_inline_inspection import QUALITY, scan_message, trained_model
from tests.quality.test_process_control import KEY, run_with_thickness
from tests.web.conftest import email, signed_in

pytestmark = pytest.mark.xdist_group("quality")


def seed_quality(platform: Platform, tenant: TenantPeople) -> str:
    """A model, two scanned units (one defective) judged by the worker, and enough film
    thickness values for a chart; returns the rejected unit's serial."""
    platform.quality.install_model(QUALITY, trained_model(), name="surface-web")
    work_order = released(platform, tenant, quantity=2)
    for path, message in run_all(platform, work_order):
        platform.gateway.receive(path, json.dumps(message), transport="test")
    good, bad = platform.execution.work_order_serials(PLANT, [work_order.number])[work_order.number]
    scans = [
        scan_message(good, defective=False, seed=21, work_order=work_order.number),
        scan_message(bad, defective=True, seed=22, work_order=work_order.number),
    ]
    sender = path_of(sorted(platform.execution.machines())[0])
    platform.gateway.receive(sender, json.dumps(scans), transport="test")
    relay = Relay(platform.db, InspectionWorker(platform.quality, platform.spc))
    try:
        relay.drain()
    finally:
        relay.close()
    rng = np.random.default_rng(8)
    for hour in range(1, 8):
        run_with_thickness(platform, tenant, list(80 + rng.normal(0, 0.5, 6)), 100 + hour)
    return bad


def test_the_quality_page_shows_rejects_charts_and_causes(
    platform: Platform, tenant: TenantPeople, web_app: object
) -> None:
    bad = seed_quality(platform, tenant)
    staff = make_plant_staff(platform)
    client = signed_in(web_app, staff.email("quality"))
    page = client.http.get("/dashboard/quality", params={"characteristic": KEY, "kind": "ewma"})
    assert page.status_code == 200, page.text
    html = page.text
    assert f'data-serial="{bad}"' in html and "heat-map.png" in html
    assert 'class="control-chart"' in html and "UCL" in html and "LSL" in html
    assert 'id="causes"' in html and 'id="decisions"' in html
    scan_id = html.split("/dashboard/quality/scans/")[1].split("/")[0]
    picture = client.http.get(f"/dashboard/quality/scans/{scan_id}/heat-map.png")
    assert picture.status_code == 200 and picture.content[:4] == b"\x89PNG"
    client.http.cookies.set("lang", "ko")
    korean = client.http.get("/dashboard/quality", headers={"Accept-Language": "ko"})
    assert "통계적 공정 관리" in korean.text


def test_a_decision_shows_whether_the_machine_accepted_its_command(
    platform: Platform, tenant: TenantPeople, web_app: object
) -> None:
    machine = sorted(platform.execution.machines())[0]
    body = {"machine": machine, "parameter": "speed", "target": 1.0, "reason": "drift"}
    subject = f"{machine}/speed-web"
    platform.quality.decide(PLANT, "setpoint", subject, "quality.setpoint_requested", body)
    staff = make_plant_staff(platform)
    client = signed_in(web_app, staff.email("quality"))
    assert 'data-ack="waiting"' in client.http.get("/dashboard/quality").text
    decision = next(d for d in platform.quality.decisions(PLANT, 200) if d.subject == subject)
    with platform.db.unit(Scope.plant(), actor="t", readonly=True) as uow:
        command_id = uow.session.scalars(
            select(EventRecord.event_id).where(EventRecord.entity_id == decision.id)
        ).one()
    ack = {
        "message_id": f"ack-{command_id[:8]}",
        "type": "command.acknowledged",
        "at": utcnow().isoformat(),
        "command_id": command_id,
        "status": "rejected",
        "reason": "interlock",
    }
    platform.gateway.receive(path_of(machine), json.dumps(ack), transport="test")
    client.http.cookies.set("lang", "ko")
    korean = client.http.get("/dashboard/quality", headers={"Accept-Language": "ko"}).text
    assert 'data-ack="rejected"' in korean and "명령을 거부했습니다: interlock" in korean


def test_brands_do_not_see_the_quality_page(
    platform: Platform, tenant: TenantPeople, web_app: object
) -> None:
    client = signed_in(web_app, email(tenant, "planner"))
    assert client.http.get("/dashboard/quality").status_code in (403, 404)
