"""Express orders and the planner's expected material use over the API."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient

from openfab.identity.actor import Actor
from openfab.platform import Platform
from tests.api.conftest import auth
from tests.api.test_flow import cheapest_fridge, email
from tests.conftest import PlantPeople, TenantPeople


def test_an_express_order_over_the_api(client: TestClient, tenant: TenantPeople) -> None:
    alice = auth(client, email(tenant, "alice"))
    body = {"product": "fridge", "choices": cheapest_fridge(client, alice)}
    standard = client.post("/orders", json=body, headers=alice).json()
    response = client.post("/orders", json={**body, "express": True}, headers=alice)
    assert response.status_code == 201, response.text
    express = response.json()
    assert express["express"] is True and standard["express"] is False
    assert Decimal(express["unit_price"]) > Decimal(standard["unit_price"])
    assert express["configured"]["price_breakdown"][-1]["code"] == "express"
    quoted = [
        datetime.fromisoformat(o["promise_date"]) - datetime.fromisoformat(o["created_at"])
        for o in (express, standard)
    ]
    assert quoted[0] <= quoted[1] + timedelta(seconds=5)  # placed a moment apart
    listed = client.get("/orders", headers=alice).json()["data"]
    assert {o["id"]: o["express"] for o in listed}[express["id"]] is True
    refused = client.post("/orders", json={**body, "express": "yes"}, headers=alice)
    assert refused.status_code == 422  # strict: a boolean, not text


def test_plant_planners_set_the_expected_use(
    client: TestClient, platform: Platform, tenant: TenantPeople, plant: PlantPeople
) -> None:
    platform.materials.install_sample_suppliers(Actor.system("test"))
    planner = auth(client, plant.email("planner"))
    body = {"per_day": {"steel_coil_dc01": "12.5"}}
    try:
        response = client.put("/planning/demand/expected-use", json=body, headers=planner)
        assert response.status_code == 200, response.text
        assert Decimal(response.json()["per_day"]["steel_coil_dc01"]) == Decimal("12.5")
        read = client.get("/planning/demand/expected-use", headers=planner).json()
        assert Decimal(read["per_day"]["steel_coil_dc01"]) == Decimal("12.5")
        assert read["credibility_days"] > 0
        bad = {"per_day": {"steel_coil_dc01": "-1", "unobtainium": "1"}}
        assert (
            client.put("/planning/demand/expected-use", json=bad, headers=planner).status_code
            == 422
        )
        unknown = {"per_day": {"unobtainium": "1"}}
        answer = client.put("/planning/demand/expected-use", json=unknown, headers=planner)
        assert answer.status_code == 422 and "unobtainium" in answer.text
        brand = auth(client, email(tenant, "planner"))
        for method in ("get", "put"):
            refused = client.request(
                method, "/planning/demand/expected-use", json=body, headers=brand
            )
            assert refused.status_code == 403
    finally:  # the shared plant's other tests buy without a prior
        client.put("/planning/demand/expected-use", json={"per_day": {}}, headers=planner)
    assert platform.demand.prior().per_day == {}
