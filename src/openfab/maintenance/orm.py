"""Tables of maintenance: each machine's health snapshots and the maintenance orders.

Both are plant-level, like ``machine_downtime`` and ``telemetry_reading``: the machines are
shared by every brand and their health carries no order data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openfab.store.base import Base, new_id
from openfab.store.types import utcnow


class MachineHealthRow(Base):
    """One assessment of one machine from its recent telemetry windows: the health index
    (0 healthy .. 1 far from healthy), the remaining useful life in hours with its 90 %
    interval, the chance of failure within the horizon, and what cleaning found."""

    __tablename__ = "machine_health"
    __table_args__ = (Index("ix_machine_health_machine_at", "machine", "assessed_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    machine: Mapped[str] = mapped_column(String(64))
    work_center: Mapped[str] = mapped_column(String(64), default="")
    assessed_at: Mapped[datetime] = mapped_column(default=utcnow)
    health: Mapped[float] = mapped_column(Float)
    drift: Mapped[float] = mapped_column(Float, default=0.0)
    """Mean relative change of the signals from their healthy level (what RUL follows)."""
    alarm: Mapped[bool] = mapped_column(Boolean, default=False)
    rul_hours: Mapped[float | None] = mapped_column(Float)
    rul_lower: Mapped[float | None] = mapped_column(Float)
    rul_upper: Mapped[float | None] = mapped_column(Float)
    failure_probability: Mapped[float] = mapped_column(Float, default=0.0)
    windows: Mapped[int] = mapped_column(Integer, default=0)
    readings: Mapped[int] = mapped_column(Integer, default=0)
    cleaning: Mapped[str] = mapped_column(Text, default="{}")
    """What telemetry cleaning found (JSON counts: gaps, spikes, stuck sensors …)."""


class MaintenanceOrderRow(Base):
    """A maintenance order (ISA-95 OperationsRequest of type Maintenance): why (the evidence),
    the predicted failure, the window booked in the plan, and its state."""

    __tablename__ = "maintenance_order"
    __table_args__ = (Index("ix_maintenance_order_machine_status", "machine", "status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    machine: Mapped[str] = mapped_column(String(64))
    work_center: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(String(300))
    evidence: Mapped[str] = mapped_column(Text, default="{}")
    """JSON: health index, trend, RUL and interval, cleaning counts, windows weighed."""
    failure_probability: Mapped[float] = mapped_column(Float)
    rul_hours: Mapped[float | None] = mapped_column(Float)
    rul_lower: Mapped[float | None] = mapped_column(Float)
    rul_upper: Mapped[float | None] = mapped_column(Float)
    window_start: Mapped[datetime | None]
    window_end: Mapped[datetime | None]
    downtime_id: Mapped[str | None] = mapped_column(String(36))
    spare_parts: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default="Open", index=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
