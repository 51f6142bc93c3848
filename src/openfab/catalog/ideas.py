"""The co-creation board: customers propose product ideas, vote and comment; a planner
promotes a popular idea to a draft product of the catalog (or declines it, with a note).

Every change is one unit of work with its event, so the board's history is in the audit
chain like any order. A draft product is a copy of an existing product's definition under a
new code and name; engineers revise it into the real thing.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from openfab.catalog.ideas_orm import IdeaCommentRow, IdeaRow, IdeaVoteRow
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
from openfab.catalog.orm import ProductRevisionRow, ProductRow
from openfab.catalog.parsing import parse_product
from openfab.catalog.service import CatalogService
from openfab.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from openfab.identity.actor import Actor, Role
from openfab.identity.orm import UserRow
from openfab.store import Database, UnitOfWork
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow

PROMOTERS = (Role.PLANNER, Role.ADMIN)
DRAFT = "Draft"
Sort = Literal["votes", "new"]


class IdeaService:
    def __init__(self, db: Database, catalog: CatalogService) -> None:
        self.db = db
        self.catalog = catalog

    # -- commands --------------------------------------------------------------------------
    def propose(self, actor: Actor, data: IdeaCreate) -> IdeaPublic:
        """Anyone signed in at the brand may propose; the base product must exist."""
        user_id = _user(actor)
        with self.db.unit(Scope.tenant(actor.require_tenant()), actor=actor.name) as uow:
            if data.base_product and _product(uow, data.base_product) is None:
                raise InvalidInput(
                    "the idea names an unknown product",
                    [Problem("base_product", f"no product {data.base_product!r}", "not_found")],
                )
            row = IdeaRow(
                title=data.title,
                description=data.description,
                base_product=data.base_product,
                author_id=user_id,
                author_name=_display_name(uow, user_id),
                status=IdeaStatus.PROPOSED,
            )
            uow.session.add(row)
            uow.session.flush()
            payload = {"title": row.title, "base_product": row.base_product}
            uow.record("idea.proposed", "idea", row.id, payload)
            return _public(uow, row, user_id)

    def vote(self, actor: Actor, idea_id: str) -> IdeaPublic:
        """One vote per user and idea; a second vote is a ``Conflict``."""
        user_id = _user(actor)
        try:
            with self.db.unit(Scope.tenant(actor.require_tenant()), actor=actor.name) as uow:
                row = _open_idea(uow, idea_id)
                if _my_vote(uow, row.id, user_id) is not None:
                    raise Conflict("you have already voted for this idea")
                uow.session.add(IdeaVoteRow(idea_id=row.id, user_id=user_id))
                uow.session.flush()
                uow.record("idea.voted", "idea", row.id, {"title": row.title})
                return _public(uow, row, user_id)
        except IntegrityError as exc:  # two votes raced past the check
            raise Conflict("you have already voted for this idea") from exc

    def withdraw_vote(self, actor: Actor, idea_id: str) -> IdeaPublic:
        user_id = _user(actor)
        with self.db.unit(Scope.tenant(actor.require_tenant()), actor=actor.name) as uow:
            row = _open_idea(uow, idea_id)
            vote = _my_vote(uow, row.id, user_id)
            if vote is None:
                raise Conflict("you have not voted for this idea")
            uow.session.delete(vote)
            uow.session.flush()
            uow.record("idea.vote_withdrawn", "idea", row.id, {"title": row.title})
            return _public(uow, row, user_id)

    def comment(self, actor: Actor, idea_id: str, data: CommentCreate) -> CommentPublic:
        user_id = _user(actor)
        with self.db.unit(Scope.tenant(actor.require_tenant()), actor=actor.name) as uow:
            row = _get(uow, idea_id)
            comment = IdeaCommentRow(
                idea_id=row.id,
                author_id=user_id,
                author_name=_display_name(uow, user_id),
                body=data.body,
            )
            uow.session.add(comment)
            uow.session.flush()
            uow.record("idea.commented", "idea", row.id, {"comment_id": comment.id})
            return CommentPublic.model_validate(comment)

    def promote(self, actor: Actor, idea_id: str, data: IdeaPromotion) -> IdeaPublic:
        """Copy the base product's definition into a new draft product named by the planner."""
        actor.require(*PROMOTERS)
        with self.db.unit(Scope.tenant(actor.require_tenant()), actor=actor.name) as uow:
            row = _open_idea(uow, idea_id)
            base_code = data.base_product or row.base_product
            definition = self._draft_definition(uow, base_code, data, row)
            product = ProductRow(
                code=data.code, name=data.name, family=str(definition["family"]), revision=1
            )
            product.status = DRAFT
            uow.session.add(product)
            uow.session.flush()
            note = f"from idea {row.id}: {row.title}"[:500]
            uow.session.add(
                ProductRevisionRow(
                    product_id=product.id, revision=1, definition=definition, note=note
                )
            )
            uow.record(
                "product.created",
                "product",
                product.id,
                {"code": product.code, "revision": 1, "status": DRAFT, "idea": row.id},
            )
            row.status, row.product_code, row.updated_at = IdeaStatus.PROMOTED, data.code, utcnow()
            uow.record("idea.promoted", "idea", row.id, {"title": row.title, "product": data.code})
            return _public(uow, row, actor.user_id)

    def decline(self, actor: Actor, idea_id: str, data: IdeaDecision) -> IdeaPublic:
        actor.require(*PROMOTERS)
        with self.db.unit(Scope.tenant(actor.require_tenant()), actor=actor.name) as uow:
            row = _open_idea(uow, idea_id)
            row.status, row.status_note, row.updated_at = IdeaStatus.DECLINED, data.note, utcnow()
            uow.record("idea.declined", "idea", row.id, {"title": row.title, "note": data.note})
            return _public(uow, row, actor.user_id)

    def _draft_definition(
        self, uow: UnitOfWork, base_code: str | None, data: IdeaPromotion, idea: IdeaRow
    ) -> dict[str, Any]:
        problems: list[Problem] = []
        base = _product(uow, base_code) if base_code else None
        if base_code is None:
            problems.append(Problem("base_product", "name the product the draft copies", "missing"))
        elif base is None:
            problems.append(Problem("base_product", f"no product {base_code!r}", "not_found"))
        if _product(uow, data.code) is not None:
            problems.append(Problem("code", f"product {data.code!r} already exists", "duplicate"))
        if problems or base is None:
            raise InvalidInput("the idea cannot be promoted as asked", problems)
        revision = CatalogService._revision(uow, base)
        definition = copy.deepcopy(revision.definition)
        definition.update(code=data.code, name=data.name, description=idea.description[:500])
        ref = self.catalog.reference()
        parse_product(definition, materials=ref.materials, work_centers=ref.work_centers)
        return definition

    # -- queries ---------------------------------------------------------------------------
    def list(
        self,
        actor: Actor,
        *,
        status: IdeaStatus | None = None,
        sort: Sort = "votes",
        limit: int = 50,
        offset: int = 0,
    ) -> IdeasPublic:
        query = select(IdeaRow)
        if status is not None:
            query = query.where(IdeaRow.status == status)
        with self.db.unit(
            Scope.tenant(actor.require_tenant()), actor=actor.name, readonly=True
        ) as u:
            count = u.session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = u.session.scalars(_sorted(query, sort).limit(limit).offset(offset)).all()
            data = _publics(u, rows, actor.user_id)
        return IdeasPublic(data=data, count=count)

    def get(self, actor: Actor, idea_id: str) -> IdeaDetail:
        with self.db.unit(
            Scope.tenant(actor.require_tenant()), actor=actor.name, readonly=True
        ) as u:
            row = _get(u, idea_id)
            comments = u.session.scalars(
                select(IdeaCommentRow)
                .where(IdeaCommentRow.idea_id == row.id)
                .order_by(IdeaCommentRow.created_at, IdeaCommentRow.id)
            ).all()
            public = _public(u, row, actor.user_id)
            return IdeaDetail(
                **public.model_dump(),
                comment_list=[CommentPublic.model_validate(c) for c in comments],
            )


# -- helpers -------------------------------------------------------------------------------
def _user(actor: Actor) -> str:
    if actor.user_id is None:
        raise Forbidden("ideas, votes and comments belong to signed-in users")
    actor.require_tenant()
    return actor.user_id


def _display_name(uow: UnitOfWork, user_id: str) -> str:
    user = uow.session.get(UserRow, user_id)
    return user.full_name if user is not None else "?"


def _product(uow: UnitOfWork, code: str) -> ProductRow | None:
    return uow.session.scalar(select(ProductRow).where(ProductRow.code == code))


def _get(uow: UnitOfWork, idea_id: str) -> IdeaRow:
    row = uow.session.scalar(select(IdeaRow).where(IdeaRow.id == idea_id))
    if row is None:
        raise NotFound(f"idea {idea_id!r} not found")
    return row


def _open_idea(uow: UnitOfWork, idea_id: str) -> IdeaRow:
    row = _get(uow, idea_id)
    if row.status != IdeaStatus.PROPOSED:
        raise Conflict(f"the idea is already {row.status.lower()}")
    return row


def _my_vote(uow: UnitOfWork, idea_id: str, user_id: str) -> IdeaVoteRow | None:
    return uow.session.scalar(
        select(IdeaVoteRow).where(IdeaVoteRow.idea_id == idea_id, IdeaVoteRow.user_id == user_id)
    )


def _vote_counts() -> Any:
    return (
        select(IdeaVoteRow.idea_id, func.count().label("n"))
        .group_by(IdeaVoteRow.idea_id)
        .subquery()
    )


def _sorted(query: Select[IdeaRow], sort: Sort) -> Select[IdeaRow]:
    if sort == "new":
        return query.order_by(IdeaRow.created_at.desc(), IdeaRow.id)
    votes = _vote_counts()
    return query.outerjoin(votes, votes.c.idea_id == IdeaRow.id).order_by(
        func.coalesce(votes.c.n, 0).desc(), IdeaRow.created_at.desc(), IdeaRow.id
    )


def _counts(uow: UnitOfWork, model: Any, ids: Sequence[str]) -> dict[str, int]:
    if not ids:
        return {}
    rows = uow.session.execute(
        select(model.idea_id, func.count()).where(model.idea_id.in_(ids)).group_by(model.idea_id)
    ).all()
    return {str(i): int(n) for i, n in rows}


def _publics(uow: UnitOfWork, rows: Sequence[IdeaRow], user_id: str | None) -> list[IdeaPublic]:
    ids = [r.id for r in rows]
    votes = _counts(uow, IdeaVoteRow, ids)
    comments = _counts(uow, IdeaCommentRow, ids)
    mine: set[str] = set()
    if user_id and ids:
        mine = set(
            uow.session.scalars(
                select(IdeaVoteRow.idea_id).where(
                    IdeaVoteRow.idea_id.in_(ids), IdeaVoteRow.user_id == user_id
                )
            )
        )
    return [
        IdeaPublic(
            id=r.id,
            title=r.title,
            description=r.description,
            base_product=r.base_product,
            author_name=r.author_name,
            status=IdeaStatus(r.status),
            status_note=r.status_note,
            product_code=r.product_code,
            votes=votes.get(r.id, 0),
            comments=comments.get(r.id, 0),
            voted_by_me=r.id in mine,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
        for r in rows
    ]


def _public(uow: UnitOfWork, row: IdeaRow, user_id: str | None) -> IdeaPublic:
    return _publics(uow, [row], user_id)[0]
