"""The execution API end to end: a customer's order is released, built operation by
operation, shipped and traced, over HTTP, with roles and tenants enforced."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openfab.api.app import create_app
from openfab.platform import Platform
from openfab.store.types import utcnow
from tests.api.conftest import auth
from tests.api.test_flow import email, order_cheapest_fridge
from tests.conftest import PlantPeople, TenantPeople, make_tenant
from tests.execution.conftest import in_stores, machine_for, message


@pytest.fixture(scope="module")
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def rival(platform: Platform) -> TenantPeople:
    return make_tenant(platform)


_tokens: dict[tuple[str, str], dict[str, str]] = {}


def login(client: TestClient, tenant: TenantPeople, who: str) -> dict[str, str]:
    """Bearer headers, cached: signing in hashes the password, which is slow on purpose."""
    key = (tenant.tenant_id, who)
    if key not in _tokens:
        _tokens[key] = auth(client, email(tenant, who))
    return _tokens[key]


def staff(client: TestClient, plant: PlantPeople) -> dict[str, str]:
    """Bearer headers of the plant's planner (cached like ``login``)."""
    key = ("plant", plant.email("planner"))
    if key not in _tokens:
        _tokens[key] = auth(client, plant.email("planner"))
    return _tokens[key]


def build(
    client: TestClient, tenant: TenantPeople, platform: Platform, plant: PlantPeople
) -> dict[str, Any]:
    """Alice orders; the plant's planner plans, releases and runs every operation."""
    alice, admin = login(client, tenant, "alice"), staff(client, plant)
    order = order_cheapest_fridge(client, alice)
    moved = client.post(
        f"/orders/{order['id']}/transitions", json={"status": "Planned"}, headers=admin
    )
    assert moved.status_code == 200, moved.text
    released = client.post(f"/execution/orders/{order['number']}/release", headers=admin)
    assert released.status_code == 201, released.text
    work_order = released.json()
    in_stores(platform, "L-API-1")
    moment = utcnow() - timedelta(hours=3)
    for op in work_order["operations"]:
        path = f"/execution/work-orders/{work_order['number']}/operations/{op['sequence']}"
        start = {
            "message_id": message(),
            "machine": machine_for(platform, op["work_centers"]),
            "started_at": moment.isoformat(),
            "parameters": {"temperature_c": 180.0},
            "materials": [
                {"material": "steel_coil_dc01", "lot": "L-API-1", "quantity": 12.5, "unit": "kg"}
            ],
        }
        response = client.post(f"{path}/start", json=start, headers=admin)
        assert response.status_code == 200, response.text
        moment += timedelta(minutes=7)
        finish = {"message_id": message(), "finished_at": moment.isoformat(), "quantity_good": 1}
        response = client.post(f"{path}/finish", json=finish, headers=admin)
        assert response.status_code == 200, response.text
        again = client.post(f"{path}/finish", json=finish, headers=admin)  # redelivered
        assert again.json() == response.json()
    return order


def test_order_to_delivery_over_http(
    client: TestClient, platform: Platform, tenant: TenantPeople, plant: PlantPeople
) -> None:
    order = build(client, tenant, platform, plant)
    alice, admin = login(client, tenant, "alice"), staff(client, plant)
    brand_admin = login(client, tenant, "admin")
    refused = client.post(f"/execution/orders/{order['id']}/ship", json={}, headers=brand_admin)
    assert refused.status_code == 403  # the brand's own admin: shipping is the plant's
    detail = client.get(f"/execution/work-orders/{order['number']}", headers=alice).json()
    assert detail["status"] == "Completed" and detail["quantity_good"] == 1
    assert (
        client.post(f"/execution/orders/{order['id']}/ship", json={}, headers=alice).status_code
        == 403
    )
    shipped = client.post(
        f"/execution/orders/{order['id']}/ship", json={"note": "DHL"}, headers=admin
    )
    assert shipped.status_code == 200, shipped.text
    assert (
        client.post(f"/execution/orders/{order['id']}/deliver", json={}, headers=admin).json()[
            "status"
        ]
        == "Delivered"
    )
    query = {"order": order["number"]}
    units = client.get("/execution/units", params=query, headers=alice).json()
    assert units["count"] == 1
    serial = units["data"][0]["serial"]
    genealogy = client.get(f"/execution/units/{serial}/genealogy", headers=alice)
    assert genealogy.status_code == 200, genealogy.text
    steps = genealogy.json()["steps"]
    assert len(steps) == len(detail["operations"])
    assert {lot["lot"] for s in steps for lot in s["materials"]} == {"L-API-1"}
    assert all(s["machine"] and s["parameters"] == {"temperature_c": 180.0} for s in steps)


def test_other_tenants_and_customers_get_404(
    client: TestClient,
    platform: Platform,
    tenant: TenantPeople,
    rival: TenantPeople,
    plant: PlantPeople,
) -> None:
    order = build(client, tenant, platform, plant)
    alice = login(client, tenant, "alice")
    query = {"order": order["number"]}
    serial = client.get("/execution/units", params=query, headers=alice).json()["data"][0]["serial"]
    for who, people in (("bob", tenant), ("admin", rival), ("alice", rival)):
        headers = login(client, people, who)
        assert (
            client.get(f"/execution/units/{serial}/genealogy", headers=headers).status_code == 404
        )
        assert (
            client.get(f"/execution/work-orders/{order['number']}", headers=headers).status_code
            == 404
        )
        assert client.get("/execution/units", headers=headers).json()["count"] == 0
    assert client.get(f"/execution/units/{serial}").status_code == 401


def test_bad_reports_are_problem_documents(
    client: TestClient, tenant: TenantPeople, plant: PlantPeople
) -> None:
    admin = staff(client, plant)
    path = "/execution/work-orders/WO-NOPE/operations/10/start"
    brand = client.post(path, json={"machine": "x"}, headers=login(client, tenant, "admin"))
    assert brand.status_code == 403
    missing = client.post(path, json={"machine": "sheet_metal_press-1"}, headers=admin)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    bad = client.post(
        path, json={"machine": "", "surprise": 1, "materials": [{"lot": "x"}]}, headers=admin
    )
    assert bad.status_code == 422
    locs = {p["loc"] for p in bad.json()["problems"]}
    assert {"body.machine", "body.surprise", "body.materials.0.material"} <= locs


def test_machine_states_and_oee(
    client: TestClient, tenant: TenantPeople, plant: PlantPeople
) -> None:
    admin, alice = staff(client, plant), login(client, tenant, "alice")
    origin = utcnow() - timedelta(days=60)
    for minutes, state in ((0, "Running"), (30, "Down"), (40, "Idle")):
        body = {
            "message_id": message(),
            "state": state,
            "at": (origin + timedelta(minutes=minutes)).isoformat(),
        }
        response = client.post(
            "/execution/machines/laser_welding-1/states", json=body, headers=admin
        )
        assert response.status_code == 201, response.text
    params = {
        "start": origin.isoformat(),
        "end": (origin + timedelta(minutes=60)).isoformat(),
        "machine": "laser_welding-1",
    }
    report = client.get("/execution/oee", params=params, headers=admin)
    assert report.status_code == 200, report.text
    laser = report.json()["machines"][0]
    assert laser["availability"] == pytest.approx(30 / 60)
    assert laser["seconds"]["Down"] == 600
    assert client.get("/execution/oee", params=params, headers=alice).status_code == 403
    window = {"start": params["start"], "end": params["end"]}
    states = client.get("/execution/machines/laser_welding-1/states", params=window, headers=admin)
    assert [s["state"] for s in states.json()] == ["Running", "Down", "Idle"]
    unknown = client.post(
        "/execution/machines/nope-9/states", json={"state": "Down"}, headers=admin
    )
    assert unknown.status_code == 404
