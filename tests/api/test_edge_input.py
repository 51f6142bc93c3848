"""Input at the edge: what no request may carry, on SQLite and PostgreSQL alike.

A NUL byte (PostgreSQL cannot store one), a number past its column, a time of 1970, a boolean
for a number, a field nobody declared: each is a 422 problem naming the field, before any
service sees it. The NUL cases are generated from the OpenAPI schema, so a new route is covered
the day it is added.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args
from urllib.parse import quote

import pytest
from fastapi.params import Form as FormParam
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import ValidationError

from openfab.api.app import create_app
from openfab.api.errors import CLIENT_ERRORS, PROBLEM_JSON
from openfab.platform import Platform
from openfab.schemas_base import RequestModel
from tests.api.conftest import auth
from tests.api.test_flow import email
from tests.conftest import make_tenant

SCHEMA = create_app().openapi()
NUL = "bad\x00value"
Case = tuple[str, str, str, str]  # method, path, where (path, query, body, form), name


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """A request body's schema: ``$ref`` followed, ``X | None`` unwrapped."""
    for option in schema.get("anyOf", []):
        if option.get("type") != "null":
            return _resolve(option)
    ref = schema.get("$ref")
    if ref:
        return _resolve(SCHEMA["components"]["schemas"][ref.rsplit("/", 1)[1]])
    return schema


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in SCHEMA["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


def _nul_cases() -> list[Case]:
    """Every path parameter, query parameter, body field and form field of every route."""
    cases: list[Case] = []
    for method, path, operation in _operations():
        for parameter in operation.get("parameters", []):
            if parameter["in"] in ("path", "query"):
                cases.append((method, path, parameter["in"], parameter["name"]))
        for media, content in operation.get("requestBody", {}).get("content", {}).items():
            body = _resolve(content["schema"])
            where = "form" if media == "application/x-www-form-urlencoded" else "body"
            for name in body.get("properties", {}) or ["-"]:
                cases.append((method, path, where, name))
    return cases


NUL_CASES = _nul_cases()
NUL_PARAMS = [pytest.param(*case, id="{} {} {}.{}".format(*case)) for case in NUL_CASES]


@pytest.fixture(scope="module")
def signed_in(client: TestClient, platform: Platform) -> dict[str, str]:
    """A tenant's admin, signed in once: nothing here gets past validation to write."""
    return auth(client, email(make_tenant(platform, samples=False), "admin"))


def _url(path: str, values: dict[str, str]) -> str:
    for name in path.split("{")[1:]:
        name = name.split("}")[0]
        path = path.replace(f"{{{name}}}", quote(values.get(name, "1"), safe=""))
    return path


def test_the_cases_cover_every_route() -> None:
    """The generator finds strings everywhere: a route without a case would go untested."""
    routes = {(method, path) for method, path, _ in _operations()}
    covered = {(method, path) for method, path, _, _ in NUL_CASES}
    takes_nothing = {
        (method, path)
        for method, path, operation in _operations()
        if not operation.get("parameters") and "requestBody" not in operation
    }
    assert routes - takes_nothing <= covered
    assert len(NUL_CASES) > 100
    assert ("POST", "/auth/token", "form", "username") in NUL_CASES


@pytest.mark.parametrize(("method", "path", "where", "name"), NUL_PARAMS)
def test_a_nul_byte_anywhere_is_a_422_naming_the_field(
    client: TestClient, signed_in: dict[str, str], method: str, path: str, where: str, name: str
) -> None:
    params = {name: NUL} if where == "query" else None
    url = _url(path, {name: NUL} if where == "path" else {})
    kwargs: dict[str, Any] = {}
    if where == "form":
        kwargs["data"] = {"username": "a@b.example", "password": "long-enough", name: NUL}
    elif where == "body" and name == "-":
        kwargs["content"] = NUL.encode()  # a body that is not an object (CSV, text)
        kwargs["headers"] = {**signed_in, "content-type": "text/csv"}
    elif where == "body":
        kwargs["json"] = {name: NUL}
    kwargs.setdefault("headers", signed_in)
    response = client.request(method, url, params=params, **kwargs)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problems = response.json()["problems"]
    locs = [p["loc"] for p in problems]
    field = "body" if name == "-" else name
    assert any(loc.split(".")[-1] == field for loc in locs), locs
    assert problems[0]["code"] == "control_character"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "a@b.example\x00", "password": "x"}, "username"),
        ({"username": "a@b.example", "password": "pass\x00word"}, "password"),
        ({"username": "x" * 255, "password": "long-enough"}, "username"),  # e-mail ≤ 254
        ({"username": "a@b.example", "password": "x" * 201}, "password"),
    ],
)
def test_the_login_form_is_bounded_and_refuses_nul(
    client: TestClient, body: dict[str, str], field: str
) -> None:
    response = client.post("/auth/token", data=body)
    assert response.status_code == 422, response.text
    assert f"body.{field}" in [p["loc"] for p in response.json()["problems"]]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        # a quantity of 10¹² overflowed Numeric(18, 6) on PostgreSQL
        (
            "POST",
            "/materials/moves",
            {"kind": "Receive", "material": "m", "lot": "l", "quantity": 1e12, "unit": "kg"},
            "quantity",
        ),
        (
            "POST",
            "/materials/moves",
            {"kind": "Receive", "material": "m", "lot": "l", "quantity": "1e12", "unit": "kg"},
            "quantity",
        ),
        (
            "POST",
            "/materials/purchase-orders/x1/receipts",
            {"quantity": "1E13", "lot": "L"},
            "quantity",
        ),
        (
            "POST",
            "/materials/allocations",
            {"material": "m", "order_id": "o", "quantity": 10**15, "unit": "kg"},
            "quantity",
        ),
        ("PUT", "/materials/m/policy", {"safety_stock": 1e12}, "safety_stock"),
        ("PUT", "/materials/m/policy", {"ordering_cost": "1e20"}, "ordering_cost"),
        ("PUT", "/materials/m/policy", {"safety_stock": "NaN"}, "safety_stock"),
        ("POST", "/materials/autopilot/run", {"max_value_per_order": 1e12}, "max_value_per_order"),
        # a boolean is not a number, a number is not a string, 1.0 is not an integer
        ("POST", "/materials/autopilot/run", {"horizon_days": False}, "horizon_days"),
        ("POST", "/materials/autopilot/run", {"horizon_days": "7"}, "horizon_days"),
        ("POST", "/orders", {"product": "fridge", "choices": {}, "quantity": True}, "quantity"),
        ("POST", "/orders", {"product": "fridge", "choices": {}, "quantity": 1.0}, "quantity"),
        ("POST", "/orders", {"product": 123, "choices": {}}, "product"),
        ("POST", "/orders", {"product": "fridge", "choices": {"c": 10**13}}, "choices"),
        # an int column holds 2³¹ - 1
        (
            "POST",
            "/execution/work-orders/x1/operations/10/finish",
            {"quantity_good": 2**31},
            "quantity_good",
        ),
        ("POST", "/execution/units/x1/rework", {"sequence": 2**40, "reason": "r"}, "sequence"),
        ("POST", "/lab/studies/x1/suggestions", {"n": 4, "seed": 2**40}, "seed"),
        ("POST", "/auth/api-keys", {"name": "k" * 101}, "name"),  # api_key.name is String(100)
        ("POST", "/execution/machines/m/states", {"state": "Down", "at": 0}, "at"),
    ],
)
def test_numbers_past_their_column_and_coercions_are_refused(
    client: TestClient,
    signed_in: dict[str, str],
    method: str,
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    response = client.request(method, path, json=body, headers=signed_in)
    assert response.status_code == 422, response.text
    locs = [p["loc"] for p in response.json()["problems"]]
    assert any(loc.startswith(f"body.{field}") for loc in locs), locs


@pytest.mark.parametrize(
    "moment",
    [
        0,  # a number is not a time (it was taken as 1970)
        1_700_000_000,
        "1700000000",
        "1970-01-01T00:00:00Z",
        "2100-01-01T00:00:00Z",
        "2026-05-01T08:00:00",  # no zone
        "2026-05-01",  # no time
        "yesterday",
    ],
)
def test_times_are_rfc3339_with_zone_between_2000_and_2100(
    client: TestClient, signed_in: dict[str, str], moment: Any
) -> None:
    body = {"machine": "foaming-1", "start_at": moment, "end_at": "2026-05-01T10:00:00Z"}
    response = client.post("/schedule/downtime", json=body, headers=signed_in)
    assert response.status_code == 422, response.text
    assert "body.start_at" in [p["loc"] for p in response.json()["problems"]]
    query = {"start": str(moment), "end": "2026-05-02T00:00:00Z"}
    response = client.get("/execution/oee", params=query, headers=signed_in)
    assert response.status_code == 422, response.text
    assert "query.start" in [p["loc"] for p in response.json()["problems"]]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/execution/work-orders/x1/operations/99999999999/start", "sequence"),
        ("/execution/work-orders/x1/operations/-1/start", "sequence"),
        (f"/execution/work-orders/{'w' * 65}/operations/10/start", "work_order"),
    ],
)
def test_path_parameters_are_bounded(
    client: TestClient, signed_in: dict[str, str], path: str, field: str
) -> None:
    response = client.post(path, json={"machine": "m"}, headers=signed_in)
    assert response.status_code == 422, response.text
    assert f"path.{field}" in [p["loc"] for p in response.json()["problems"]]


@pytest.mark.parametrize(
    "query",
    [{"offset": 2**63}, {"limit": 0}, {"order": "o" * 65}, {"status": "Nonsense"}],
)
def test_query_parameters_are_bounded(
    client: TestClient, signed_in: dict[str, str], query: dict[str, Any]
) -> None:
    response = client.get("/execution/units", params=query, headers=signed_in)
    assert response.status_code == 422, response.text


def test_an_api_key_name_fits_its_column(client: TestClient, signed_in: dict[str, str]) -> None:
    response = client.post("/auth/api-keys", json={"name": "k" * 100}, headers=signed_in)
    assert response.status_code == 201, response.text
    response = client.post("/auth/api-keys", json={"name": "k" * 101}, headers=signed_in)
    assert response.status_code == 422


def _json_bodies() -> list[tuple[str, str, dict[str, Any]]]:
    bodies = []
    for method, path, operation in _operations():
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            bodies.append((method, path, _resolve(content["application/json"]["schema"])))
    return bodies


@pytest.mark.parametrize(
    ("method", "path", "schema"),
    [pytest.param(*body, id=f"{body[0]} {body[1]}") for body in _json_bodies()],
)
def test_unknown_fields_are_refused_on_every_route(
    client: TestClient,
    signed_in: dict[str, str],
    method: str,
    path: str,
    schema: dict[str, Any],
) -> None:
    assert schema.get("additionalProperties") is False, f"{method} {path} takes unknown fields"
    response = client.request(
        method, _url(path, {}), json={"tenant_id": "other"}, headers=signed_in
    )
    assert response.status_code == 422, response.text
    assert "body.tenant_id" in [p["loc"] for p in response.json()["problems"]]


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        else:  # an included router (FastAPI keeps them as such) or a mount
            router = getattr(route, "original_router", route)
            yield from _api_routes(getattr(router, "routes", []))


def test_every_json_body_is_a_request_model() -> None:
    """The shared base on every route: strict, closed, no control characters. A route whose
    body is a plain ``BaseModel`` (or a dict) would take ``true`` for 1 and ``0`` for 1970."""
    plain, checked = [], 0
    for route in _api_routes(create_app().routes):
        body = route.body_field
        if body is None:
            continue
        if isinstance(body.field_info, FormParam) or body.field_info.annotation is str:
            continue  # the login form and raw text (CSV) are checked by the app-wide guard
        checked += 1
        models = [body.field_info.annotation, *get_args(body.field_info.annotation)]
        if not any(isinstance(m, type) and issubclass(m, RequestModel) for m in models):
            plain.append(f"{sorted(route.methods)} {route.path}: {body.field_info.annotation}")
    assert checked > 30
    assert not plain


def _request_models() -> list[type[RequestModel]]:
    found: list[type[RequestModel]] = []
    todo = list(RequestModel.__subclasses__())
    while todo:
        model = todo.pop()
        found.append(model)
        todo.extend(model.__subclasses__())
    return found


@pytest.mark.parametrize("model", _request_models(), ids=lambda m: m.__name__)
def test_every_request_model_refuses_control_characters_in_every_field(
    model: type[RequestModel],
) -> None:
    """Not only over HTTP: the CLI and the gateway build these models too."""
    for name in model.model_fields:
        with pytest.raises(ValidationError) as caught:
            model.model_validate({name: "bad\x00value"})
        assert any(
            e["loc"][:1] == (name,) and e["type"] == "control_character"
            for e in caught.value.errors()
        ), (name, caught.value.errors())


def test_every_route_documents_its_client_errors_as_problem_json() -> None:
    schemas = SCHEMA["components"]["schemas"]
    assert set(schemas["Problem"]["properties"]) == {
        "type",
        "title",
        "status",
        "detail",
        "problems",
    }
    assert set(schemas["ProblemItem"]["properties"]) == {"loc", "msg", "code"}
    assert "HTTPValidationError" not in schemas
    for method, path, operation in _operations():
        for status in CLIENT_ERRORS:
            content = operation["responses"][str(status)]["content"]
            assert content[PROBLEM_JSON]["schema"] == {"$ref": "#/components/schemas/Problem"}, (
                method,
                path,
                status,
            )
