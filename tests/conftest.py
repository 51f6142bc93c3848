"""Shared fixtures: a platform on SQLite and on the real PostgreSQL server.

Every test run creates its own PostgreSQL database and drops it afterwards. With CI=true an
unreachable server fails the PostgreSQL tests instead of skipping them.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from openfab.connect.bus import EventMessage
from openfab.identity.actor import Actor, Role
from openfab.identity.schemas import TenantCreate, UserCreate
from openfab.platform import Platform
from openfab.settings import Settings
from openfab.store.relay import Relay


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make ``--dist loadgroup`` keep each ``xdist_group`` on one worker again.

    pytest-xdist 3.8 tags an item for its group by assigning ``item._nodeid``, which pytest 9
    no longer reads (the id is ``item._id``): every group was spread over the workers, and
    tests that share the one local broker or a plant ran at the same time (a gateway killed
    mid-stream then had another test's messages fill its session queue). Tag the id itself.
    """
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        marks = item.iter_markers("xdist_group")
        names = sorted(
            {str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in marks}
        )
        node_id = getattr(item, "_id", None)
        if not names or node_id is None or "@" in item.nodeid:
            continue
        tagged = dataclasses.replace(node_id)
        object.__setattr__(tagged, "_str_cache", f"{item.nodeid}@{'_'.join(names)}")
        item._id = tagged


PG_ADMIN = os.environ.get("OPENFAB_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "correct-horse-battery"
PLANT = Actor(
    "plant:planner@plant.example.com",
    None,
    None,
    frozenset({Role.PLANT_PLANNER, Role.PLANT_ADMIN, Role.OPERATOR, Role.STORES}),
)
"""The plant's staff as the services see them (for tests that act on the plant without
signing in; ``plant`` gives signed-in staff)."""
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _pg_available() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    problem = _pg_available()
    if problem is not None:
        message = f"PostgreSQL at 127.0.0.1:5432 unreachable: {problem}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with scratch_database("openfab_test") as url:
        yield url


@contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """A new PostgreSQL database, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_url(request: pytest.FixtureRequest, backend: str, tmp: Path) -> str:
    if backend == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return f"sqlite:///{tmp / 'openfab.db'}"


@pytest.fixture(scope="session", params=BACKENDS)
def platform(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    """One migrated platform per backend for the whole run; tests isolate by tenant."""
    url = database_url(request, request.param, tmp_path_factory.mktemp("db"))
    settings = Settings(database_url=url, jwt_secret="test-secret-not-for-production-0123456789")
    opened = Platform.open(url, settings=settings)
    yield opened
    opened.close()


@dataclass(frozen=True)
class TenantPeople:
    """A tenant with an admin (also planner), a planner and two customers."""

    tenant_id: str
    admin: Actor
    planner: Actor
    alice: Actor
    bob: Actor


def make_tenant(
    platform: Platform, *, samples: bool = True, tenant_id: str | None = None
) -> TenantPeople:
    tenant_id = tenant_id or f"t-{uuid.uuid4().hex[:10]}"
    system = Actor.system("test")
    platform.identity.create_tenant(system, TenantCreate(id=tenant_id, name=tenant_id.upper()))
    actors = {}
    for handle, roles in (
        ("admin", [Role.ADMIN, Role.PLANNER]),
        ("planner", [Role.PLANNER]),
        ("alice", [Role.CUSTOMER]),
        ("bob", [Role.CUSTOMER]),
    ):
        email = f"{handle}@{tenant_id}.example.com"
        user = platform.identity.create_user(
            system,
            UserCreate(email=email, full_name=handle, password=PASSWORD, roles=roles),
            tenant_id=tenant_id,
        )
        actors[handle] = Actor(f"user:{email}", tenant_id, user.id, frozenset(roles))
    people = TenantPeople(tenant_id=tenant_id, **actors)
    if samples:
        platform.catalog.install_sample_products(people.admin)
    return people


@dataclass(frozen=True)
class PlantPeople:
    """The plant's own staff: a planner (also plant admin), an operator, a storekeeper,
    maintenance and quality."""

    planner: Actor
    operator: Actor
    stores: Actor
    maintenance: Actor
    quality: Actor

    def email(self, who: str) -> str:
        actor: Actor = getattr(self, who)
        return actor.name.split(":", 1)[1]


def make_plant_staff(platform: Platform) -> PlantPeople:
    suffix = uuid.uuid4().hex[:8]
    actors = {}
    for handle, roles in (
        ("planner", [Role.PLANT_PLANNER, Role.PLANT_ADMIN]),
        ("operator", [Role.OPERATOR]),
        ("stores", [Role.STORES]),
        ("maintenance", [Role.MAINTENANCE]),
        ("quality", [Role.QUALITY]),
    ):
        email = f"{handle}-{suffix}@plant.example.com"
        user = platform.identity.create_user(
            Actor.system("test"),
            UserCreate(email=email, full_name=handle, password=PASSWORD, roles=roles),
        )
        actors[handle] = Actor(f"plant:{email}", None, user.id, frozenset(roles))
    return PlantPeople(**actors)


@pytest.fixture(scope="session")
def plant(platform: Platform) -> PlantPeople:
    return make_plant_staff(platform)


@pytest.fixture
def tenant(platform: Platform) -> TenantPeople:
    return make_tenant(platform)


@pytest.fixture
def other_tenant(platform: Platform) -> TenantPeople:
    return make_tenant(platform)


@pytest.fixture(params=BACKENDS)
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own, for tests that tamper with shared state such as the chain."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    request.getfixturevalue("postgres_url")  # fails or skips when the server is missing
    with scratch_database("openfab_fresh") as url:
        yield url


class Following:
    """A consumer of the event backbone driven by hand: ``poll()`` hands it what was committed
    since it started following and returns what each ``handle`` call returned."""

    def __init__(self, platform: Platform, consumer: Any) -> None:
        self.consumer = consumer
        self.name = f"{consumer.name}.{uuid.uuid4().hex[:8]}"  # a shared test database
        self.patterns = consumer.patterns
        self.results: list[Any] = []
        self.relay = Relay(platform.db, self, start="end")
        self.relay.position()  # the cursor starts at the log's end now

    def handle(self, events: Sequence[EventMessage]) -> None:
        self.results.append(self.consumer.handle(events))

    def poll(self) -> list[Any]:
        self.results = []
        self.relay.drain()
        return [r for r in self.results if r is not None]
