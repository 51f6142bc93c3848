"""Who is acting: derived from credentials only, never from a request body."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from openfab.errors import Forbidden


class Role(StrEnum):
    CUSTOMER = "customer"
    PLANNER = "planner"
    OPERATOR = "operator"
    ENGINEER = "engineer"
    ADMIN = "admin"


STAFF = frozenset({Role.PLANNER, Role.OPERATOR, Role.ENGINEER, Role.ADMIN})


@dataclass(frozen=True)
class Actor:
    """The acting user (or system process) and the tenant it acts for."""

    name: str
    tenant_id: str | None
    user_id: str | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    platform_admin: bool = False

    @classmethod
    def system(cls, name: str, tenant_id: str | None = None) -> Actor:
        """A process of the platform (demo, autopilot) acting with every role."""
        return cls(f"system:{name}", tenant_id, None, frozenset(Role))

    @property
    def is_system(self) -> bool:
        """A process of the platform itself, not a signed-in user."""
        return self.name.startswith("system:")

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF)

    def require(self, *roles: Role) -> None:
        """Refuse unless the actor holds at least one of ``roles``."""
        if not self.roles.intersection(roles):
            wanted = ", ".join(sorted(roles))
            raise Forbidden(f"{self.name} lacks a required role ({wanted})")

    def require_tenant(self) -> str:
        if self.tenant_id is None:
            raise Forbidden(f"{self.name} does not act for a tenant")
        return self.tenant_id
