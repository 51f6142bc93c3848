"""schemathesis against the app's own OpenAPI schema, on PostgreSQL, signed in.

For every operation it sends requests the schema allows (positive) and requests it forbids
(negative: wrong types, values out of range, missing fields…): the schema's examples, the
boundaries of every constraint (its coverage phase) and a few random ones (fuzzing). It checks

- nothing is answered 5xx (``not_a_server_error``),
- nothing the schema forbids is accepted (``negative_data_rejection``: a 4xx, never a 2xx),
- every answer's status and content type are documented (``status_code_conformance``,
  ``content_type_conformance``: the 4xx as ``application/problem+json``).

Bounded (a few random examples per operation, derandomized) so that the whole module stays
under a minute and a half on two cores; ``OPENFAB_FUZZ_EXAMPLES=200`` digs deeper with fresh
random examples each run. The database is its own: fuzzed requests do change the plant.
Operations that run a solver or an optimizer are left to their own tests (a fuzzed
``time_limit`` would spend the budget waiting).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from openfab.api.app import create_app
from openfab.identity.actor import PLANT_ROLES, Actor
from openfab.identity.schemas import UserCreate
from openfab.platform import Platform
from openfab.settings import Settings
from tests.api.conftest import auth
from tests.api.test_flow import email
from tests.conftest import PASSWORD, make_tenant, scratch_database

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("schemathesis")]

DEEP = int(os.environ.get("OPENFAB_FUZZ_EXAMPLES", "0"))
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"mode": "all", "max-examples": DEEP or 4, "deterministic": not DEEP},
        "phases": {"stateful": {"enabled": False}},
        "checks": {
            "enabled": False,
            "not_a_server_error": {"enabled": True},
            "negative_data_rejection": {"enabled": True},
            "status_code_conformance": {"enabled": True},
            "content_type_conformance": {"enabled": True},
        },
    }
)
SLOW = [
    "plan_schedule",  # CP-SAT, up to time_limit seconds
    "run_material_plan",  # MRP over the plant
    "run_purchasing_autopilot",  # MRP and releases
    "release_work_orders",  # plans first when no plan exists
    "suggest",  # Bayesian optimization
]


PLANT_TAGS = {"planning", "materials", "execution", "shop floor"}
"""Operations on the shared plant: fuzzed as plant staff, the others as a brand's admin, so
that requests get past the role checks into the services."""


@dataclass(frozen=True)
class SignedIn:
    app: FastAPI
    brand: dict[str, str]
    plant: dict[str, str]

    def headers(self, case: schemathesis.Case) -> dict[str, str]:
        tags = set(case.operation.definition.raw.get("tags", []))
        return self.plant if tags & PLANT_TAGS else self.brand


@pytest.fixture(scope="module")
def signed_in(request: pytest.FixtureRequest) -> Iterator[SignedIn]:
    """The app on a PostgreSQL database of its own; a brand's admin and a plant's staff member
    with every plant role, signed in."""
    request.getfixturevalue("postgres_url")  # skips (or fails in CI) without a server
    with scratch_database("openfab_schemathesis") as url:
        config = Settings(database_url=url, jwt_secret="test-secret-not-for-production-0123456789")
        platform = Platform.open(url, settings=config)
        try:
            people = make_tenant(platform)
            staff = "staff@plant.example.com"
            platform.identity.create_user(
                Actor.system("test"),
                UserCreate(
                    email=staff, full_name="staff", password=PASSWORD, roles=list(PLANT_ROLES)
                ),
            )
            app = create_app(platform)
            with TestClient(app) as client:
                yield SignedIn(app, auth(client, email(people, "admin")), auth(client, staff))
        finally:
            platform.close()


schema = schemathesis.openapi.from_dict(create_app().openapi(), config=CONFIG).exclude(
    operation_id=SLOW
)
"""The document only: the requests go to the app of ``signed_in``, on its own database."""


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_no_forbidden_request_accepted(
    case: schemathesis.Case, signed_in: SignedIn
) -> None:
    case.call_and_validate(app=signed_in.app, headers=signed_in.headers(case))
