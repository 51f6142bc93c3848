"""The delivery address is kept with the order: given over REST (optional, validated) or
through the portal's review step, and shown back on the order."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from openfab.api.app import create_app
from openfab.orders.schemas import OrderCreate
from openfab.platform import Platform
from tests.api.conftest import auth
from tests.conftest import TenantPeople


def _choices(platform: Platform, tenant: TenantPeople) -> dict[str, Any]:
    found: dict[str, Any] = platform.catalog.complete(tenant.alice, "fridge", {}).to_dict()[
        "choices"
    ]
    return found


def test_the_service_keeps_the_address_and_none_when_not_given(
    platform: Platform, tenant: TenantPeople
) -> None:
    choices = _choices(platform, tenant)
    given = platform.orders.place(
        tenant.alice,
        OrderCreate(product="fridge", choices=choices, delivery_address="  1 Main St, Oslo "),
    )
    assert platform.orders.get(tenant.alice, given.id).delivery_address == "1 Main St, Oslo"
    plain = platform.orders.place(tenant.alice, OrderCreate(product="fridge", choices=choices))
    assert platform.orders.get(tenant.alice, plain.id).delivery_address is None


def test_rest_accepts_an_address_and_names_a_bad_one(
    platform: Platform, tenant: TenantPeople
) -> None:
    with TestClient(create_app(platform), raise_server_exceptions=False) as client:
        alice = auth(client, f"alice@{tenant.tenant_id}.example.com")
        body = {"product": "fridge", "choices": _choices(platform, tenant)}
        fine = client.post("/orders", json={**body, "delivery_address": "2 Side Rd"}, headers=alice)
        assert fine.status_code == 201, fine.text
        assert fine.json()["delivery_address"] == "2 Side Rd"
        shown = client.get(f"/orders/{fine.json()['id']}", headers=alice)
        assert shown.json()["delivery_address"] == "2 Side Rd"
        for bad in ("x" * 301, "1 Main\tSt", "ab"):
            refused = client.post("/orders", json={**body, "delivery_address": bad}, headers=alice)
            assert refused.status_code == 422, bad
            assert "delivery_address" in refused.text
        assert client.post("/orders", json=body, headers=alice).status_code == 201  # optional
