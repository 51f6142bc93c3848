"""ORM base classes shared by every domain's tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from openfab.store.types import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


def new_id() -> str:
    return str(uuid.uuid4())


class TenantOwned:
    """Mixin for every row that belongs to one tenant.

    The session applies the tenant filter to every query and stamps ``tenant_id`` on every
    insert (see ``store.tenancy``); services never write that filter themselves.
    """

    tenant_id: Mapped[str] = mapped_column(String(64), index=True)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
