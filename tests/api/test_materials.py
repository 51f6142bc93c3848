"""Materials over the API: the plant's planners plan and buy, its stores move stock, a brand
sees only its own orders' shortages and nothing of the plant's purchasing or stock."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from openfab.identity.actor import Actor
from openfab.platform import Platform
from tests.api.conftest import auth
from tests.api.test_flow import email, order_cheapest_fridge
from tests.conftest import PlantPeople, TenantPeople


def test_plan_shortages_and_purchase_orders_per_tenant(
    client: TestClient,
    platform: Platform,
    tenant: TenantPeople,
    other_tenant: TenantPeople,
    plant: PlantPeople,
) -> None:
    platform.materials.install_sample_suppliers(Actor.system("test"))
    alice = auth(client, email(tenant, "alice"))
    order = order_cheapest_fridge(client, alice)
    assert client.post("/materials/plan", headers=alice).status_code == 403
    assert client.get("/materials/shortages", headers=alice).status_code == 403
    brand_planner = auth(client, email(tenant, "planner"))
    assert client.post("/materials/plan", headers=brand_planner).status_code == 403
    planner = auth(client, plant.email("planner"))
    run = client.post("/materials/plan", headers=planner)
    assert run.status_code == 200, run.text
    assert run.json()["planned_orders"] >= 1

    plan = client.get("/materials/plan", headers=planner).json()
    assert plan["run"]["id"] == run.json()["id"]
    assert any(order["number"] in po["work_orders"] for po in plan["planned"])
    shortages = client.get("/materials/shortages", headers=brand_planner).json()
    assert order["id"] in {s["order_id"] for s in shortages}

    other = auth(client, email(other_tenant, "planner"))
    theirs = client.get("/materials/shortages", headers=other).json()
    assert order["id"] not in {s["order_id"] for s in theirs}
    for path in ("/materials/plan", "/materials/purchase-orders", "/materials/moves"):
        assert client.get(path, headers=other).status_code == 403

    po = plan["planned"][0]
    released = client.post(
        f"/materials/purchase-orders/{po['id']}/release", json={"reason": "api"}, headers=planner
    )
    assert released.status_code == 200, released.text
    again = client.post(f"/materials/purchase-orders/{po['id']}/release", json={}, headers=planner)
    assert again.status_code == 409
    lot = f"LOT-{uuid.uuid4().hex[:6]}"
    received = client.post(
        f"/materials/purchase-orders/{po['id']}/receipts",
        json={"quantity": po["quantity"], "lot": lot},
        headers=planner,
    )
    assert received.status_code == 200, received.text
    assert received.json()["status"] == "Received"
    stock = client.get("/materials/inventory", params={"material": po["material"]}, headers=planner)
    assert lot in {x["lot"] for x in stock.json()[0]["lots"]}
    listed = client.get(
        "/materials/purchase-orders", params={"status": "Received"}, headers=planner
    )
    assert po["id"] in {x["id"] for x in listed.json()["data"]}


def test_moves_refuse_negative_stock_and_unit_mismatch(
    client: TestClient, tenant: TenantPeople, plant: PlantPeople
) -> None:
    planner = auth(client, plant.email("stores"))
    lot = f"LOT-{uuid.uuid4().hex[:6]}"
    base = {"material": "hinge_set", "lot": lot, "unit": "pcs"}
    created = client.post(
        "/materials/moves", json=base | {"kind": "Receive", "quantity": "5"}, headers=planner
    )
    assert created.status_code == 201, created.text
    over = client.post(
        "/materials/moves", json=base | {"kind": "Scrap", "quantity": "9"}, headers=planner
    )
    assert over.status_code == 409 and lot in over.json()["detail"]
    negative = client.post(
        "/materials/moves", json=base | {"kind": "Count", "quantity": "-1"}, headers=planner
    )
    assert negative.status_code == 422
    assert negative.json()["problems"][0]["code"] == "negative_stock"
    wrong = client.post(
        "/materials/moves",
        json=base | {"kind": "Receive", "quantity": "1", "unit": "kg"},
        headers=planner,
    )
    assert wrong.status_code == 422 and "hinge_set" in wrong.text
    no_order = client.post(
        "/materials/moves", json=base | {"kind": "Issue", "quantity": "1"}, headers=planner
    )
    assert no_order.status_code == 422
    ghost = client.post(
        "/materials/moves",
        json=base | {"kind": "Issue", "quantity": "1", "order_id": str(uuid.uuid4())},
        headers=planner,
    )
    assert ghost.status_code == 422 and ghost.json()["problems"][0]["loc"] == "order_id"
    moves = client.get("/materials/moves", params={"material": "hinge_set"}, headers=planner).json()
    assert [m["kind"] for m in moves if m["lot"] == lot] == ["Receive"]
    for who in ("alice", "admin", "planner"):  # no brand user moves the plant's stock
        brand = auth(client, email(tenant, who))
        scrap = base | {"kind": "Scrap", "quantity": "1"}
        assert client.post("/materials/moves", json=scrap, headers=brand).status_code == 403


def test_purchasing_autopilot_round_releases_within_limits(
    client: TestClient, platform: Platform, tenant: TenantPeople, plant: PlantPeople
) -> None:
    platform.materials.install_sample_suppliers(Actor.system("test"))
    alice = auth(client, email(tenant, "alice"))
    order_cheapest_fridge(client, alice)
    planner = auth(client, plant.email("planner"))
    body = {
        "max_value_per_order": "50",
        "allowed_suppliers": ["PolyForm", "HardwareHub"],
        "horizon_days": 3,
    }
    response = client.post("/materials/autopilot/run", json=body, headers=planner)
    assert response.status_code == 200, response.text
    result = response.json()
    for po in result["released"]:
        assert float(po["value"]) <= 50 and po["supplier"] in body["allowed_suppliers"]
        assert po["status"] == "Released" and "within limits" in po["reason"]
    for held in result["held"]:
        po = held["purchase_order"]
        assert float(po["value"]) > 50 or po["supplier"] not in body["allowed_suppliers"]
    assert result["released"] or result["held"]
    assert client.post("/materials/autopilot/run", json=body, headers=alice).status_code == 403
    brand = auth(client, email(tenant, "planner"))
    assert client.post("/materials/autopilot/run", json=body, headers=brand).status_code == 403
    wide = body | {"max_value_per_order": "1000000", "horizon_days": 365}
    refused = client.post("/materials/autopilot/run", json=wide, headers=planner)
    assert refused.status_code == 422
    assert {p["loc"] for p in refused.json()["problems"]} == {"max_value_per_order", "horizon_days"}


def test_policies_and_suppliers(
    client: TestClient, platform: Platform, tenant: TenantPeople, plant: PlantPeople
) -> None:
    platform.materials.install_sample_suppliers(Actor.system("test"))
    brand = auth(client, email(tenant, "planner"))
    assert client.put("/materials/cell_holder/policy", json={}, headers=brand).status_code == 403
    planner = auth(client, plant.email("planner"))
    suppliers = client.get("/materials/suppliers", headers=planner).json()
    assert {"CellSource", "QuickParts"} <= {s["code"] for s in suppliers}
    missing = client.put(
        "/materials/cell_holder/policy", json={"lot_sizing": "Fixed"}, headers=planner
    )
    assert missing.status_code == 422 and missing.json()["problems"][0]["loc"] == "fixed_quantity"
    unknown = client.put("/materials/unobtainium/policy", json={}, headers=planner)
    assert unknown.status_code == 404
    fixed = {"lot_sizing": "Fixed", "fixed_quantity": "500", "safety_stock": "100"}
    assert (
        client.put("/materials/cell_holder/policy", json=fixed, headers=planner).status_code == 200
    )
    assert client.put("/materials/cell_holder/policy", json={}, headers=planner).status_code == 200
    hoard = {"safety_stock": "10000000"}  # a warehouse of cell holders: more than a policy buys
    refused = client.put("/materials/cell_holder/policy", json=hoard, headers=planner)
    assert refused.status_code == 422 and refused.json()["problems"][0]["loc"] == "safety_stock"
