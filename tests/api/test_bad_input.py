"""Bad input is answered 4xx as problem+json naming every problem, and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from openfab.platform import Platform
from tests.api.conftest import auth
from tests.api.test_flow import cheapest_fridge, email
from tests.conftest import TenantPeople


def order_count(platform: Platform, tenant: TenantPeople) -> int:
    return platform.orders.list(tenant.admin).count


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        # unknown product
        ({"product": "spaceship", "choices": {}}, 404, "spaceship"),
        # quantity of the wrong type
        ({"product": "fridge", "choices": {}, "quantity": "lots"}, 422, "quantity"),
        # negative quantity
        ({"product": "fridge", "choices": {}, "quantity": -3}, 422, "quantity"),
        # absurd quantity
        ({"product": "fridge", "choices": {}, "quantity": 10**9}, 422, "quantity"),
        # choices must be an object
        ({"product": "fridge", "choices": ["a", "b"]}, 422, "choices"),
        # a field the API does not know (the tenant never comes from the body)
        ({"product": "fridge", "choices": {}, "tenant_id": "other"}, 422, "tenant_id"),
        # a missing product
        ({"choices": {}}, 422, "product"),
    ],
)
def test_bad_orders_are_refused_and_nothing_is_written(
    client: TestClient,
    platform: Platform,
    tenant: TenantPeople,
    body: dict[str, Any],
    status: int,
    fragment: str,
) -> None:
    alice = auth(client, email(tenant, "alice"))
    before = order_count(platform, tenant)
    response = client.post("/orders", json=body, headers=alice)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert fragment in response.text
    assert order_count(platform, tenant) == before


def test_unknown_groups_and_options_are_all_named(client: TestClient, tenant: TenantPeople) -> None:
    alice = auth(client, email(tenant, "alice"))
    choices = cheapest_fridge(client, alice)
    group = next(iter(choices))
    choices = {**choices, "warp_drive": "yes", group: "no-such-option"}
    response = client.post("/orders", json={"product": "fridge", "choices": choices}, headers=alice)
    assert response.status_code == 422
    problems = response.json()["problems"]
    locs = " ".join(p["loc"] + " " + p["msg"] for p in problems)
    assert "warp_drive" in locs and "no-such-option" in locs


def test_malformed_json_is_a_422_problem(client: TestClient, tenant: TenantPeople) -> None:
    alice = auth(client, email(tenant, "alice"))
    response = client.post(
        "/orders",
        content=b'{"product": "fridge", "choices": {',
        headers={**alice, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["problems"]


def test_an_oversized_body_is_refused_before_it_is_read(
    client: TestClient, tenant: TenantPeople
) -> None:
    alice = auth(client, email(tenant, "alice"))
    huge = b'{"product": "fridge", "choices": {"x": "' + b"a" * 2_000_000 + b'"}}'
    response = client.post(
        "/orders", content=huge, headers={**alice, "content-type": "application/json"}
    )
    assert response.status_code == 413


def test_no_credentials_is_401(client: TestClient) -> None:
    response = client.get("/orders")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "full_name": "X", "password": "long-enough-1"},  # bad e-mail
        {"email": "x@y.example.com", "full_name": "X", "password": "short"},  # short password
        {"email": "x@y.example.com", "full_name": "", "password": "long-enough-1"},  # no name
    ],
)
def test_bad_signups_name_the_field(
    client: TestClient, tenant: TenantPeople, body: dict[str, str]
) -> None:
    response = client.post(f"/auth/signup/{tenant.tenant_id}", json=body)
    assert response.status_code == 422
    assert response.json()["problems"][0]["loc"].startswith("body.")


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"code": "c" * 100}, "code"),  # the column holds 64
        ({"name": "N" * 300}, "name"),  # 200
        ({"family": "f" * 100}, "family"),  # 64
        ({"base_price": 1e20}, "base_price"),  # overflowed the configurator's solver
        ({"base_lead_time_days": 10**12}, "base_lead_time_days"),  # overflowed the promise
    ],
)
def test_a_product_definition_beyond_its_columns_and_numbers_is_422(
    client: TestClient, tenant: TenantPeople, change: dict[str, Any], loc: str
) -> None:
    """Found by probing PostgreSQL: each of these was a 500 (or a 201, then a 500 later)."""
    admin = auth(client, email(tenant, "admin"))
    fridge = client.get("/products/fridge", headers=admin).json()["definition"]
    body = {"definition": {**fridge, "code": "fridge-probe", **change}}
    response = client.post("/products", json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert loc in {p["loc"] for p in response.json()["problems"]}


def test_a_lab_study_name_beyond_its_column_is_422(
    client: TestClient, tenant: TenantPeople
) -> None:
    admin = auth(client, email(tenant, "admin"))
    study = {
        "name": "S" * 200,
        "parameters": [{"name": "x1", "type": "continuous", "low": -5, "high": 10}],
        "objectives": [{"name": "f", "goal": "minimize"}],
    }
    response = client.post("/lab/studies", json={"definition": study}, headers=admin)
    assert response.status_code == 422, response.text
    assert "name" in {p["loc"] for p in response.json()["problems"]}
