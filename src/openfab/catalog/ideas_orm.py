"""Tables of the co-creation board: ideas customers propose, their votes and comments.

Ideas belong to one brand (tenant): its customers and staff see them, nobody else does.
A vote is one row per user and idea (a unique key makes "one vote each" a database fact).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openfab.store.base import Base, TenantOwned, Timestamped, new_id
from openfab.store.types import utcnow


class IdeaRow(TenantOwned, Timestamped, Base):
    __tablename__ = "idea"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(2000))
    base_product: Mapped[str | None] = mapped_column(String(64))
    author_id: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    author_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)
    product_code: Mapped[str | None] = mapped_column(String(64))
    status_note: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdeaVoteRow(TenantOwned, Timestamped, Base):
    __tablename__ = "idea_vote"
    __table_args__ = (UniqueConstraint("idea_id", "user_id", name="uq_idea_vote_idea_user"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    idea_id: Mapped[str] = mapped_column(ForeignKey("idea.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("app_user.id"))


class IdeaCommentRow(TenantOwned, Timestamped, Base):
    __tablename__ = "idea_comment"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    idea_id: Mapped[str] = mapped_column(ForeignKey("idea.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    author_name: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(2000))
