"""Tenant B tries every route on tenant A's things and gets 404, never A's data; a customer
never sees another customer's orders."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import auth
from tests.api.test_flow import email, order_cheapest_fridge
from tests.conftest import TenantPeople


@pytest.fixture
def a_order(client: TestClient, tenant: TenantPeople) -> dict[str, Any]:
    return order_cheapest_fridge(client, auth(client, email(tenant, "alice")))


@pytest.fixture
def a_private_product(client: TestClient, tenant: TenantPeople) -> str:
    admin = auth(client, email(tenant, "admin"))
    definition = client.get("/products/fridge", headers=admin).json()["definition"]
    code = f"secret-{tenant.tenant_id}"
    created = client.post(
        "/products", json={"definition": {**definition, "code": code}}, headers=admin
    )
    assert created.status_code == 201, created.text
    return code


def test_other_tenant_cannot_reach_orders(
    client: TestClient, tenant: TenantPeople, other_tenant: TenantPeople, a_order: dict[str, Any]
) -> None:
    for who in ("admin", "planner", "alice"):
        b = auth(client, email(other_tenant, who))
        for ident in (a_order["id"], a_order["number"]):
            assert client.get(f"/orders/{ident}", headers=b).status_code == 404
            assert client.get(f"/orders/{ident}/tracking", headers=b).status_code == 404
            moved = client.post(
                f"/orders/{ident}/transitions", json={"status": "Planned"}, headers=b
            )
            assert moved.status_code in (403, 404)  # customers are refused before the lookup
            assert client.post(f"/orders/{ident}/cancel", headers=b).status_code == 404
        listed = client.get("/orders", headers=b).json()
        assert a_order["id"] not in {o["id"] for o in listed["data"]}
        events = client.get("/events", params={"entity_id": a_order["id"]}, headers=b)
        assert events.status_code == 403 or events.json()["count"] == 0
    a_admin = auth(client, email(tenant, "admin"))
    assert client.get(f"/orders/{a_order['id']}", headers=a_admin).json()["status"] == "Received"


def test_other_tenant_cannot_reach_products(
    client: TestClient, other_tenant: TenantPeople, a_private_product: str
) -> None:
    b = auth(client, email(other_tenant, "admin"))
    code = a_private_product
    assert client.get(f"/products/{code}", headers=b).status_code == 404
    assert code not in {p["code"] for p in client.get("/products", headers=b).json()["data"]}
    for action in ("validate", "configure", "options-left", "complete"):
        response = client.post(f"/products/{code}/{action}", json={"choices": {}}, headers=b)
        assert response.status_code == 404, action
    revise = client.put(f"/products/{code}", json={"definition": {"code": code}}, headers=b)
    assert revise.status_code in (404, 422)
    order = client.post("/orders", json={"product": code, "choices": {}}, headers=b)
    assert order.status_code == 404


def test_other_tenant_users_are_invisible(
    client: TestClient, tenant: TenantPeople, other_tenant: TenantPeople
) -> None:
    b = auth(client, email(other_tenant, "admin"))
    users = client.get("/users", headers=b).json()["data"]
    assert {u["tenant_id"] for u in users} == {other_tenant.tenant_id}
    assert client.get("/tenants/me", headers=b).json()["id"] == other_tenant.tenant_id


def test_a_customer_never_sees_another_customers_order(
    client: TestClient, tenant: TenantPeople, a_order: dict[str, Any]
) -> None:
    bob = auth(client, email(tenant, "bob"))
    assert client.get(f"/orders/{a_order['id']}", headers=bob).status_code == 404
    assert client.post(f"/orders/{a_order['id']}/cancel", headers=bob).status_code == 404
    assert a_order["id"] not in {o["id"] for o in client.get("/orders", headers=bob).json()["data"]}
