"""The attempts of issue 13's table and their kin, each refused: a brand stopping the plant,
buying for it or touching its stock; a plant user past the bounds; orders and lots that do not
exist; privilege escalation; keys minting keys.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from openfab.identity.actor import BRAND_ROLES, PLANT, PLANT_ROLES, Role
from openfab.identity.orm import UserRow
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow
from tests.conftest import PASSWORD
from tests.security.conftest import JSON, MATERIAL, Caller, World, expect

pytestmark = pytest.mark.xdist_group("security")

BRAND_PEOPLE = sorted(BRAND_ROLES)


def _ahead(days: float, hours: float = 0) -> str:
    moment = utcnow().replace(microsecond=0) + timedelta(days=days, hours=hours)
    return moment.isoformat()


def _locs(response: Any) -> list[str]:
    return [p["loc"] for p in response.json().get("problems", [])]


def _names(response: Any, field: str) -> bool:
    """The refusal names ``field``: in a problem's location or in its detail."""
    return any(field in loc for loc in _locs(response)) or field in response.json()["detail"]


def _foaming(world: World) -> list[str]:
    machines = [m for m in world.platform.execution.machines() if m.startswith("foaming-")]
    assert machines
    return sorted(machines)


def _stock(world: World, lot: str) -> list[JSON]:
    stores = world.plant[Role.STORES]
    rows: list[JSON] = expect(
        world.client.get(
            "/materials/inventory", params={"material": MATERIAL}, headers=stores.headers
        ),
        200,
    )
    return [found for row in rows for found in row["lots"] if found["lot"] == lot]


def _events(world: World, type_: str, entity_id: str) -> list[JSON]:
    planner = world.plant[Role.PLANT_PLANNER]
    query = {"type": type_, "entity_id": entity_id, "limit": 1000}
    body = expect(world.client.get("/events", params=query, headers=planner.headers), 200)
    events: list[JSON] = body["data"]
    return events


# -- downtime --------------------------------------------------------------------------------
@pytest.mark.parametrize("role", BRAND_PEOPLE)
def test_a_brand_user_cannot_report_or_correct_downtime(world: World, role: Role) -> None:
    caller = world.a[role]
    for machine in _foaming(world)[:3]:
        body = {"machine": machine, "start_at": _ahead(0), "end_at": _ahead(1), "reason": "x"}
        response = world.client.post("/schedule/downtime", json=body, headers=caller.headers)
        assert response.status_code == 403, response.text
    change = {"cancel": True, "reason": "not mine to cancel"}
    url = f"/schedule/downtime/{world.downtime_id}"
    assert world.client.patch(url, json=change, headers=caller.headers).status_code == 403


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (0, (datetime(2036, 1, 1, tzinfo=UTC) - utcnow()).days, "end_at"),  # until 2036
        (0, 14.5, "end_at"),  # longer than 14 days
        (181, 182, "start_at"),  # more than 180 days ahead
        (-30, -2, "end_at"),  # over long ago
    ],
)
def test_plant_downtime_is_bounded(world: World, start: float, end: float, field: str) -> None:
    operator = world.plant[Role.OPERATOR]
    for machine in _foaming(world):
        body = {"machine": machine, "start_at": _ahead(start), "end_at": _ahead(end)}
        response = world.client.post("/schedule/downtime", json=body, headers=operator.headers)
        assert response.status_code == 422, response.text
        assert _names(response, field), response.text


def test_the_plant_planner_shortens_and_cancels_a_downtime(world: World) -> None:
    machine = _foaming(world)[-1]
    operator, planner = world.plant[Role.OPERATOR], world.plant[Role.PLANT_PLANNER]
    body = {"machine": machine, "start_at": _ahead(172), "end_at": _ahead(172, 2)}
    booked = expect(
        world.client.post("/schedule/downtime", json=body, headers=operator.headers), 201
    )
    url = f"/schedule/downtime/{booked['id']}"

    too_long = {"end_at": _ahead(172 + 15), "reason": "typo"}
    refused = world.client.patch(url, json=too_long, headers=planner.headers)
    assert refused.status_code == 422, refused.text
    assert _names(refused, "end_at")

    shorter = {"end_at": _ahead(172, 1), "reason": "fixed sooner"}
    changed = expect(world.client.patch(url, json=shorter, headers=planner.headers), 200)
    assert changed["end_at"] != booked["end_at"] and not changed["cancelled"]
    events = _events(world, "machine.downtime_changed", machine)
    assert any(e["payload"]["before"]["id"] == booked["id"] for e in events), events

    cancel = {"cancel": True, "reason": "booked by mistake"}
    cancelled = expect(world.client.patch(url, json=cancel, headers=planner.headers), 200)
    assert cancelled["cancelled"] is True
    events = _events(world, "machine.downtime_cancelled", machine)
    assert any(e["payload"]["before"]["id"] == booked["id"] for e in events), events
    assert world.client.patch(url, json=cancel, headers=planner.headers).status_code == 404


# -- material policies and purchasing --------------------------------------------------------
@pytest.mark.parametrize("role", BRAND_PEOPLE)
def test_a_brand_user_cannot_set_a_plant_wide_safety_stock(world: World, role: Role) -> None:
    body = {"safety_stock": "10"}
    response = world.client.put(
        "/materials/pu_foam_system/policy", json=body, headers=world.a[role].headers
    )
    assert response.status_code == 403, response.text


def test_the_plant_planner_cannot_set_a_safety_stock_worth_more_than_50000(world: World) -> None:
    planner = world.plant[Role.PLANT_PLANNER]
    for code, quantity in (("pu_foam_system", "100000"), (MATERIAL, "100000")):
        response = world.client.put(
            f"/materials/{code}/policy", json={"safety_stock": quantity}, headers=planner.headers
        )
        assert response.status_code == 422, response.text
        assert _names(response, "safety_stock"), response.text


@pytest.mark.parametrize("role", BRAND_PEOPLE)
def test_a_brand_user_cannot_run_the_purchasing_autopilot(world: World, role: Role) -> None:
    body = {"max_value_per_order": "1000", "horizon_days": 7}
    response = world.client.post(
        "/materials/autopilot/run", json=body, headers=world.a[role].headers
    )
    assert response.status_code == 403, response.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"max_value_per_order": "25000.01", "horizon_days": 7}, "max_value_per_order"),
        ({"max_value_per_order": "193558", "horizon_days": 365}, "max_value_per_order"),
        ({"max_value_per_order": "1000", "horizon_days": 31}, "horizon_days"),
    ],
)
def test_the_autopilot_limits_have_a_ceiling(world: World, body: JSON, field: str) -> None:
    planner = world.plant[Role.PLANT_PLANNER]
    before = expect(world.client.get("/materials/purchase-orders", headers=planner.headers), 200)
    response = world.client.post("/materials/autopilot/run", json=body, headers=planner.headers)
    assert response.status_code == 422, response.text
    assert _names(response, field), response.text
    after = expect(world.client.get("/materials/purchase-orders", headers=planner.headers), 200)
    assert [po["status"] for po in after["data"]] == [po["status"] for po in before["data"]]


@pytest.mark.parametrize("role", BRAND_PEOPLE)
def test_a_brand_user_cannot_touch_plant_purchase_orders(world: World, role: Role) -> None:
    caller = world.a[role]
    planner = world.plant[Role.PLANT_PLANNER]
    url = f"/materials/purchase-orders/{world.purchase_order_id}"
    before = expect(world.client.get(url, headers=planner.headers), 200)
    for action, body in (
        ("cancel", {"reason": "not needed"}),
        ("release", {"reason": "buy it"}),
        ("receipts", {"quantity": "1", "lot": "L-FAKE"}),
    ):
        response = world.client.post(f"{url}/{action}", json=body, headers=caller.headers)
        assert response.status_code == 403, (action, response.text)
        assert world.b.order["number"] not in response.text
    assert world.client.get(url, headers=caller.headers).status_code == 403
    listed = world.client.get("/materials/purchase-orders", headers=caller.headers)
    assert listed.status_code == 403
    after = expect(world.client.get(url, headers=planner.headers), 200)
    assert after["status"] == before["status"]


# -- stock -----------------------------------------------------------------------------------
@pytest.mark.parametrize("role", BRAND_PEOPLE)
def test_a_brand_user_cannot_scrap_or_count_a_lot(world: World, role: Role) -> None:
    caller = world.a[role]
    before = _stock(world, world.lot)
    assert before, "the suite's lot is in the stores"
    for kind, quantity in (("Scrap", "100"), ("Count", "0"), ("Issue", "1"), ("Receive", "9")):
        body = {"kind": kind, "material": MATERIAL, "lot": world.lot, "quantity": quantity}
        body |= {"unit": "kg", "reason": "gone"}
        response = world.client.post("/materials/moves", json=body, headers=caller.headers)
        assert response.status_code == 403, (kind, response.text)
    allocation = {"material": MATERIAL, "order_id": world.a.order["id"], "quantity": "1"}
    response = world.client.post(
        "/materials/allocations", json=allocation | {"unit": "kg"}, headers=caller.headers
    )
    assert response.status_code == 403, response.text
    assert _stock(world, world.lot) == before


@pytest.mark.parametrize("role", BRAND_PEOPLE)
def test_a_brand_user_cannot_read_the_plant_stock(world: World, role: Role) -> None:
    caller = world.a[role]
    for path in ("/materials/moves", "/materials/inventory", "/materials/suppliers"):
        response = world.client.get(path, headers=caller.headers)
        assert response.status_code == 403, (path, response.text)
        assert world.b.order["id"] not in response.text


def _refuses_the_order(response: Any, ghost: str) -> bool:
    """422 naming the field ``order_id``, or 404 naming the order."""
    if response.status_code == 422:
        return _names(response, "order_id")
    return response.status_code == 404 and ghost in response.json()["detail"]


def test_a_move_or_allocation_naming_an_order_that_does_not_exist(world: World) -> None:
    stores = world.plant[Role.STORES]
    ghost = str(uuid.uuid4())
    before = _stock(world, world.lot)
    move = {"kind": "Issue", "material": MATERIAL, "lot": world.lot, "quantity": "1"}
    move |= {"unit": "kg", "order_id": ghost}
    response = world.client.post("/materials/moves", json=move, headers=stores.headers)
    assert _refuses_the_order(response, ghost), response.text
    allocation = {"material": MATERIAL, "order_id": ghost, "quantity": "1", "unit": "kg"}
    response = world.client.post("/materials/allocations", json=allocation, headers=stores.headers)
    assert _refuses_the_order(response, ghost), response.text
    assert _stock(world, world.lot) == before


def _released_order(world: World) -> JSON:
    """A new order of brand A, planned and released by the plant: its first step is ready."""
    planner = world.plant[Role.PLANT_PLANNER]
    order = world.place_order(world.a)
    url = f"/orders/{order['id']}/transitions"
    expect(world.client.post(url, json={"status": "Planned"}, headers=planner.headers), 200)
    url = f"/execution/orders/{order['number']}/release"
    work_order: JSON = expect(world.client.post(url, headers=planner.headers), 201)
    return work_order


def test_consuming_a_lot_that_does_not_exist_is_refused(world: World) -> None:
    operator = world.plant[Role.OPERATOR]
    work_order = _released_order(world)
    first = work_order["operations"][0]
    url = f"/execution/work-orders/{work_order['number']}/operations/{first['sequence']}"
    ghost = {"material": MATERIAL, "lot": f"NO-SUCH-{uuid.uuid4().hex[:8]}", "unit": "kg"}
    start = {
        "message_id": uuid.uuid4().hex,
        "machine": world.machine_for(first["work_centers"]),
        "materials": [ghost | {"quantity": 999_999}],
    }
    response = world.client.post(f"{url}/start", json=start, headers=operator.headers)
    assert response.status_code == 422, response.text
    assert any("materials.0.lot" in loc for loc in _locs(response)), response.text
    detail = expect(
        world.client.get(
            f"/execution/work-orders/{work_order['number']}", headers=operator.headers
        ),
        200,
    )
    assert detail["operations"][0]["status"] != "InProgress"  # nothing was booked


# -- the schedule and the floor --------------------------------------------------------------
@pytest.mark.parametrize("role", [Role.PLANNER, Role.ADMIN])
def test_a_brand_planner_cannot_plan_or_release(world: World, role: Role) -> None:
    caller = world.a[role]
    client = world.client
    assert client.post("/schedule/plan", headers=caller.headers).status_code == 403
    assert client.post("/execution/work-orders/release", headers=caller.headers).status_code == 403
    for order in (world.a.open_order, world.b.open_order):
        url = f"/execution/orders/{order['number']}/release"
        assert client.post(url, headers=caller.headers).status_code in (403, 404)
        moved = client.post(
            f"/orders/{order['id']}/transitions", json={"status": "Planned"}, headers=caller.headers
        )
        assert moved.status_code in (403, 404), moved.text
    assert client.post("/materials/plan", headers=caller.headers).status_code == 403


def test_the_plant_moving_an_order_sees_no_customer(world: World) -> None:
    planner = world.plant[Role.PLANT_PLANNER]
    order = world.place_order(world.b)
    try:
        url = f"/orders/{order['id']}/transitions"
        moved = expect(
            world.client.post(url, json={"status": "Planned"}, headers=planner.headers), 200
        )
        read = expect(world.client.get(f"/orders/{order['id']}", headers=planner.headers), 200)
        assert read["customer_id"] is None
        assert moved["customer_id"] is None, moved
    finally:
        world.withdraw(world.b, order)


# -- privilege escalation ---------------------------------------------------------------------
@pytest.mark.parametrize("role", sorted(PLANT_ROLES))
def test_a_brand_admin_cannot_create_plant_staff(world: World, role: Role) -> None:
    admin = world.a[Role.ADMIN]
    body = {
        "email": f"mole-{uuid.uuid4().hex[:8]}@{world.a.tenant_id}.example.com",
        "full_name": "Mole",
        "password": PASSWORD,
        "roles": [str(Role.CUSTOMER), str(role)],
    }
    response = world.client.post("/users", json=body, headers=admin.headers)
    assert response.status_code == 422, response.text
    assert _names(response, "roles"), response.text


def test_the_plant_admin_cannot_give_a_brand_role(world: World) -> None:
    admin = world.plant[Role.PLANT_ADMIN]
    body = {
        "email": f"mixed-{uuid.uuid4().hex[:8]}@plant.example.com",
        "full_name": "Mixed",
        "password": PASSWORD,
        "roles": [str(Role.OPERATOR), str(Role.ADMIN)],
    }
    response = world.client.post("/users", json=body, headers=admin.headers)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("role", BRAND_PEOPLE)
def test_a_brand_user_cannot_create_a_tenant(world: World, role: Role) -> None:
    for tenant_id in (f"evil-{uuid.uuid4().hex[:8]}", PLANT):
        body = {"id": tenant_id, "name": "Evil"}
        response = world.client.post("/tenants", json=body, headers=world.a[role].headers)
        assert response.status_code == 403, response.text


def test_nobody_takes_the_plant_tenant(world: World) -> None:
    admin = world.plant[Role.PLANT_ADMIN]
    response = world.client.post(
        "/tenants", json={"id": PLANT, "name": "Evil"}, headers=admin.headers
    )
    assert response.status_code == 409, response.text


def test_signup_at_the_plant_makes_no_plant_staff(world: World) -> None:
    email = f"walk-in-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "full_name": "Walk In", "password": PASSWORD}
    assert world.client.post(f"/auth/signup/{PLANT}", json=body).status_code == 202
    with world.platform.db.unit(Scope.plant(), actor="system:test", readonly=True) as uow:
        rows = uow.session.scalars(select(UserRow).where(UserRow.email == email)).all()
        found = [(row.tenant_id, list(row.roles)) for row in rows]
    assert found == [], found  # no account at all: it cannot sign in, let alone act


def _key(world: World, caller: Caller, *, can_issue_keys: bool = False) -> dict[str, str]:
    body = {"name": f"key-{uuid.uuid4().hex[:6]}", "can_issue_keys": can_issue_keys}
    issued = expect(world.client.post("/auth/api-keys", json=body, headers=caller.headers), 201)
    return {"X-API-Key": issued["key"], "id": issued["id"]}


@pytest.mark.parametrize("who", ["A.planner", "A.admin", "plant.plant_admin"])
def test_a_key_cannot_mint_keys_without_the_grant(world: World, who: str) -> None:
    side, role = who.split(".")
    caller = (world.a.people if side == "A" else world.plant)[Role(role)]
    plain = _key(world, caller)
    plain_headers = {"X-API-Key": plain["X-API-Key"]}
    refused = world.client.post("/auth/api-keys", json={"name": "child"}, headers=plain_headers)
    assert refused.status_code == 403, refused.text

    granted = _key(world, caller, can_issue_keys=True)
    granted_headers = {"X-API-Key": granted["X-API-Key"]}
    escalate = {"name": "grandchild", "can_issue_keys": True}
    refused = world.client.post("/auth/api-keys", json=escalate, headers=granted_headers)
    assert refused.status_code == 403, refused.text
    child = world.client.post("/auth/api-keys", json={"name": "child"}, headers=granted_headers)
    assert child.status_code == 201, child.text

    # a key without the grant revokes itself only
    other = _key(world, caller)
    url = f"/auth/api-keys/{other['id']}"
    assert world.client.delete(url, headers=plain_headers).status_code == 403
    url = f"/auth/api-keys/{plain['id']}"
    assert world.client.delete(url, headers=plain_headers).status_code == 200
    assert world.client.get("/auth/api-keys", headers=plain_headers).status_code == 401


def test_a_brand_key_reaches_nothing_of_another_brand(world: World) -> None:
    admin = world.b[Role.ADMIN]
    key = {"X-API-Key": _key(world, admin)["X-API-Key"]}
    url = f"/auth/api-keys/{world.a.api_key_id}"
    assert world.client.delete(url, headers=key).status_code in (403, 404)
    assert world.client.get(f"/orders/{world.a.order['id']}", headers=key).status_code == 404
    keys = expect(world.client.get("/auth/api-keys", headers=key), 200)
    assert world.a.api_key_id not in {k["id"] for k in keys["data"]}
