"""The inbox: keys of messages already applied, written in the transaction of their effect.

A bus delivers at least once; a service that takes a message key calls ``first_delivery``
in its unit of work, and a redelivery finds the key and changes nothing. Keys are scoped by
whoever sent the message (``{sender}/{message_id}``), so two senders never collide.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from openfab.store.base import Base
from openfab.store.database import UnitOfWork
from openfab.store.types import utcnow


class InboxRow(Base):
    __tablename__ = "message_inbox"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)


def first_delivery(uow: UnitOfWork, key: str | None, type: str) -> bool:
    """Record ``key`` as applied; False when it already was (a redelivery). None: no key."""
    if key is None:
        return True
    if uow.session.get(InboxRow, key) is not None:
        return False
    uow.session.add(InboxRow(key=key[:200], type=type[:32]))
    return True
