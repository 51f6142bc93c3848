"""The event log as users see it: their tenant's events, and the chain check."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import or_, select

from openfab.errors import Forbidden
from openfab.identity.actor import Actor, Role, without_people
from openfab.store import Database, EventRecord, verify_chain
from openfab.store.tenancy import Scope

PRODUCTION_RECORDS = ("work_order", "work_order_operation", "serial_unit")
"""What the plant's staff read of a brand's events: the production records of its work."""


class EventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    event_id: str
    type: str
    entity_type: str
    entity_id: str
    payload: dict[str, Any]
    actor: str
    occurred_at: datetime
    hash: str


class EventsPublic(BaseModel):
    data: list[EventPublic]
    count: int
    next_after: int | None


class AuditResult(BaseModel):
    ok: bool
    checked: int
    head_hash: str
    first_broken_seq: int | None
    reason: str | None


class AuditService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def list_events(
        self,
        actor: Actor,
        *,
        type_prefix: str | None = None,
        entity_id: str | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> EventsPublic:
        """Staff read events, oldest first, paged by sequence number: a brand's staff their
        brand's, the plant's staff the plant's own and the production records of every
        brand's work (never orders, users, products or recipes of a brand)."""
        if not actor.is_staff:
            raise Forbidden("the event log is for staff")
        query = select(EventRecord).where(EventRecord.seq > after)
        if actor.is_plant:
            query = query.where(
                or_(
                    EventRecord.tenant_id.is_(None),
                    EventRecord.entity_type.in_(PRODUCTION_RECORDS),
                )
            )
        if type_prefix:
            query = query.where(EventRecord.type.startswith(type_prefix, autoescape=True))
        if entity_id:
            query = query.where(EventRecord.entity_id == entity_id)
        with self.db.unit(actor.scope, actor=actor.name, readonly=True) as u:
            rows = u.session.scalars(query.order_by(EventRecord.seq).limit(limit)).all()
            data = [_for_reader(EventPublic.model_validate(r), actor) for r in rows]
        next_after = data[-1].seq if len(data) == limit else None
        return EventsPublic(data=data, count=len(data), next_after=next_after)

    def verify(self, actor: Actor) -> AuditResult:
        """Check the whole chain (all tenants: it is one chain); reports only where it broke
        (an administrator of the plant or of a brand: the result names no one's data)."""
        actor.require(Role.ADMIN, Role.PLANT_ADMIN)
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            report = verify_chain(uow.session)
        broken = report.first_break
        return AuditResult(
            ok=report.ok,
            checked=report.checked,
            head_hash=report.head_hash,
            first_broken_seq=broken.seq if broken else None,
            reason=broken.reason if broken else None,
        )


def _for_reader(event: EventPublic, reader: Actor) -> EventPublic:
    """Who acted, as ``reader`` may see it (a brand reads "plant staff", the plant no
    brand user's name)."""
    return event.model_copy(update={"actor": without_people(event.actor, reader)})
