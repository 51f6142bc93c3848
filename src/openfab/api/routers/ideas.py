from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from openfab.api.deps import CurrentActor, PlatformDep
from openfab.api.limits import Key
from openfab.catalog.ideas import Sort
from openfab.catalog.ideas_schemas import (
    CommentCreate,
    CommentPublic,
    IdeaCreate,
    IdeaDecision,
    IdeaDetail,
    IdeaPromotion,
    IdeaPublic,
    IdeasPublic,
    IdeaStatus,
)

router = APIRouter(prefix="/ideas", tags=["ideas"])


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="propose_idea")
def propose(platform: PlatformDep, actor: CurrentActor, data: IdeaCreate) -> IdeaPublic:
    """Propose a product idea on the brand's co-creation board."""
    return platform.ideas.propose(actor, data)


@router.get("", operation_id="list_ideas")
def list_ideas(
    platform: PlatformDep,
    actor: CurrentActor,
    status: IdeaStatus | None = None,
    sort: Sort = "votes",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> IdeasPublic:
    return platform.ideas.list(actor, status=status, sort=sort, limit=limit, offset=offset)


@router.get("/{idea_id}", operation_id="get_idea")
def get_idea(platform: PlatformDep, actor: CurrentActor, idea_id: Key) -> IdeaDetail:
    return platform.ideas.get(actor, idea_id)


@router.post("/{idea_id}/votes", operation_id="vote_idea")
def vote(platform: PlatformDep, actor: CurrentActor, idea_id: Key) -> IdeaPublic:
    """One vote per user; a second is answered 409."""
    return platform.ideas.vote(actor, idea_id)


@router.delete("/{idea_id}/votes", operation_id="withdraw_idea_vote")
def withdraw_vote(platform: PlatformDep, actor: CurrentActor, idea_id: Key) -> IdeaPublic:
    return platform.ideas.withdraw_vote(actor, idea_id)


@router.post(
    "/{idea_id}/comments", status_code=status.HTTP_201_CREATED, operation_id="comment_idea"
)
def comment(
    platform: PlatformDep, actor: CurrentActor, idea_id: Key, data: CommentCreate
) -> CommentPublic:
    return platform.ideas.comment(actor, idea_id, data)


@router.post("/{idea_id}/promote", operation_id="promote_idea")
def promote(
    platform: PlatformDep, actor: CurrentActor, idea_id: Key, data: IdeaPromotion
) -> IdeaPublic:
    """Planners: turn the idea into a draft product (a renamed copy of a base product)."""
    return platform.ideas.promote(actor, idea_id, data)


@router.post("/{idea_id}/decline", operation_id="decline_idea")
def decline(
    platform: PlatformDep, actor: CurrentActor, idea_id: Key, data: IdeaDecision
) -> IdeaPublic:
    return platform.ideas.decline(actor, idea_id, data)
