"""The lifecycle over REST: restricted and public passports, field reports with every
problem named, claims by design revision, return and recovery."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from openfab.api.app import create_app
from openfab.platform import Platform
from openfab.store.types import utcnow
from tests.conftest import PASSWORD, TenantPeople, make_plant_staff
from tests.lifecycle.conftest import BatteryRun, battery_run


@pytest.fixture(scope="module")
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform), raise_server_exceptions=False) as test_client:
        yield test_client


def auth(client: TestClient, email: str) -> dict[str, str]:
    response = client.post("/auth/token", data={"username": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="module")
def built(platform: Platform, brand: TenantPeople) -> BatteryRun:
    return battery_run(platform, brand, quantity=2)


def email(people: TenantPeople, who: str) -> str:
    return f"{who}@{people.tenant_id}.example.com"


def test_the_brand_reads_the_full_passport_anyone_the_public_one(
    client: TestClient, brand: TenantPeople, built: BatteryRun
) -> None:
    serial = built.serials[0]
    assert client.get(f"/passports/{serial}").status_code == 401
    headers = auth(client, email(brand, "planner"))
    full = client.get(f"/passports/{serial}", headers=headers)
    assert full.status_code == 200, full.text
    body = full.json()
    assert body["complete"] and body["materials"]["lots"]
    aas = client.get(f"/passports/{serial}/aas", headers=headers).json()
    names = {s["idShort"] for s in aas["submodels"]}
    assert {"GeneralProductInformation", "CarbonFootprint", "MaterialComposition"} <= names
    public = client.get(f"/public/passports/{body['id']}")  # no credentials
    assert public.status_code == 200
    assert public.json()["materials"] is None and public.json()["due_diligence"] is None
    for lot in built.lots.values():
        assert lot not in public.text


def test_a_bad_field_report_is_refused_with_every_problem(
    client: TestClient, brand: TenantPeople, built: BatteryRun
) -> None:
    headers = auth(client, email(brand, "planner"))
    body = {
        "report_id": "R-bad-1",
        "serial": built.serials[1],
        "at": (utcnow() + timedelta(days=3)).isoformat(),
        "cycles": -1,
        "temperature_c": 25.0,
        "soh_percent": 101.0,
    }
    refused = client.post("/field-reports", json=body, headers=headers)
    assert refused.status_code == 422, refused.text
    locs = {p["loc"] for p in refused.json()["problems"]}
    assert {"cycles", "soh_percent"} <= locs
    body |= {"cycles": 12, "soh_percent": 99.0}
    accepted = client.post("/field-reports", json=body, headers=headers)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    listed = client.get(f"/passports/{built.serials[1]}/field-reports", headers=headers)
    assert [r["report_id"] for r in listed.json()] == ["R-bad-1"]


def test_the_plant_returns_and_recovers_a_unit(
    client: TestClient, platform: Platform, brand: TenantPeople, built: BatteryRun
) -> None:
    staff = make_plant_staff(platform)
    headers = auth(client, staff.email("stores"))
    serial = built.serials[0]
    brand_headers = auth(client, email(brand, "planner"))
    assert (
        client.post(
            f"/passports/{serial}/return", json={"reason": "end of life"}, headers=brand_headers
        ).status_code
        == 403
    )
    returned = client.post(
        f"/passports/{serial}/return",
        json={"reason": "end of life"},
        params={"tenant": brand.tenant_id},
        headers=headers,
    )
    assert returned.status_code == 200 and returned.json()["identity"]["status"] == "Returned"
    where = {"tenant": brand.tenant_id}  # serials may repeat across brands
    recovered = client.post(f"/passports/{serial}/recover", json={}, params=where, headers=headers)
    assert recovered.status_code == 200, recovered.text
    body = recovered.json()
    assert body["target"] == 0.95 and body["lots"] and body["overall_rate"] > 0.9
    again = client.post(f"/passports/{serial}/recover", json={}, params=where, headers=headers)
    assert again.status_code == 409
    claims = client.get(
        "/claims/by-revision", params={"product": "ebike-battery"}, headers=brand_headers
    )
    assert claims.status_code == 200 and claims.json()[0]["shipped"] >= 2
