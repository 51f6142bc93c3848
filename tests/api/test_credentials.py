"""Credentials over REST: list and revoke API keys, keys that cannot mint keys, sign-in
throttled with 429 and Retry-After, signups that tell nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from openfab.api.app import create_app
from openfab.identity.throttle import LoginThrottle
from openfab.platform import Platform
from tests.api.conftest import auth
from tests.conftest import PASSWORD, PlantPeople, TenantPeople


def email(tenant: TenantPeople, who: str) -> str:
    return f"{who}@{tenant.tenant_id}.example.com"


def test_keys_are_listed_without_the_key_and_revoked_at_once(
    client: TestClient, tenant: TenantPeople
) -> None:
    planner = auth(client, email(tenant, "planner"))
    issued = client.post("/auth/api-keys", json={"name": "mes bridge"}, headers=planner).json()
    key = {"X-API-Key": issued["key"]}
    listed = client.get("/auth/api-keys", headers=key)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert issued["key"] not in listed.text
    assert [(k["id"], k["name"], k["last_four"]) for k in body["data"]] == [
        (issued["id"], "mes bridge", issued["key"][-4:])
    ]

    revoked = client.delete(f"/auth/api-keys/{issued['id']}", headers=planner)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    assert client.get("/orders", headers=key).status_code == 401  # at once
    admin = auth(client, email(tenant, "admin"))
    events = client.get("/events", params={"type": "api_key.revoked"}, headers=admin).json()
    assert [e["entity_id"] for e in events["data"]] == [issued["id"]]


def test_the_tenant_admin_sees_and_revokes_every_key_of_the_tenant(
    client: TestClient, tenant: TenantPeople, other_tenant: TenantPeople
) -> None:
    alice = auth(client, email(tenant, "alice"))
    alices = client.post("/auth/api-keys", json={"name": "plugin"}, headers=alice).json()
    admin = auth(client, email(tenant, "admin"))
    listed = client.get("/auth/api-keys", headers=admin).json()
    assert alices["id"] in {k["id"] for k in listed["data"]}
    assert {k["owner"] for k in listed["data"]} == {email(tenant, "alice")}

    bob = auth(client, email(tenant, "bob"))
    stranger = auth(client, email(other_tenant, "admin"))
    for outsider in (bob, stranger):  # a colleague, another tenant's admin: no such key
        refused = client.delete(f"/auth/api-keys/{alices['id']}", headers=outsider)
        assert refused.status_code == 404
        assert alices["id"] not in client.get("/auth/api-keys", headers=outsider).text
    assert client.delete(f"/auth/api-keys/{alices['id']}", headers=admin).status_code == 200
    assert client.get("/orders", headers={"X-API-Key": alices["key"]}).status_code == 401


def test_a_key_cannot_mint_keys_unless_a_session_granted_it(
    client: TestClient, tenant: TenantPeople
) -> None:
    planner = auth(client, email(tenant, "planner"))
    plain = client.post("/auth/api-keys", json={"name": "plain"}, headers=planner).json()
    minted = client.post(
        "/auth/api-keys", json={"name": "minted"}, headers={"X-API-Key": plain["key"]}
    )
    assert minted.status_code == 403

    spec = {"name": "provisioner", "can_issue_keys": True}
    granted = client.post("/auth/api-keys", json=spec, headers=planner).json()
    signer = {"X-API-Key": granted["key"]}
    minted = client.post("/auth/api-keys", json={"name": "minted"}, headers=signer)
    assert minted.status_code == 201, minted.text
    passed_on = client.post("/auth/api-keys", json={**spec, "name": "next"}, headers=signer)
    assert passed_on.status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x" * 101},  # longer than the column
        {"name": "ok", "can_issue_keys": "yes"},  # not a boolean
        {"name": "ok", "tenant_id": "other"},  # unknown field
    ],
)
def test_bad_key_requests_are_refused(
    client: TestClient, tenant: TenantPeople, body: dict[str, object]
) -> None:
    planner = auth(client, email(tenant, "planner"))
    assert client.post("/auth/api-keys", json=body, headers=planner).status_code == 422


def test_signup_answers_alike_whatever_exists(client: TestClient, tenant: TenantPeople) -> None:
    new = {"email": email(tenant, "dora"), "full_name": "Dora", "password": PASSWORD}
    taken = {**new, "email": email(tenant, "alice")}
    answers = [
        client.post(f"/auth/signup/{tenant.tenant_id}", json=new),
        client.post(f"/auth/signup/{tenant.tenant_id}", json=taken),
        client.post(f"/auth/signup/no-such-{uuid.uuid4().hex[:8]}", json=new),
    ]
    assert {(a.status_code, a.text) for a in answers} == {(answers[0].status_code, answers[0].text)}
    assert answers[0].status_code == 202
    auth(client, new["email"])


@pytest.fixture
def throttled_client(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A client from an address of its own, against a throttle of 2 failures an account and
    10 an address."""
    throttle = LoginThrottle(platform.db, per_account=2, per_address=10, window_seconds=900)
    monkeypatch.setattr(platform.identity, "throttle", throttle)
    address = f"203.0.113.{uuid.uuid4().int % 250}"
    with TestClient(create_app(platform), client=(address, 40000)) as client:
        yield client


def login(client: TestClient, username: str, password: str) -> tuple[int, str, str | None]:
    response = client.post("/auth/token", data={"username": username, "password": password})
    return response.status_code, response.json()["detail"], response.headers.get("retry-after")


def test_sign_in_is_throttled_per_account_with_retry_after(
    throttled_client: TestClient, tenant: TenantPeople
) -> None:
    alice, nobody = email(tenant, "alice"), email(tenant, "nobody")
    wrong_alice = [login(throttled_client, alice, "wrong-password") for _ in range(3)]
    wrong_nobody = [login(throttled_client, nobody, "wrong-password") for _ in range(3)]
    # known or not: the same answers (Retry-After aside, which counts down)
    assert [a[:2] for a in wrong_alice] == [a[:2] for a in wrong_nobody]
    assert [status for status, _, _ in wrong_alice] == [401, 401, 429]
    retry_after = wrong_alice[2][2]
    assert retry_after is not None and 0 < int(retry_after) <= 900
    refused = throttled_client.post("/auth/token", data={"username": alice, "password": PASSWORD})
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"


def test_sign_in_is_throttled_per_address(
    throttled_client: TestClient, tenant: TenantPeople
) -> None:
    for who in range(10):  # one failure an account
        assert login(throttled_client, email(tenant, f"guess{who}"), "wrong")[0] == 401
    assert login(throttled_client, email(tenant, "bob"), PASSWORD)[0] == 429


def test_plant_staff_keys_are_the_plants(
    client: TestClient, plant: PlantPeople, tenant: TenantPeople
) -> None:
    """A machine's key belongs to a plant operator; the plant admin sees and revokes it, a
    brand's admin never sees it."""
    operator = auth(client, plant.operator.name.split(":", 1)[1])
    issued = client.post("/auth/api-keys", json={"name": "press 1"}, headers=operator)
    assert issued.status_code == 201, issued.text
    key = issued.json()
    plant_admin = auth(client, plant.planner.name.split(":", 1)[1])
    assert key["id"] in {
        k["id"] for k in client.get("/auth/api-keys", headers=plant_admin).json()["data"]
    }
    brand_admin = auth(client, email(tenant, "admin"))
    assert key["id"] not in client.get("/auth/api-keys", headers=brand_admin).text
    assert client.delete(f"/auth/api-keys/{key['id']}", headers=brand_admin).status_code == 404
    assert client.delete(f"/auth/api-keys/{key['id']}", headers=plant_admin).status_code == 200
    machines = client.get("/floor/dispatch/x", headers={"X-API-Key": key["key"]})
    assert machines.status_code == 401
