"""The shop floor over REST: messages in (the same contract as MQTT and NATS), dead letters,
and each machine's dispatch list. Plant staff and machines' API keys only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from openfab.api.deps import CurrentActor, FloorQuota, PlatformDep
from openfab.api.limits import Key
from openfab.errors import NotFound
from openfab.execution.schemas import DispatchItem
from openfab.gateway.schemas import DeadLettersPublic, GatewayResult
from openfab.identity.actor import FLOOR

router = APIRouter(prefix="/floor", tags=["shop floor"])
Sender = Annotated[
    str,
    Query(
        min_length=3,
        max_length=260,
        description="The sending machine's equipment path: site/area/line/machine.",
    ),
]


@router.post(
    "/messages",
    operation_id="post_floor_messages",
    dependencies=[FloorQuota],
    responses={422: {"model": GatewayResult, "description": "Some messages dead-lettered"}},
)
async def post_messages(
    request: Request, response: Response, platform: PlatformDep, actor: CurrentActor, sender: Sender
) -> GatewayResult:
    """One contract message or an array of them (``docs/contracts/floor-v1.schema.json``).
    Answered once every effect or dead letter is committed: 200 when all applied (or were
    duplicates), 422 with the reasons when any was dead-lettered."""
    actor.require_plant(*FLOOR)
    body = await request.body()
    result = platform.gateway.receive(sender, body, transport="rest")
    if result.dead_lettered:
        response.status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    return result


@router.get("/dead-letters", operation_id="list_floor_dead_letters")
def dead_letters(
    platform: PlatformDep,
    actor: CurrentActor,
    state: Annotated[str, Query(pattern="^(Open|Replayed|all)$")] = "Open",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> DeadLettersPublic:
    """Messages the gateway could not apply, newest first, with the reason."""
    return platform.gateway.dead_letters(
        actor, status=None if state == "all" else state, limit=limit
    )


@router.post("/dead-letters/{letter_id}/replay", operation_id="replay_floor_dead_letter")
def replay(platform: PlatformDep, actor: CurrentActor, letter_id: Key) -> GatewayResult:
    """Apply a dead letter again after the cause was fixed."""
    return platform.gateway.replay(actor, letter_id)


@router.get("/dispatch/{machine}", operation_id="machine_dispatch_list")
def dispatch(platform: PlatformDep, actor: CurrentActor, machine: Key) -> list[DispatchItem]:
    """The machine's released operations in the order to run them."""
    actor.require_plant(*FLOOR)
    if machine not in platform.execution.machines():
        raise NotFound(f"machine {machine!r} not found")
    return platform.execution.dispatch_lists().get(machine, [])
