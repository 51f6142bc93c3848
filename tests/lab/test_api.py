"""The lab over REST: a study's whole round trip to a product revision, and another tenant
seeing none of it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openfab.api.app import create_app
from openfab.platform import Platform
from tests.conftest import PASSWORD, TenantPeople

STUDY = {
    "name": "electrolyte",
    "parameters": [
        {"name": "ec", "type": "continuous", "low": 0.2, "high": 0.6},
        {"name": "temp", "type": "integer", "low": 20, "high": 60, "unit": "°C"},
        {"name": "additive", "type": "categorical", "values": ["none", "VC", "FEC"]},
    ],
    "objectives": [{"name": "conductivity", "goal": "maximize", "unit": "mS/cm"}],
    "constraints": [{"type": "mixture", "parameters": ["ec", "emc", "dmc"], "total": 1.0}],
}


@pytest.fixture(scope="module")
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform), raise_server_exceptions=False) as test_client:
        yield test_client


def login(client: TestClient, people: TenantPeople, who: str = "admin") -> dict[str, str]:
    email = f"{who}@{people.tenant_id}.example.com"
    response = client.post("/auth/token", data={"username": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def run(ec: float, emc: float, temp: int, additive: str) -> dict[str, Any]:
    dmc = round(1 - ec - emc, 9)
    value = 10 * ec + 3 * emc + 0.05 * temp + {"none": 0, "VC": 0.4, "FEC": 0.8}[additive]
    return {
        "design": {"ec": ec, "emc": emc, "dmc": dmc, "temp": temp, "additive": additive},
        "results": {"conductivity": value},
    }


def test_study_round_trip_to_a_product_revision(client: TestClient, tenant: TenantPeople) -> None:
    admin = login(client, tenant)
    created = client.post("/lab/studies", json={"definition": STUDY}, headers=admin)
    assert created.status_code == 201, created.text
    study_id = created.json()["id"]
    again = client.post("/lab/studies", json={"definition": STUDY}, headers=admin)
    assert again.status_code == 409

    first = client.post(f"/lab/studies/{study_id}/suggestions", json={"n": 3}, headers=admin)
    assert first.status_code == 201, first.text
    assert first.json()["strategy"] == "initial design (Sobol)"
    assert len(first.json()["designs"]) == 3

    runs = [run(0.3, 0.3, 25, "none"), run(0.5, 0.2, 40, "VC"), run(0.4, 0.4, 55, "FEC")]
    runs += [run(0.3, 0.3, 25, "none")]  # a replicate
    runs += [{"design": run(0.6, 0.1, 60, "VC")["design"], "status": "failed", "note": "gelled"}]
    added = client.post(
        f"/lab/studies/{study_id}/experiments", json={"experiments": runs}, headers=admin
    )
    assert added.status_code == 201, added.text
    rows = added.json()["data"]
    assert [r["replicate"] for r in rows] == [1, 1, 1, 2, 1]
    assert rows[-1]["status"] == "failed"

    csv_rows = "ec,emc,dmc,temp,additive,conductivity\n0.25,0.5,0.25,30,FEC,5.9\n"
    imported = client.post(
        f"/lab/studies/{study_id}/experiments.csv",
        content=csv_rows,
        headers={**admin, "Content-Type": "text/csv"},
    )
    assert imported.status_code == 201, imported.text
    exported = client.get(f"/lab/studies/{study_id}/experiments.csv", headers=admin)
    assert exported.status_code == 200
    assert exported.text.splitlines()[0] == "ec,temp,additive,emc,dmc,conductivity,status,note"
    assert len(exported.text.splitlines()) == 7

    models = client.get(f"/lab/studies/{study_id}/models", headers=admin)
    assert models.status_code == 200, models.text
    (report,) = models.json()
    assert report["property"] == "conductivity" and report["unit"] == "mS/cm"
    assert set(report["importance"]) == {"ec", "temp", "additive", "emc", "dmc"}
    again = client.get(f"/lab/studies/{study_id}/models", headers=admin).json()
    assert again == [report]  # the same results: the cached fit
    one_more = "ec,emc,dmc,temp,additive,conductivity\n0.3,0.45,0.25,35,VC,8.1\n"
    client.post(
        f"/lab/studies/{study_id}/experiments.csv",
        content=one_more,
        headers={**admin, "Content-Type": "text/csv"},
    )
    refit = client.get(f"/lab/studies/{study_id}/models", headers=admin).json()
    assert refit[0]["points"] == report["points"] + 1  # new results: a new fit

    front = client.get(f"/lab/studies/{study_id}/pareto", headers=admin).json()["data"]
    best = front[0]
    assert best["results"]["conductivity"] == max(r["results"].get("conductivity", 0) for r in rows)

    before = client.get("/products/ebike-battery", headers=admin).json()["revision"]
    released = client.post(
        f"/lab/studies/{study_id}/releases",
        json={
            "experiment_id": best["id"],
            "product_code": "ebike-battery",
            "note": "new electrolyte",
        },
        headers=admin,
    )
    assert released.status_code == 201, released.text
    spec = released.json()
    assert spec["product_revision"] == before + 1
    assert spec["specification"]["study"]["name"] == "electrolyte"
    assert spec["specification"]["design"] == best["design"]
    assert client.get("/products/ebike-battery", headers=admin).json()["revision"] == before + 1
    events = client.get("/events", params={"entity_id": spec["id"]}, headers=admin).json()
    assert [e["type"] for e in events["data"]] == ["lab.design_released"]

    failed_id = rows[-1]["id"]
    refused = client.post(
        f"/lab/studies/{study_id}/releases",
        json={"experiment_id": failed_id, "product_code": "ebike-battery"},
        headers=admin,
    )
    assert refused.status_code == 409


def test_bad_input_is_named_and_nothing_is_half_written(
    client: TestClient, tenant: TenantPeople
) -> None:
    admin = login(client, tenant)
    bad_study = {**STUDY, "parameters": [{"name": "ec", "low": 0.9, "high": 0.1}]}
    refused = client.post("/lab/studies", json={"definition": bad_study}, headers=admin)
    assert refused.status_code == 422
    assert any(p["loc"].startswith("parameters.ec") for p in refused.json()["problems"])

    study_id = client.post("/lab/studies", json={"definition": STUDY}, headers=admin).json()["id"]
    good, bad = run(0.3, 0.3, 25, "none"), run(0.3, 0.3, 25, "none")
    bad["design"]["additive"] = "LiBOB"
    bad["results"] = {}
    answer = client.post(
        f"/lab/studies/{study_id}/experiments", json={"experiments": [good, bad]}, headers=admin
    )
    assert answer.status_code == 422
    locs = {p["loc"] for p in answer.json()["problems"]}
    assert {"row 2.additive", "row 2.conductivity"} <= locs
    listed = client.get(f"/lab/studies/{study_id}/experiments", headers=admin).json()
    assert listed["count"] == 0  # the good row was not written either
    too_few = client.get(f"/lab/studies/{study_id}/models", headers=admin)
    assert too_few.status_code == 422 and too_few.json()["problems"][0]["code"] == "too_few"
    customer = login(client, tenant, "alice")
    assert client.get("/lab/studies", headers=customer).status_code == 403


def test_other_tenant_sees_nothing(
    client: TestClient, tenant: TenantPeople, other_tenant: TenantPeople
) -> None:
    a, b = login(client, tenant), login(client, other_tenant)
    study_id = client.post("/lab/studies", json={"definition": STUDY}, headers=a).json()["id"]
    client.post(
        f"/lab/studies/{study_id}/experiments",
        json={"experiments": [run(0.3, 0.3, 25, "none")]},
        headers=a,
    )
    for path in ("", "/experiments", "/experiments.csv", "/models", "/pareto"):
        assert client.get(f"/lab/studies/{study_id}{path}", headers=b).status_code == 404, path
    assert client.post(f"/lab/studies/{study_id}/suggestions", headers=b).status_code == 404
    written = client.post(
        f"/lab/studies/{study_id}/experiments",
        json={"experiments": [run(0.3, 0.3, 25, "none")]},
        headers=b,
    )
    assert written.status_code == 404
    assert study_id not in {s["id"] for s in client.get("/lab/studies", headers=b).json()["data"]}
    # the same name is free in the other tenant
    mine = client.post("/lab/studies", json={"definition": STUDY}, headers=b)
    assert mine.status_code == 201
    assert client.get(f"/lab/studies/{study_id}", headers=a).json()["experiments"] == 1
