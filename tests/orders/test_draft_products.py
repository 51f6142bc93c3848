"""A draft product (an idea a planner promoted) is being designed, not sold: order placement
refuses it with a reason, through the service and the REST API, until it is released."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from openfab.api.app import create_app
from openfab.catalog.ideas_schemas import IdeaCreate, IdeaPromotion
from openfab.errors import Conflict
from openfab.orders.schemas import OrderCreate
from openfab.platform import Platform
from tests.api.conftest import auth
from tests.conftest import TenantPeople


def draft(platform: Platform, tenant: TenantPeople, code: str) -> str:
    idea = platform.ideas.propose(
        tenant.alice,
        IdeaCreate(title="Fridge for the garage", description="Cold-proof.", base_product="fridge"),
    )
    platform.ideas.promote(tenant.planner, idea.id, IdeaPromotion(code=code, name="Garage"))
    return code


def choices(platform: Platform, tenant: TenantPeople) -> dict[str, Any]:
    found: dict[str, Any] = platform.catalog.complete(tenant.alice, "fridge", {}).to_dict()[
        "choices"
    ]
    return found


def test_the_service_refuses_a_draft_and_names_why(
    platform: Platform, tenant: TenantPeople
) -> None:
    code = draft(platform, tenant, "garage-fridge")
    order = OrderCreate(product=code, choices=choices(platform, tenant))
    for actor in (tenant.alice, tenant.planner):  # staff may preview it, nobody orders it
        with pytest.raises(Conflict, match="cannot be ordered: it is Draft") as refused:
            platform.orders.place(actor, order)
        assert [(p.loc, p.code) for p in refused.value.problems] == [("product", "not_orderable")]
    assert platform.orders.list(tenant.alice).count == 0  # nothing was written


def test_the_rest_api_answers_409_with_the_reason(platform: Platform, tenant: TenantPeople) -> None:
    code = draft(platform, tenant, "api-garage-fridge")
    with TestClient(create_app(platform), raise_server_exceptions=False) as client:
        alice = auth(client, f"alice@{tenant.tenant_id}.example.com")
        body = {"product": code, "choices": choices(platform, tenant)}
        refused = client.post("/orders", json=body, headers=alice)
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert "Draft" in problem["detail"]
        assert problem["problems"] == [
            {"loc": "product", "msg": f"product {code!r} is Draft", "code": "not_orderable"}
        ]
        fine = client.post("/orders", json={**body, "product": "fridge"}, headers=alice)
        assert fine.status_code == 201, fine.text  # the released product still sells
