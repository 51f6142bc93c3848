from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from openfab.api.deps import CurrentActor, PlatformDep
from openfab.audit.service import AuditResult, EventsPublic

router = APIRouter(tags=["events"])


@router.get("/events", operation_id="list_events")
def list_events(
    platform: PlatformDep,
    actor: CurrentActor,
    type: Annotated[
        str | None, Query(max_length=64, description="Type prefix, e.g. order.")
    ] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    after: Annotated[
        int, Query(ge=0, le=2**63 - 1, description="Only events after this sequence")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EventsPublic:
    return platform.audit.list_events(
        actor, type_prefix=type, entity_id=entity_id, after=after, limit=limit
    )


@router.get("/audit/verify", operation_id="verify_audit_chain")
def verify(platform: PlatformDep, actor: CurrentActor) -> AuditResult:
    return platform.audit.verify(actor)
