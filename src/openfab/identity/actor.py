"""Who is acting: derived from credentials only, never from a request body.

Two kinds of people use OpenFab. A brand (tenant) has customers and its own staff, who see and
manage only the brand's products and orders. The shared plant has staff of its own, who alone
act on machines, downtime, calendars, stock, purchasing, the schedule and releases. Plant staff
belong to the reserved tenant ``plant`` and act in the plant scope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from openfab.errors import Forbidden
from openfab.store.tenancy import Scope

PLANT = "plant"
"""The reserved tenant id of the plant's own staff (no brand may take it)."""


class Role(StrEnum):
    # a brand's people
    CUSTOMER = "customer"
    ENGINEER = "engineer"
    """The brand's products, configuration rules and recipes."""
    PLANNER = "planner"
    """The brand's order desk: its orders and ideas (never the plant's schedule)."""
    ADMIN = "admin"
    """The brand's users and API keys."""
    # the plant's staff
    PLANT_ADMIN = "plant_admin"
    PLANT_PLANNER = "plant_planner"
    OPERATOR = "operator"
    MAINTENANCE = "maintenance"
    QUALITY = "quality"
    STORES = "stores"


BRAND_ROLES = frozenset({Role.CUSTOMER, Role.ENGINEER, Role.PLANNER, Role.ADMIN})
PLANT_ROLES = frozenset(Role) - BRAND_ROLES
BRAND_STAFF = BRAND_ROLES - {Role.CUSTOMER}
STAFF = frozenset(Role) - {Role.CUSTOMER}
"""Anyone but a customer: a brand's staff or the plant's."""

# What each plant action needs (one place, so every service asks the same question).
SCHEDULERS = (Role.PLANT_PLANNER, Role.PLANT_ADMIN)
"""Plan, release, calendars, material policies, purchasing and its autopilot."""
DOWNTIME_REPORTERS = (Role.OPERATOR, Role.MAINTENANCE, Role.PLANT_PLANNER, Role.PLANT_ADMIN)
STOCK_KEEPERS = (Role.STORES, Role.OPERATOR, Role.PLANT_PLANNER, Role.PLANT_ADMIN)
RECEIVERS = (Role.STORES, Role.PLANT_PLANNER, Role.PLANT_ADMIN)
FLOOR = (Role.OPERATOR, Role.MAINTENANCE, Role.QUALITY, Role.PLANT_PLANNER, Role.PLANT_ADMIN)
PLANT_STAFF = tuple(sorted(PLANT_ROLES))


@dataclass(frozen=True)
class Actor:
    """The acting user (or system process) and the tenant it acts for (``None``: the plant)."""

    name: str
    tenant_id: str | None
    user_id: str | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    platform_admin: bool = False

    @classmethod
    def system(cls, name: str, tenant_id: str | None = None) -> Actor:
        """A process of the platform: for the plant (``tenant_id=None``) with every plant
        role, or for one brand with every brand role."""
        roles = PLANT_ROLES if tenant_id is None else BRAND_ROLES
        return cls(f"system:{name}", tenant_id, None, roles)

    @property
    def is_system(self) -> bool:
        """A process of the platform itself, not a signed-in user."""
        return self.name.startswith("system:")

    @property
    def is_plant(self) -> bool:
        """Plant staff (or a plant process): acts in the plant scope."""
        return self.tenant_id is None

    @property
    def is_staff(self) -> bool:
        """Anyone but a customer: the brand's staff or the plant's."""
        return bool(self.roles - {Role.CUSTOMER})

    @property
    def scope(self) -> Scope:
        return Scope.plant() if self.tenant_id is None else Scope.tenant(self.tenant_id)

    def require(self, *roles: Role) -> None:
        """Refuse unless the actor holds at least one of ``roles``."""
        if not self.roles.intersection(roles):
            wanted = ", ".join(sorted(roles))
            raise Forbidden(f"{self.name} lacks a required role ({wanted})")

    def require_plant(self, *roles: Role) -> None:
        """Refuse unless the actor is plant staff holding one of ``roles``: brands never act
        on machines, stock, purchasing or the schedule."""
        if not self.is_plant:
            raise Forbidden("only the plant's staff act on the shared plant")
        self.require(*roles)

    def require_tenant(self) -> str:
        if self.tenant_id is None:
            raise Forbidden(f"{self.name} does not act for a brand")
        return self.tenant_id

    def tenant_for(self, named: str | None) -> str | None:
        """The brand this actor acts for when ``named`` is asked for: its own (a brand's
        system actor may name only itself), else ``named`` (plant staff name any, or none)."""
        if self.tenant_id is not None and named not in (None, self.tenant_id):
            raise Forbidden(f"{self.name} does not act for {named}")
        return self.tenant_id or named


_BRAND_PERSON = re.compile(r"\b(?:user|signup):[^\s,;)]+")
_PLANT_PERSON = re.compile(r"\bplant:[^\s,;)]+")


def without_people(text: str, reader: Actor) -> str:
    """``text`` as ``reader`` may see it: a brand reads no name of the plant's staff
    (``plant:e-mail``), the plant no name of a brand's users (``user:e-mail``)."""
    if reader.is_plant:
        return _BRAND_PERSON.sub("a brand's user", text)
    return _PLANT_PERSON.sub("plant staff", text)
