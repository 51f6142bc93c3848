"""The co-creation board: propose, vote, comment, follow an idea; planners promote it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from pydantic import ValidationError

from openfab.catalog.ideas import Sort
from openfab.catalog.ideas_schemas import (
    CommentCreate,
    IdeaCreate,
    IdeaDecision,
    IdeaPromotion,
    IdeaStatus,
)
from openfab.errors import InvalidInput, Problem
from openfab.identity.actor import Actor, Role
from openfab.platform import Platform
from openfab.web.registry import WebPage, register_page
from openfab.web.render import WebRoute, redirect, render
from openfab.web.session import require_actor

router = APIRouter(prefix="/portal/ideas", route_class=WebRoute, include_in_schema=False)
ActorDep = Annotated[Actor, Depends(require_actor)]


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def invalid(exc: ValidationError) -> InvalidInput:
    """Pydantic's complaints as OpenFab problems (the same shape the API answers)."""
    problems = [
        Problem(".".join(str(p) for p in e["loc"]), e["msg"], e["type"]) for e in exc.errors()
    ]
    return InvalidInput(f"{len(problems)} problem(s) in the form", problems)


def _products(platform: Platform, actor: Actor) -> list[tuple[str, str]]:
    return [
        (p.code, p.name) for p in platform.catalog.list_products(actor).data if p.status == "Active"
    ]


@router.get("")
def board(
    request: Request, actor: ActorDep, status: IdeaStatus | None = None, sort: Sort = "votes"
) -> Response:
    platform = _platform(request)
    ideas = platform.ideas.list(actor, status=status, sort=sort, limit=100)
    return render(
        request,
        "ideas/board.html",
        ideas=ideas,
        status_filter=status,
        sort=sort,
        products=_products(platform, actor),
        form={},
        problems=[],
    )


@router.post("")
def propose(
    request: Request,
    actor: ActorDep,
    title: Annotated[str, Form(max_length=2000)] = "",
    description: Annotated[str, Form(max_length=5000)] = "",
    base_product: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    platform = _platform(request)
    try:
        data = IdeaCreate(title=title, description=description, base_product=base_product or None)
        idea = platform.ideas.propose(actor, data)
    except (ValidationError, InvalidInput) as exc:
        error = invalid(exc) if isinstance(exc, ValidationError) else exc
        ideas = platform.ideas.list(actor, limit=100)
        form = {"title": title, "description": description, "base_product": base_product}
        return render(
            request,
            "ideas/board.html",
            status=422,
            ideas=ideas,
            status_filter=None,
            sort="votes",
            products=_products(platform, actor),
            form=form,
            problems=error.problems,
        )
    return redirect(request, f"/portal/ideas/{idea.id}")


@router.get("/{idea_id}")
def detail(request: Request, actor: ActorDep, idea_id: str) -> Response:
    platform = _platform(request)
    idea = platform.ideas.get(actor, idea_id)
    can_promote = bool(actor.roles & {Role.PLANNER, Role.ADMIN})
    products = _products(platform, actor) if can_promote else []
    names = {p.code: p.name for p in platform.catalog.list_products(actor).data}
    return render(
        request,
        "ideas/detail.html",
        idea=idea,
        can_promote=can_promote,
        products=products,
        names=names,
    )


@router.post("/{idea_id}/vote")
def vote(request: Request, actor: ActorDep, idea_id: str) -> Response:
    platform = _platform(request)
    idea = platform.ideas.vote(actor, idea_id)
    if request.headers.get("HX-Request"):
        return render(request, "ideas/_vote.html", idea=idea)
    return redirect(request, f"/portal/ideas/{idea_id}")


@router.post("/{idea_id}/unvote")
def unvote(request: Request, actor: ActorDep, idea_id: str) -> Response:
    platform = _platform(request)
    idea = platform.ideas.withdraw_vote(actor, idea_id)
    if request.headers.get("HX-Request"):
        return render(request, "ideas/_vote.html", idea=idea)
    return redirect(request, f"/portal/ideas/{idea_id}")


@router.post("/{idea_id}/comments")
def comment(
    request: Request,
    actor: ActorDep,
    idea_id: str,
    body: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    try:
        data = CommentCreate(body=body)
    except ValidationError as exc:
        raise invalid(exc) from exc
    _platform(request).ideas.comment(actor, idea_id, data)
    return redirect(request, f"/portal/ideas/{idea_id}#comments")


@router.post("/{idea_id}/promote")
def promote(
    request: Request,
    actor: ActorDep,
    idea_id: str,
    code: Annotated[str, Form(max_length=100)] = "",
    name: Annotated[str, Form(max_length=300)] = "",
    base_product: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    try:
        data = IdeaPromotion(code=code, name=name, base_product=base_product or None)
    except ValidationError as exc:
        raise invalid(exc) from exc
    _platform(request).ideas.promote(actor, idea_id, data)
    return redirect(request, f"/portal/ideas/{idea_id}")


@router.post("/{idea_id}/decline")
def decline(
    request: Request, actor: ActorDep, idea_id: str, note: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    _platform(request).ideas.decline(actor, idea_id, IdeaDecision(note=note))
    return redirect(request, f"/portal/ideas/{idea_id}")


register_page(WebPage("ideas", "/portal/ideas", "nav.ideas", router, order=30))
