"""The leak scanner: brand A's users of every role read every GET route of the schema and find
nothing of brand B (e-mail addresses, ids, numbers, free text) and no e-mail of the plant's
staff; the plant's staff read every GET route and find no e-mail of a brand's user and no
brand customer.

Brand B was seeded with canaries: its users' e-mail addresses, its tenant's id and name, its
orders (one cancelled with a note), work order and unit, an idea with a comment, a private
product, a lab study with a run and an API key, each free text holding B's canary string;
the plant planned and released B's order, started its first operation, booked a downtime with
a reason of its own and dead-lettered a message naming B's work order.

Each route is read with no query and with the obvious ones (the largest page, every state,
B's order as a filter). An answer that is allowed is a 200 (the policy table is checked in
this direction too), one that is not a 403 or 404.
"""

from __future__ import annotations

from typing import Any

import pytest

from openfab.identity.actor import BRAND_ROLES, PLANT_ROLES, Role
from tests.security.conftest import MATERIAL, Caller, World
from tests.security.probes import OPERATIONS, Operation, Probe, probe
from tests.security.test_route_matrix import POLICY, may_call

pytestmark = pytest.mark.xdist_group("security")

GETS = sorted(op_id for op_id, op in OPERATIONS.items() if op.method == "GET")
A_CALLERS = [f"A.{role}" for role in sorted(BRAND_ROLES)]
PLANT_CALLERS = [f"plant.{role}" for role in sorted(PLANT_ROLES)]

LEAKS: dict[tuple[str, str], str] = {}
"""Known leaks, (operation, caller) → what is leaked (xfail)."""


def _obvious(world: World, op: Operation) -> dict[str, Any]:
    """The query parameters a curious user would try first."""
    values: dict[str, Any] = {}
    for parameter in op.query_parameters:
        name, schema = parameter["name"], parameter.get("schema", {})
        if name == "limit":
            values[name] = schema.get("maximum", 100)
        elif name == "offset" or name == "after":
            values[name] = 0
        elif name == "by":
            values[name] = "order"
        elif name == "state":
            values[name] = "all"
        elif name == "sort":
            values[name] = "new"
        elif name == "entity_id":
            values[name] = world.b.order["id"]
        elif name == "order":
            values[name] = world.b.order["number"]
        elif name == "material":
            values[name] = MATERIAL
        elif name == "machine":
            values[name] = [world.machine]
    return values


def _variants(world: World, operation_id: str, request: Probe) -> list[Probe]:
    op = OPERATIONS[operation_id]
    obvious = Probe(request.method, request.url, params={**request.params, **_obvious(world, op)})
    return [request, obvious]


def _scan(
    world: World,
    operation_id: str,
    caller: Caller,
    request: Probe,
    secrets: dict[str, str],
) -> list[str]:
    """Read the route and return what of ``secrets`` (value → what it is) the answer holds."""
    found = []
    for variant in _variants(world, operation_id, request):
        response = variant.send(world.client, caller)
        allowed = may_call(operation_id, caller.role)
        expected = {200} if allowed else {403, 404}
        assert response.status_code in expected, (
            f"{caller.label} GET {variant.url} {variant.params} → "
            f"{response.status_code} {response.text[:300]}"
        )
        text = response.text
        if response.status_code != 200:  # a refusal may repeat what the caller sent
            for echoed in variant.echoed():
                text = text.replace(echoed, "")
        found += [
            f"{what} {value!r} in GET {variant.url} {variant.params}"
            for value, what in secrets.items()
            if value in text
        ]
    return found


def _cases(callers: list[str]) -> list[object]:
    cases: list[object] = []
    for operation_id in GETS:
        for key in callers:
            leak = LEAKS.get((operation_id, key))
            marks = [pytest.mark.xfail(strict=True, reason=leak)] if leak else []
            cases.append(pytest.param(operation_id, key, marks=marks, id=f"{operation_id}-{key}"))
    return cases


def _brand_secrets(world: World) -> dict[str, str]:
    """What brand A must never read: all of B, and the plant's people."""
    b = world.b
    secrets = dict.fromkeys(b.ids(), "brand B's id/number/code")
    secrets |= dict.fromkeys(b.emails, "brand B's user e-mail")
    secrets[b.canary] = "brand B's free text"
    secrets |= dict.fromkeys(world.plant_emails, "plant staff e-mail")
    secrets[world.plant_canary] = "the plant's downtime reason"
    return secrets


def _plant_secrets(world: World) -> dict[str, str]:
    """What the plant's staff must never read: a brand user's e-mail, a brand's customer."""
    secrets: dict[str, str] = {}
    for brand in (world.a, world.b):
        secrets |= dict.fromkeys(brand.emails, "a brand user's e-mail")
        customer = brand[Role.CUSTOMER].user_id
        assert customer
        secrets[customer] = "a brand's customer id"
    return secrets


def test_the_scanner_reads_every_get_route() -> None:
    assert set(GETS) <= set(POLICY)
    assert len(GETS) >= 30
    assert {"list_events", "list_inventory_moves", "schedule_gantt", "track_order"} <= set(GETS)


@pytest.mark.parametrize(("operation_id", "caller_key"), _cases(A_CALLERS))
def test_brand_a_reads_nothing_of_brand_b_nor_plant_staff(
    world: World, operation_id: str, caller_key: str
) -> None:
    caller = world.a[Role(caller_key.split(".")[1])]
    request = probe(world, world.a, operation_id)  # path ids: A's own objects
    found = _scan(world, operation_id, caller, request, _brand_secrets(world))
    assert found == []


@pytest.mark.parametrize(("operation_id", "caller_key"), _cases(PLANT_CALLERS))
def test_the_plant_reads_no_brand_user(world: World, operation_id: str, caller_key: str) -> None:
    caller = world.plant[Role(caller_key.split(".")[1])]
    request = probe(world, world.b, operation_id)  # path ids: B's objects
    found = _scan(world, operation_id, caller, request, _plant_secrets(world))
    assert found == []


def test_the_canaries_are_where_they_belong(world: World) -> None:
    """The scanner can fail: B's own staff and the plant read what A must not."""
    b_admin, planner = world.b[Role.ADMIN], world.plant[Role.PLANT_PLANNER]
    client = world.client
    tracking = client.get(f"/orders/{world.b.cancelled['id']}/tracking", headers=b_admin.headers)
    assert world.b.canary in tracking.text
    assert world.b.order["number"] in client.get("/orders", headers=b_admin.headers).text
    users = client.get("/users", headers=b_admin.headers).text
    assert all(email in users for email in world.b.emails)
    dead = client.get("/floor/dead-letters", params={"limit": 1000}, headers=planner.headers)
    assert world.b.work_order["number"] in dead.text
    staff = client.get("/users", headers=world.plant[Role.PLANT_ADMIN].headers).text
    assert all(email in staff for email in world.plant_emails)
