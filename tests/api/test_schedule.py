"""The schedule over the API: planners plan, everyone sees only their own bars."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from openfab.api.app import create_app
from openfab.platform import Platform
from openfab.settings import Settings
from openfab.store.types import utcnow
from tests.api.conftest import auth
from tests.api.test_flow import email, order_cheapest_fridge
from tests.conftest import PlantPeople, TenantPeople, make_tenant


def test_planner_plans_and_the_order_shows_on_the_gantt(
    client: TestClient, tenant: TenantPeople, other_tenant: TenantPeople, plant: PlantPeople
) -> None:
    alice = auth(client, email(tenant, "alice"))
    order = order_cheapest_fridge(client, alice)
    assert client.post("/schedule/plan", headers=alice).status_code == 403
    brand_planner = auth(client, email(tenant, "planner"))
    assert client.post("/schedule/plan", headers=brand_planner).status_code == 403
    planner = auth(client, plant.email("planner"))
    planned = client.post("/schedule/plan", params={"time_limit": 2}, headers=planner)
    assert planned.status_code == 200, planned.text
    by_order = client.get("/schedule/gantt", params={"by": "order"}, headers=alice).json()
    assert [row["key"] for row in by_order["rows"]] == [order["number"]]
    by_machine = client.get("/schedule/gantt", headers=planner).json()
    assert by_machine["rows"]
    mine = client.get("/schedule/gantt", headers=brand_planner).json()
    assert "plant:" not in mine["run"]["trigger"]  # a brand reads no plant staff's name
    assert all("-" in row["key"] for row in by_machine["rows"])  # machine ids
    other = auth(client, email(other_tenant, "planner"))
    theirs = client.get("/schedule/gantt", headers=other).json()
    assert order["id"] not in {b["order_id"] for row in theirs["rows"] for b in row["bars"]}
    assert client.get("/schedule/gantt", params={"by": "shift"}, headers=planner).status_code == 422


def test_bad_downtime_reports_are_refused(
    client: TestClient, tenant: TenantPeople, plant: PlantPeople
) -> None:
    planner = auth(client, plant.email("operator"))
    machines = client.get("/schedule/machines", headers=planner).json()
    assert machines
    cases = [
        (
            {
                "machine": "warp-core-1",
                "start_at": "2030-01-01T08:00:00Z",
                "end_at": "2030-01-01T09:00:00Z",
            },
            404,
        ),  # unknown machine
        (
            {
                "machine": machines[0],
                "start_at": "2030-01-01T09:00:00Z",
                "end_at": "2030-01-01T08:00:00Z",
            },
            422,
        ),  # ends before it starts
        (
            {
                "machine": machines[0],
                "start_at": "2030-01-01T08:00:00",
                "end_at": "2030-01-01T09:00:00",
            },
            422,
        ),  # no time zone
        (
            {
                "machine": machines[0],
                "start_at": "2026-12-01T08:00:00Z",
                "end_at": "2036-12-01T08:00:00Z",
            },
            422,
        ),  # ten years: one report may never stop the plant for long
        (
            {
                "machine": machines[0],
                "start_at": "2030-01-01T08:00:00Z",
                "end_at": "2030-01-01T09:00:00Z",
            },
            422,
        ),  # too far ahead
    ]
    for body, status in cases:
        response = client.post("/schedule/downtime", json=body, headers=planner)
        assert response.status_code == status, response.text
    alice = auth(client, email(tenant, "alice"))
    ok_body = {
        "machine": machines[0],
        "start_at": "2030-01-01T08:00:00Z",
        "end_at": "2030-01-01T09:00:00Z",
    }
    assert client.post("/schedule/downtime", json=ok_body, headers=alice).status_code == 403
    brand_admin = auth(client, email(tenant, "admin"))
    assert client.post("/schedule/downtime", json=ok_body, headers=brand_admin).status_code == 403


def test_a_mistaken_downtime_is_shortened_then_cancelled(
    client: TestClient, tenant: TenantPeople, plant: PlantPeople
) -> None:
    operator = auth(client, plant.email("operator"))
    machine = client.get("/schedule/machines", headers=operator).json()[0]
    start = utcnow() + timedelta(days=1)
    body = {
        "machine": machine,
        "start_at": start.isoformat(),
        "end_at": (start + timedelta(days=10)).isoformat(),
        "reason": "typo: meant 10 hours",
    }
    booked = client.post("/schedule/downtime", json=body, headers=operator)
    assert booked.status_code == 201, booked.text
    path = f"/schedule/downtime/{booked.json()['id']}"
    shorter = {"end_at": (start + timedelta(hours=10)).isoformat(), "reason": "10 hours"}
    brand = auth(client, email(tenant, "admin"))
    assert client.patch(path, json=shorter, headers=brand).status_code == 403
    changed = client.patch(path, json=shorter, headers=operator)
    assert changed.status_code == 200, changed.text
    assert changed.json()["end_at"].startswith(shorter["end_at"][:16])
    assert client.patch(path, json={"reason": "x"}, headers=operator).status_code == 422
    cancelled = client.patch(
        path, json={"cancel": True, "reason": "wrong machine"}, headers=operator
    )
    assert cancelled.status_code == 200 and cancelled.json()["cancelled"]
    assert (
        client.patch(path, json={"cancel": True, "reason": "again"}, headers=operator).status_code
        == 404
    )
    planner = auth(client, plant.email("planner"))
    query = {"type": "machine.downtime", "entity_id": machine, "limit": 500}
    events = client.get("/events", params=query, headers=planner)
    kinds = [e["type"] for e in events.json()["data"]]
    assert "machine.downtime_changed" in kinds and "machine.downtime_cancelled" in kinds


def test_the_server_autopilot_plans_new_orders_by_itself(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    settings = Settings(database_url=url, jwt_secret="x" * 40, autopilot_interval_seconds=0.2)
    platform = Platform.open(url, settings=settings)
    people = make_tenant(platform)
    try:
        with TestClient(create_app(platform, bus="inprocess")) as served:
            alice = auth(served, email(people, "alice"))
            order = order_cheapest_fridge(served, alice)
            deadline = time.monotonic() + 30
            status = order["status"]
            while status == "Received" and time.monotonic() < deadline:
                time.sleep(0.2)
                status = served.get(f"/orders/{order['id']}", headers=alice).json()["status"]
        assert status == "Planned"
    finally:
        platform.close()


def test_a_planner_moves_an_operation_over_rest_and_releases_its_pin(
    client: TestClient, tenant: TenantPeople, plant: PlantPeople
) -> None:
    alice = auth(client, email(tenant, "alice"))
    order = order_cheapest_fridge(client, alice)
    planner = auth(client, plant.email("planner"))
    assert client.post("/schedule/plan", params={"time_limit": 2}, headers=planner).is_success
    rows = client.get("/schedule/gantt", params={"by": "order"}, headers=planner).json()["rows"]
    [bar, *_] = next(r["bars"] for r in rows if r["key"] == order["number"])
    start = (utcnow() + timedelta(hours=6)).replace(second=0, microsecond=0)
    move = {
        "order": order["number"],
        "sequence": bar["sequence"],
        "machine": bar["machine"],
        "start": start.isoformat(),
    }
    brand_planner = auth(client, email(tenant, "planner"))
    assert client.post("/schedule/moves", json=move, headers=brand_planner).status_code == 403
    moved = client.post("/schedule/moves", json=move, params={"time_limit": 2}, headers=planner)
    assert moved.status_code == 201, moved.text
    pin = moved.json()["pin"]
    assert (pin["order_number"], pin["machine"]) == (order["number"], bar["machine"])
    pins = client.get("/schedule/pins", headers=planner).json()
    assert pin["id"] in {p["id"] for p in pins}
    assert client.get("/schedule/pins", headers=brand_planner).status_code == 403

    bad = {"order": "", "sequence": 0, "machine": "x" * 65, "start": "soon"}
    refused = client.post("/schedule/moves", json=bad, headers=planner)
    assert refused.status_code == 422
    named = {p["loc"].rpartition(".")[2] for p in refused.json()["problems"]}
    assert {"order", "sequence", "machine", "start"} <= named, refused.text

    released = client.delete(f"/schedule/pins/{pin['id']}", headers=planner)
    assert released.status_code == 200 and released.json()["id"] == pin["id"]
    assert client.delete(f"/schedule/pins/{pin['id']}", headers=planner).status_code == 404
