"""The gateway's table: shop-floor messages it could not apply.

It belongs to the shared plant (no tenant): a machine knows its machine, never a customer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openfab.store.base import Base, new_id
from openfab.store.types import utcnow


class FloorDeadLetterRow(Base):
    """A shop-floor message that could not be applied, with the reason; re-playable."""

    __tablename__ = "floor_dead_letter"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    sender: Mapped[str] = mapped_column(String(260), index=True)  # site/area/line/machine
    transport: Mapped[str] = mapped_column(String(16))  # mqtt | nats | opcua | rest | …
    message_id: Mapped[str | None] = mapped_column(String(64))
    type: Mapped[str | None] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(32), index=True)
    reason: Mapped[str] = mapped_column(String(1000))
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    replayed_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="Open", index=True)  # Open|Replayed
