"""Field reports through the shop-floor gateway (``unit.field_report``): applied once,
redelivery a duplicate, impossible values and unknown units dead-lettered with the reason."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from openfab.platform import Platform
from openfab.store.types import utcnow
from tests.conftest import PLANT, TenantPeople
from tests.lifecycle.conftest import battery_run


def message(serial: str, brand: str, **values: object) -> str:
    body = {
        "message_id": uuid.uuid4().hex[:20],
        "type": "unit.field_report",
        "at": (utcnow() + timedelta(minutes=1)).isoformat(),
        "serial": serial,
        "brand": brand,
        "cycles": 40,
        "temperature_c": 26.0,
        "capacity_ah": 10.2,
    } | values
    return json.dumps(body)


def test_a_station_relays_field_reports(platform: Platform, brand: TenantPeople) -> None:
    serial = battery_run(platform, brand, quantity=1).serials[0]
    machine = next(m for m in sorted(platform.gateway.directory.paths) if "end_of_line" in m)
    sender = platform.gateway.directory.paths[machine]
    payload = message(serial, brand.tenant_id)
    first = platform.gateway.receive(sender, payload, transport="rest")
    assert (first.applied, first.dead_lettered) == (1, 0), first.problems
    again = platform.gateway.receive(sender, payload, transport="rest")
    assert (again.applied, again.duplicates) == (0, 1)
    bad = platform.gateway.receive(
        sender, message(serial, brand.tenant_id, cycles=-5, soh_percent=130.0), transport="rest"
    )
    assert bad.dead_lettered == 1
    reason = bad.problems[0].reason
    assert "cycles" in reason and "soh_percent" in reason
    unknown = platform.gateway.receive(
        sender, message("ZZ-EB-999999", brand.tenant_id), transport="rest"
    )
    assert unknown.dead_lettered == 1 and unknown.problems[0].code == "not_found"
    reports = platform.lifecycle.reports(PLANT, serial, tenant=brand.tenant_id)
    assert [r.cycles for r in reports] == [40] and reports[0].status == "accepted"
