"""The demo's tenants: three brands sharing one plant, each with an admin and customers.

Everything goes through the same services the API uses; setting up is idempotent, so the
demo can run again on the same database.
"""

from __future__ import annotations

import random
from typing import Any

from openfab.catalog.definition import ProductDefinition
from openfab.errors import Conflict
from openfab.identity.actor import PLANT, Actor, Role
from openfab.identity.schemas import TenantCreate, UserCreate
from openfab.platform import Platform

BRANDS = (
    ("nordic-cold", "Nordic Cold Appliances", ("fridge",)),
    ("washwell", "WashWell Home", ("washer",)),
    ("voltbike", "VoltBike Energy", ("ebike-battery",)),
)
DEMO_PASSWORD = "demo-password-1"
CUSTOMERS_PER_BRAND = 5


def random_choices(definition: ProductDefinition, rng: random.Random) -> dict[str, Any]:
    """A customer's partial wish: some groups picked at random, the rest left open."""
    wish: dict[str, Any] = {}
    for group in definition.option_groups:
        if rng.random() < 0.5:
            continue
        if group.kind == "numeric":
            value = rng.choice(group.values)
            wish[group.code] = int(value) if value == int(value) else float(value)
        elif group.kind == "single":
            wish[group.code] = rng.choice(group.options).code
        else:
            count = rng.randint(0, min(2, len(group.options)))
            wish[group.code] = [o.code for o in rng.sample(list(group.options), count)]
    return wish


PLANT_STAFF = (
    ("planner", [Role.PLANT_PLANNER, Role.PLANT_ADMIN]),
    ("operator", [Role.OPERATOR]),
    ("stores", [Role.STORES]),
)
"""The plant's own people: they sign in as ``planner@plant.example.com`` and so on."""


def ensure_tenant(platform: Platform, tenant_id: str, name: str) -> list[Actor]:
    """The brand, its admin (also its order desk) and a few customers (idempotent)."""
    system = Actor.system("demo")
    try:
        platform.identity.create_tenant(system, TenantCreate(id=tenant_id, name=name))
    except Conflict:
        pass
    people = [("admin", [Role.ADMIN, Role.PLANNER])] + [
        (f"customer{i}", [Role.CUSTOMER]) for i in range(1, CUSTOMERS_PER_BRAND + 1)
    ]
    return [_ensure_user(platform, tenant_id, handle, roles) for handle, roles in people]


def ensure_plant_staff(platform: Platform) -> list[Actor]:
    """The plant's planner (also its admin), an operator and a storekeeper (idempotent)."""
    return [_ensure_user(platform, PLANT, handle, roles) for handle, roles in PLANT_STAFF]


def _ensure_user(platform: Platform, tenant_id: str, handle: str, roles: list[Role]) -> Actor:
    email = f"{handle}@{tenant_id}.example.com"
    user = UserCreate(email=email, full_name=handle.title(), password=DEMO_PASSWORD, roles=roles)
    try:
        user_id = platform.identity.create_user(Actor.system("demo"), user, tenant_id=tenant_id).id
    except Conflict:  # a demo ran on this database before: the same people
        user_id = _user_id(platform, tenant_id, email)
    if tenant_id == PLANT:
        return Actor(f"plant:{email}", None, user_id, frozenset(roles))
    return Actor(f"user:{email}", tenant_id, user_id, frozenset(roles))


def _user_id(platform: Platform, tenant_id: str, email: str) -> str:
    """The existing user's id, read as its brand's (or the plant's) admin would: not by
    signing in, whose token the simulated clock would date in the past."""
    admin = Actor.system("demo", None if tenant_id == PLANT else tenant_id)
    users = platform.identity.list_users(admin).data
    return next(u.id for u in users if u.email == email)
