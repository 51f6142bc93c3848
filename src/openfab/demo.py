"""The demo: a shared plant, three brands, their customers, a few hundred configured orders.

Everything goes through the same services the API uses. Until the factory twin exists, orders
are moved along their steps by the demo itself.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openfab.autopilot.replanning import ReplanningAutopilot
from openfab.catalog.definition import ProductDefinition
from openfab.errors import Conflict, Infeasible, InvalidInput
from openfab.identity.actor import Actor, Role
from openfab.identity.schemas import TenantCreate, UserCreate
from openfab.orders.schemas import OrderCreate, OrderTransition
from openfab.orders.states import FLOW
from openfab.planning.schemas import PlanSummary
from openfab.platform import Platform

BRANDS = (
    ("nordic-cold", "Nordic Cold Appliances", ("fridge",)),
    ("washwell", "WashWell Home", ("washer",)),
    ("voltbike", "VoltBike Energy", ("ebike-battery",)),
)
REPLAN_EVERY = 100  # orders between two autopilot re-plans
DEMO_PASSWORD = "demo-password-1"


@dataclass
class DemoSummary:
    orders: int = 0
    refused: int = 0
    revenue: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    by_product: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    variants: set[tuple[str, str]] = field(default_factory=set)
    promise_days: list[float] = field(default_factory=list)
    events: int = 0
    audit_ok: bool = False
    tenants: list[str] = field(default_factory=list)
    plans: list[PlanSummary] = field(default_factory=list)


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


def ensure_tenant(platform: Platform, tenant_id: str, name: str) -> list[Actor]:
    """The brand, its admin and planner, and a few customers (idempotent)."""
    system = Actor.system("demo")
    try:
        platform.identity.create_tenant(system, TenantCreate(id=tenant_id, name=name))
    except Conflict:
        pass
    people = [("admin", [Role.ADMIN, Role.PLANNER])] + [
        (f"customer{i}", [Role.CUSTOMER]) for i in range(1, 6)
    ]
    actors = []
    for handle, roles in people:
        email = f"{handle}@{tenant_id}.example.com"
        try:
            user_id = platform.identity.create_user(
                system,
                UserCreate(
                    email=email, full_name=handle.title(), password=DEMO_PASSWORD, roles=roles
                ),
                tenant_id=tenant_id,
            ).id
        except Conflict:
            user_id = _user_id(platform, email)
        actors.append(Actor(f"user:{email}", tenant_id, user_id, frozenset(roles)))
    return actors


def _user_id(platform: Platform, email: str) -> str:
    token = platform.identity.login(email, DEMO_PASSWORD).access_token
    user_id = platform.identity.actor_from_token(token).user_id
    assert user_id is not None
    return user_id


def run_demo(
    platform: Platform,
    *,
    orders: int = 300,
    seed: int = 7,
    plan_seconds: float = 5.0,
    progress: Callable[[int], None] = lambda _: None,
) -> DemoSummary:
    rng = random.Random(seed)
    summary = DemoSummary()
    staff: dict[str, Actor] = {}
    customers: list[tuple[Actor, str]] = []
    definitions: dict[tuple[str, str], ProductDefinition] = {}
    for tenant_id, name, products in BRANDS:
        admin, *people = ensure_tenant(platform, tenant_id, name)
        staff[tenant_id] = admin
        platform.catalog.install_sample_products(admin)
        for code in products:
            handle = platform.catalog.handle(admin, code)
            definitions[(tenant_id, code)] = handle.configurator.definition
            customers += [(p, code) for p in people]
        summary.tenants.append(tenant_id)

    autopilot = ReplanningAutopilot(platform.planning, platform.db.bus, time_limit=plan_seconds)
    placed = []
    for i in range(orders):
        customer, code = rng.choice(customers)
        definition = definitions[(customer.require_tenant(), code)]
        order = _place_one(platform, customer, code, definition, rng, summary)
        if order is not None:
            placed.append((customer, order))
        progress(i + 1)
        if (i + 1) % REPLAN_EVERY == 0:
            _note_plan(summary, autopilot.run_pending())

    _note_plan(summary, autopilot.run_pending())
    _advance(platform, staff, placed, rng)
    _note_plan(summary, autopilot.run_pending())  # cancellations free capacity
    autopilot.close()
    _fill_summary(platform, staff, summary)
    return summary


def _note_plan(summary: DemoSummary, plan: PlanSummary | None) -> None:
    if plan is not None:
        summary.plans.append(plan)


def _place_one(
    platform: Platform,
    customer: Actor,
    code: str,
    definition: ProductDefinition,
    rng: random.Random,
    summary: DemoSummary,
) -> Any:
    wish = random_choices(definition, rng)
    try:
        configured = platform.catalog.complete(customer, code, wish)
    except (Infeasible, InvalidInput):
        summary.refused += 1  # the wish broke a rule: a real shop would show why
        configured = platform.catalog.complete(customer, code, {})
    order = platform.orders.place(
        customer,
        OrderCreate(
            product=code, choices=configured.to_dict()["choices"], quantity=rng.choice((1, 1, 1, 2))
        ),
    )
    summary.orders += 1
    summary.revenue[order.currency] += order.total_price
    summary.by_product[code] += 1
    summary.variants.add((code, repr(sorted(order.choices.items()))))
    summary.promise_days.append((order.promise_date - order.created_at).total_seconds() / 86400)
    return order


def _advance(
    platform: Platform,
    staff: Mapping[str, Actor],
    placed: list[tuple[Actor, Any]],
    rng: random.Random,
) -> None:
    """Move orders along (older orders further), cancel a few, as the twin will later."""
    total = len(placed)
    for index, (customer, order) in enumerate(placed):
        if rng.random() < 0.03:
            platform.orders.cancel(customer, order.id)
            continue
        age = 1 - index / max(total, 1)
        steps = min(int(age * len(FLOW) + rng.random()), len(FLOW) - 1)
        planner = staff[customer.require_tenant()]
        current = FLOW.index(platform.orders.get(planner, order.id).status)
        for status in FLOW[current + 1 : steps + 1]:
            platform.orders.transition(planner, order.id, OrderTransition(status=status))


def _fill_summary(platform: Platform, staff: Mapping[str, Actor], summary: DemoSummary) -> None:
    for admin in staff.values():
        for status, count in platform.orders.status_counts(admin).items():
            summary.by_status[status] += count
    audit = platform.audit.verify(next(iter(staff.values())))
    summary.events, summary.audit_ok = audit.checked, audit.ok
