"""Injection in every string field of every request body: SQL, markup, a 10,000-character
string (and a NUL byte where ``tests/api/test_edge_input.py`` does not send one: inside
nested objects and arrays). Never a 5xx; the database keeps every table and row afterwards.

The fields are found by walking the OpenAPI request schemas (``$ref``, ``anyOf``, nested
objects, arrays, free-form objects), so a new field is covered the day it is added (the walk
of test_edge_input.py stops at a body's top-level fields, hence a walker of its own). Each
request is made by a caller the route allows, on real objects, so the strings reach the
services and the database rather than a role check.
"""

from __future__ import annotations

import copy
import itertools
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select

from openfab.identity.actor import Role
from openfab.orders.orm import SalesOrderRow
from openfab.store.base import Base
from openfab.store.tenancy import Scope
from tests.security.conftest import ANONYMOUS, Brand, Caller, World
from tests.security.probes import OPERATIONS, SCHEMA, floor_message, probe
from tests.security.test_route_matrix import ORDER_CHANGES, POLICY, PUBLIC

pytestmark = pytest.mark.xdist_group("security")

PAYLOADS = [
    "' OR 1=1 --",
    '"; DROP TABLE sales_order; --',
    "<script>alert(1)</script>",
    "x" * 10_000,
]
NUL = "\u0000"
"""Sent only inside nested objects and arrays: the top-level fields of every body are
covered by tests/api/test_edge_input.py."""
Path = tuple[str | int, ...]

PREFERENCE = [
    Role.PLANT_PLANNER,
    Role.PLANT_ADMIN,
    Role.OPERATOR,
    Role.STORES,
    Role.MAINTENANCE,
    Role.QUALITY,
    Role.ADMIN,
    Role.ENGINEER,
    Role.CUSTOMER,
    Role.PLANNER,
]
"""Whom a route's strings are sent by: the first role the policy allows."""

EXTRA: dict[str, list[Path]] = {
    "create_product": [("definition", "code"), ("definition", "name")],
    "revise_product": [("definition", "name")],
    "create_study": [("definition", "name"), ("definition", "parameters", 0, "name")],
    "place_order": [("choices", "size")],
    "configure_product": [("choices", "size")],
}
"""Strings inside free-form objects the schema does not describe."""

ALL_BACKENDS = frozenset({"sqlite", "postgresql"})
HOLES: dict[tuple[str, str], tuple[frozenset[str], str]] = {}
"""Known 5xx, (operation, field) → (the backends where it fails, what fails): xfail there."""


def _deref(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def string_fields(schema: dict[str, Any], path: Path = ()) -> list[Path]:
    """Every place a string goes in a body of ``schema``."""
    schema = _deref(schema)
    options = [_deref(o) for o in schema.get("anyOf", []) if o.get("type") != "null"]
    if options:
        if any(o.get("type") == "string" for o in options):
            return [path]
        found: list[Path] = []
        for option in options:
            found += [p for p in string_fields(option, path) if p not in found]
        return found
    kind = schema.get("type")
    if kind == "string" or "enum" in schema:
        return [path]
    if kind == "array":
        return string_fields(schema.get("items", {}), (*path, 0))
    if kind == "object" or "properties" in schema:
        found = []
        for name, sub in schema.get("properties", {}).items():
            found += string_fields(sub, (*path, name))
        if not schema.get("properties") and schema.get("additionalProperties") is not False:
            found.append((*path, "probe"))  # a free-form object: a key of our own
        return found
    return []


def _name(field: Path) -> str:
    return ".".join(str(p) for p in field) or "body"


def _cases() -> list[object]:
    cases: list[object] = []
    for operation_id, op in sorted(OPERATIONS.items()):
        content = op.spec.get("requestBody", {}).get("content", {})
        fields: list[Path] = []
        if "application/json" in content:
            fields = string_fields(content["application/json"]["schema"])
            fields += EXTRA.get(operation_id, [])
        elif "text/csv" in content:
            fields = [()]
        elif "application/x-www-form-urlencoded" in content:
            form = _deref(content["application/x-www-form-urlencoded"]["schema"])
            fields = [(name,) for name in form["properties"]]
        elif operation_id == "post_floor_messages":  # a raw body: the contract's message
            fields = [("message_id",), ("type",), ("work_order",), ("at",)]
        for field in fields:
            name = _name(field)
            cases.append(pytest.param(operation_id, field, id=f"{operation_id}-{name}"))
    return cases


CASES = _cases()


def test_every_string_field_is_found() -> None:
    found = {(c.values[0], c.values[1]) for c in CASES}  # type: ignore[attr-defined]
    assert {
        ("create_inventory_move", ("reason",)),
        ("start_operation", ("materials", 0, "lot")),
        ("finish_operation", ("units", 0, "inspections", 0, "characteristic")),
        ("run_purchasing_autopilot", ("allowed_suppliers", 0)),
        ("add_experiments", ("experiments", 0, "design", "probe")),
        ("login", ("username",)),
        ("import_experiments_csv", ()),
    } <= found
    with_bodies = {op_id for op_id, op in OPERATIONS.items() if op.spec.get("requestBody")}
    without_strings = {"suggest"}  # {n, seed}: numbers only
    probed = {c.values[0] for c in CASES}  # type: ignore[attr-defined]
    assert probed == (with_bodies - without_strings) | {"post_floor_messages"}
    assert len(CASES) > 100


def put(body: Any, path: Path, value: Any) -> Any:
    """``body`` with ``value`` at ``path`` (missing objects and arrays made on the way)."""
    if not path:
        return value
    body = copy.deepcopy(body) if body is not None else ({} if isinstance(path[0], str) else [])
    node = body
    for key, after in itertools.pairwise(path):
        empty: Any = [] if isinstance(after, int) else {}
        if isinstance(key, int):
            if not node:
                node.append(empty)
            if not isinstance(node[0], (dict, list)):
                node[0] = empty
            node = node[0]
        else:
            if not isinstance(node.get(key), (dict, list)):
                node[key] = empty
            node = node[key]
    last = path[-1]
    if isinstance(last, int):
        node[:] = [value]
    else:
        node[last] = value
    return body


def _caller(world: World, operation_id: str) -> tuple[Caller, Brand]:
    """A caller the route allows, and the brand whose objects it names."""
    allowed = POLICY[operation_id]
    if allowed == PUBLIC:
        return ANONYMOUS, world.b
    role = next(r for r in PREFERENCE if r in allowed)
    if role in world.plant:
        return world.plant[role], world.b
    return world.a[role], world.a


@pytest.fixture
def login_client(world: World) -> Iterator[TestClient]:
    """Sign-in attempts from an address of their own (per test): a wrong guess counts against
    the address, and no other test's sign-in may be throttled by these."""
    address = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    client = TestClient(world.client.app, raise_server_exceptions=False, client=(address, 1))
    yield client
    client.close()


@pytest.mark.parametrize(("operation_id", "field"), CASES)
def test_no_string_anywhere_makes_a_5xx(
    request: pytest.FixtureRequest,
    world: World,
    login_client: TestClient,
    operation_id: str,
    field: Path,
) -> None:
    backends, hole = HOLES.get((operation_id, _name(field)), (frozenset(), ""))
    if world.platform.db.engine.dialect.name in backends:
        request.applymarker(pytest.mark.xfail(strict=True, reason=hole))
    caller, brand = _caller(world, operation_id)
    payloads = [*PAYLOADS, NUL] if len(field) > 1 else list(PAYLOADS)
    for payload in payloads:
        order = world.place_order(brand) if operation_id in ORDER_CHANGES else None
        sent = probe(world, brand, operation_id, order)
        client = world.client
        if operation_id == "login":
            client = login_client
            nobody = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
            sent.data = {"username": nobody, "password": "long-enough"} | {str(field[0]): payload}
        elif operation_id == "import_experiments_csv":
            sent.content = payload
        elif operation_id == "post_floor_messages":
            sequence = brand.work_order["operations"][-1]["sequence"]
            message = floor_message(brand.work_order["number"], sequence)
            sent.content = json.dumps(put(message, field, payload))
        else:
            sent.json = put(sent.json, field, payload)
        response = sent.send(client, caller)
        if order is not None:
            world.withdraw(brand, order)
        assert response.status_code < 500, (
            f"{caller.label} {sent.method} {sent.url} {field}={payload[:40]!r} → "
            f"{response.status_code} {response.text[:300]}"
        )
        if operation_id == "login":
            assert response.status_code != 200, "a string signed somebody in"


def test_the_database_keeps_its_tables_and_rows(world: World) -> None:
    """After every injection above: every table is there and the brands' orders too."""
    tables = set(inspect(world.platform.db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    with world.platform.db.unit(Scope.plant(), actor="system:test", readonly=True) as uow:
        orders = uow.session.scalar(
            select(func.count())
            .select_from(SalesOrderRow)
            .where(SalesOrderRow.tenant_id.in_([world.a.tenant_id, world.b.tenant_id]))
        )
    assert orders is not None and orders >= 6
    b_admin = world.b[Role.ADMIN]
    listed = world.client.get("/orders", headers=b_admin.headers).json()
    assert world.b.order["id"] in {o["id"] for o in listed["data"]}
