"""A customer configures, orders and tracks through the REST API; staff move the order."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import auth
from tests.conftest import PASSWORD, PlantPeople, TenantPeople


def email(tenant: TenantPeople, who: str) -> str:
    return f"{who}@{tenant.tenant_id}.example.com"


def cheapest_fridge(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.post("/products/fridge/complete", json={"choices": {}}, headers=headers)
    assert response.status_code == 200, response.text
    choices: dict[str, Any] = response.json()["choices"]
    return choices


def order_cheapest_fridge(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    body = {"product": "fridge", "choices": cheapest_fridge(client, headers)}
    response = client.post("/orders", json=body, headers=headers)
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


def test_health_and_openapi(client: TestClient) -> None:
    assert client.get("/health").json()["status"] == "ok"
    operations = {
        op["operationId"]
        for path in client.get("/openapi.json").json()["paths"].values()
        for op in path.values()
    }
    assert {"place_order", "options_left", "complete_configuration", "verify_audit_chain"} <= (
        operations
    )


def test_customer_configures_orders_and_tracks(
    client: TestClient, tenant: TenantPeople, plant: PlantPeople
) -> None:
    alice = auth(client, email(tenant, "alice"))
    products = client.get("/products", headers=alice).json()
    assert {"fridge", "washer", "ebike-battery"} <= {p["code"] for p in products["data"]}

    left = client.post("/products/fridge/options-left", json={"choices": {}}, headers=alice)
    assert left.status_code == 200, left.text

    choices = cheapest_fridge(client, alice)
    placed = client.post(
        "/orders", json={"product": "fridge", "choices": choices, "quantity": 2}, headers=alice
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["status"] == "Received"
    assert float(order["total_price"]) == 2 * float(order["unit_price"]) > 0
    assert order["configured"]["bom"] and order["configured"]["routing"]

    brand_planner = auth(client, email(tenant, "planner"))
    refused = client.post(
        f"/orders/{order['id']}/transitions", json={"status": "Planned"}, headers=brand_planner
    )
    assert refused.status_code == 403  # the plant moves orders through production
    planner = auth(client, plant.email("planner"))
    for step in ("Planned", "InProduction", "Inspected", "Shipped"):
        moved = client.post(
            f"/orders/{order['id']}/transitions", json={"status": step}, headers=planner
        )
        assert moved.status_code == 200, moved.text

    tracking = client.get(f"/orders/{order['number']}/tracking", headers=alice).json()
    assert [s["status"] for s in tracking["steps"]] == [
        "Received",
        "Planned",
        "InProduction",
        "Inspected",
        "Shipped",
    ]
    times = [s["at"] for s in tracking["steps"]]
    assert times == sorted(times)


def test_illegal_transitions_conflict_and_customers_cannot_move_orders(
    client: TestClient, tenant: TenantPeople, plant: PlantPeople
) -> None:
    alice = auth(client, email(tenant, "alice"))
    order = order_cheapest_fridge(client, alice)
    planner = auth(client, plant.email("planner"))
    skip = client.post(
        f"/orders/{order['id']}/transitions", json={"status": "Shipped"}, headers=planner
    )
    assert skip.status_code == 409
    assert skip.headers["content-type"] == "application/problem+json"
    own = client.post(
        f"/orders/{order['id']}/transitions", json={"status": "InProduction"}, headers=alice
    )
    assert own.status_code == 403
    cancelled = client.post(f"/orders/{order['id']}/cancel", headers=alice)
    assert cancelled.json()["status"] == "Cancelled"
    again = client.post(f"/orders/{order['id']}/cancel", headers=alice)
    assert again.status_code == 409


def test_events_and_audit_for_staff_only(client: TestClient, tenant: TenantPeople) -> None:
    admin = auth(client, email(tenant, "admin"))
    events = client.get("/events", params={"type": "product."}, headers=admin).json()
    assert events["count"] >= 3
    assert all(e["type"].startswith("product.") for e in events["data"])
    assert client.get("/audit/verify", headers=admin).json()["ok"] is True
    alice = auth(client, email(tenant, "alice"))
    assert client.get("/events", headers=alice).status_code == 403


def test_api_keys_work_like_tokens(client: TestClient, tenant: TenantPeople) -> None:
    planner = auth(client, email(tenant, "planner"))
    issued = client.post("/auth/api-keys", json={"name": "mes bridge"}, headers=planner)
    assert issued.status_code == 201
    key = {"X-API-Key": issued.json()["key"]}
    assert client.get("/orders", headers=key).status_code == 200
    assert (
        client.get("/orders", headers={"X-API-Key": "ofk_0000000000000000_nope"}).status_code == 401
    )


def test_customer_signup(client: TestClient, tenant: TenantPeople) -> None:
    body = {
        "email": f"carol@{tenant.tenant_id}.example.com",
        "full_name": "Carol",
        "password": PASSWORD,
    }
    created = client.post(f"/auth/signup/{tenant.tenant_id}", json=body)
    assert created.status_code == 202, created.text  # alike for taken e-mails, unknown shops
    carol = auth(client, body["email"])
    assert client.get("/orders", headers=carol).json()["count"] == 0
