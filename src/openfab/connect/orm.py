"""Tables of the telemetry ingest: readings and dead letters.

Both are plant-level, not tenant-owned, like ``machine_downtime``: the machines are shared by
every tenant whose orders run on them, and a PLC knows its machine, never a customer. Tenants
reach telemetry through their units' genealogy (machine + time window), not by owning rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, PrimaryKeyConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openfab.store.base import Base, new_id
from openfab.store.types import utcnow


class TelemetryReadingRow(Base):
    """One value of one signal. The key is (path, message id): the sender's own numbering,
    scoped to the sender, so a re-sent message is a no-op and two machines that number their
    messages alike both keep their readings."""

    __tablename__ = "telemetry_reading"
    __table_args__ = (
        PrimaryKeyConstraint("path", "message_id", name="pk_telemetry_reading"),
        Index("ix_telemetry_reading_machine_signal_ts", "machine", "signal", "ts"),
    )

    message_id: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(260))  # site/area/line/machine
    machine: Mapped[str] = mapped_column(String(64))
    signal: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    ts: Mapped[datetime]


class DeadLetterRow(Base):
    """A message ingest could not use, kept with the reason so it can be fixed and replayed."""

    __tablename__ = "dead_letter"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    source: Mapped[str] = mapped_column(String(32))  # mqtt | nats | opcua | inprocess
    topic: Mapped[str | None] = mapped_column(String(300))
    code: Mapped[str] = mapped_column(String(32), index=True)
    reason: Mapped[str] = mapped_column(String(300))
    payload: Mapped[str] = mapped_column(Text)  # truncated, decoded with replacement chars
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
