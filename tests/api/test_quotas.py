"""Quotas per tenant: orders a minute (counted in the database, so across processes), API
requests a minute and shop-floor messages a second (per process), each answered with 429,
``application/problem+json`` and ``Retry-After``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from openfab import clock
from openfab.api.app import create_app
from openfab.api.deps import get_quotas
from openfab.api.quotas import Quotas, SlidingWindow
from openfab.errors import InvalidInput, TooManyRequests
from openfab.identity.actor import Actor
from openfab.orders.orm import SalesOrderRow
from openfab.platform import Platform
from openfab.settings import Settings
from openfab.store.tenancy import Scope
from tests.api.conftest import auth
from tests.conftest import PlantPeople, TenantPeople
from tests.gateway.conftest import path_of


class FakeTime:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def quotas(time: FakeTime, **limits: int) -> Quotas:
    generous = {"orders_per_minute": 0, "requests_per_minute": 0, "floor_messages_per_second": 0}
    return Quotas(**{**generous, **limits}, clock=time)


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


def client_with(platform: Platform, limits: Quotas) -> TestClient:
    """A server process of its own, with these quotas."""
    app = create_app(platform)
    app.dependency_overrides[get_quotas] = lambda: limits
    return TestClient(app, raise_server_exceptions=False)


def email(tenant: TenantPeople, who: str) -> str:
    return f"{who}@{tenant.tenant_id}.example.com"


def assert_too_many(response: Any, *, at_most: int) -> int:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 429
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= at_most
    return retry_after


# -- the sliding window -------------------------------------------------------------------------
def test_a_window_counts_per_key_and_frees_places_as_they_age(time: FakeTime) -> None:
    window = SlidingWindow(3, 60.0, slots=60, clock=time)
    assert window.take("a") is None
    time.now += 30
    assert window.take("a", 2) is None
    assert window.take("a") == pytest.approx(30.0)  # when the first unit leaves the window
    assert window.take("b", 3) is None  # another tenant has its own window
    time.now += 30
    assert window.take("a") is None
    assert window.take("a") is not None  # the two of 30 s ago are still counted


def test_a_refused_request_takes_no_place(time: FakeTime) -> None:
    window = SlidingWindow(1, 1.0, slots=10, clock=time)
    assert window.take("a") is None
    for _ in range(5):
        assert window.take("a") is not None
    time.now += 1.0
    assert window.take("a") is None


def test_a_batch_larger_than_the_quota_can_never_fit(time: FakeTime) -> None:
    limits = quotas(time, floor_messages_per_second=5)
    plant = Actor("plant:x", None)
    with pytest.raises(InvalidInput, match="smaller batches"):
        limits.floor_messages(plant, 6)
    limits.floor_messages(plant, 5)
    with pytest.raises(TooManyRequests):
        limits.floor_messages(plant, 1)


def test_limits_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENFAB_ORDERS_PER_MINUTE", "7")
    monkeypatch.setenv("OPENFAB_REQUESTS_PER_MINUTE", "8")
    monkeypatch.setenv("OPENFAB_FLOOR_MESSAGES_PER_SECOND", "9")
    limits = Quotas.from_settings(Settings())
    assert (limits.orders_per_minute, limits.requests.limit, limits.floor.limit) == (7, 8, 9)


def test_the_defaults_never_throttle_the_demo() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.orders_per_minute >= 6_000
    assert settings.requests_per_minute >= 60_000
    assert settings.floor_messages_per_second >= 1_000


# -- API requests a minute ----------------------------------------------------------------------
def test_api_requests_are_limited_per_tenant(
    platform: Platform, tenant: TenantPeople, other_tenant: TenantPeople, time: FakeTime
) -> None:
    with client_with(platform, quotas(time, requests_per_minute=3)) as client:
        alice, bob = auth(client, email(tenant, "alice")), auth(client, email(tenant, "bob"))
        stranger = auth(client, email(other_tenant, "alice"))  # signing in is not counted
        for _ in range(3):
            assert client.get("/orders", headers=alice).status_code == 200
        assert_too_many(client.get("/orders", headers=bob), at_most=60)  # the whole tenant
        assert client.get("/orders", headers=stranger).status_code == 200
        assert client.get("/health").status_code == 200  # unauthenticated: not counted
        time.now += 60
        assert client.get("/orders", headers=bob).status_code == 200


def test_a_limit_of_zero_is_no_limit(
    platform: Platform, tenant: TenantPeople, time: FakeTime
) -> None:
    with client_with(platform, quotas(time, requests_per_minute=0)) as client:
        alice = auth(client, email(tenant, "alice"))
        assert all(client.get("/orders", headers=alice).status_code == 200 for _ in range(5))


# -- orders a minute ----------------------------------------------------------------------------
def order_body(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    completed = client.post("/products/fridge/complete", json={"choices": {}}, headers=headers)
    assert completed.status_code == 200, completed.text
    return {"product": "fridge", "choices": completed.json()["choices"]}


def orders_of(platform: Platform, tenant: TenantPeople) -> int:
    with platform.db.unit(Scope.tenant(tenant.tenant_id), actor="t", readonly=True) as uow:
        query = select(func.count()).select_from(SalesOrderRow)
        return int(uow.session.scalar(query) or 0)


def test_orders_a_minute_hold_across_processes(
    platform: Platform, tenant: TenantPeople, other_tenant: TenantPeople, time: FakeTime
) -> None:
    one = client_with(platform, quotas(time, orders_per_minute=2))
    two = client_with(platform, quotas(time, orders_per_minute=2))  # another server process
    with one, two:
        alice, bob = auth(one, email(tenant, "alice")), auth(two, email(tenant, "bob"))
        stranger = auth(two, email(other_tenant, "alice"))
        body = order_body(one, alice)
        start = datetime.now(UTC) + timedelta(minutes=5)  # after every order placed so far
        with clock.running_on(clock.SimulatedClock(start)) as simulated:
            assert one.post("/orders", json=body, headers=alice).status_code == 201
            simulated.advance(timedelta(seconds=20))
            assert one.post("/orders", json=body, headers=alice).status_code == 201
            simulated.advance(timedelta(seconds=10))
            refused = two.post("/orders", json=body, headers=bob)
            assert assert_too_many(refused, at_most=60) == 30  # when the first leaves the minute
            assert "orders a minute" in refused.json()["detail"]
            assert orders_of(platform, tenant) == 2  # nothing written
            assert two.post("/orders", json=body, headers=stranger).status_code == 201
            simulated.advance(timedelta(seconds=30))
            assert two.post("/orders", json=body, headers=bob).status_code == 201


# -- shop-floor messages a second ---------------------------------------------------------------
def measurements(n: int) -> list[dict[str, Any]]:
    return [
        {
            "message_id": f"q-{datetime.now(UTC).timestamp()}-{i}",
            "type": "measurement",
            "at": "2026-03-02T08:21:00Z",
            "signal": "flatness_mm",
            "value": 0.12,
        }
        for i in range(n)
    ]


@pytest.fixture
def operator_client(
    platform: Platform, plant: PlantPeople, time: FakeTime
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with client_with(platform, quotas(time, floor_messages_per_second=5)) as client:
        yield client, auth(client, plant.operator.name.split(":", 1)[1])


def test_floor_messages_a_second_count_each_message(
    operator_client: tuple[TestClient, dict[str, str]], time: FakeTime
) -> None:
    client, operator = operator_client
    sender = {"sender": str(path_of(first_machine(client)))}

    def post(batch: list[dict[str, Any]]) -> Any:
        return client.post(
            "/floor/messages", params=sender, content=json.dumps(batch), headers=operator
        )

    assert post(measurements(4)).status_code in (200, 422)  # applied or dead-lettered
    assert_too_many(post(measurements(2)), at_most=1)  # 6 in one second
    assert post(measurements(6)).status_code == 422  # never fits: smaller batches
    time.now += 1.0
    assert post(measurements(2)).status_code in (200, 422)


def first_machine(client: TestClient) -> str:
    platform: Platform = client.app.state.platform  # type: ignore[attr-defined]
    return sorted(platform.execution.machines())[0]


def test_machine_state_reports_count_against_the_same_quota(
    operator_client: tuple[TestClient, dict[str, str]],
) -> None:
    client, operator = operator_client
    machine = first_machine(client)
    sender = {"sender": str(path_of(machine))}
    posted = client.post(
        "/floor/messages", params=sender, content=json.dumps(measurements(5)), headers=operator
    )
    assert posted.status_code in (200, 422)
    report = {"state": "Down", "at": "2026-03-02T08:13:00Z", "reason": "quota test"}
    refused = client.post(f"/execution/machines/{machine}/states", json=report, headers=operator)
    assert_too_many(refused, at_most=1)
