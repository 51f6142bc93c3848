"""Tables of quality.

Inspection models are the plant's (trained on its own good units, used for every brand's
units); a unit's scans and their verdicts belong to the unit's tenant, like its genealogy.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from openfab.store.base import Base, TenantOwned, new_id
from openfab.store.types import utcnow


class InspectionModelRow(Base):
    """A trained visual inspection model; the newest active one for a product (or for every
    product when ``product`` is empty) scores that product's scans."""

    __tablename__ = "inspection_model"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64))
    product: Mapped[str] = mapped_column(String(64), default="", index=True)
    threshold: Mapped[float] = mapped_column(Float)
    trained_on: Mapped[int] = mapped_column(Integer)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    installed_by: Mapped[str] = mapped_column(String(200))
    installed_at: Mapped[datetime] = mapped_column(default=utcnow)


class UnitScanRow(TenantOwned, Base):
    """One camera scan of one unit and, once the quality worker scored it, its verdict.

    The image, height map and heat map are kept for rejected units and a sample of accepted
    ones (``kept``); the others' pictures are dropped after scoring, their numbers stay."""

    __tablename__ = "unit_scan"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[str] = mapped_column(
        ForeignKey("serial_unit.id", ondelete="CASCADE"), index=True
    )
    serial: Mapped[str] = mapped_column(String(64), index=True)
    product: Mapped[str] = mapped_column(String(64))
    machine: Mapped[str] = mapped_column(String(64))
    message_key: Mapped[str] = mapped_column(String(200), unique=True)
    scanned_at: Mapped[datetime]
    image: Mapped[bytes | None] = mapped_column(LargeBinary)
    height: Mapped[bytes | None] = mapped_column(LargeBinary)
    height_um_per_count: Mapped[float] = mapped_column(Float, default=0.01)
    height_offset_um: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    score: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    verdict: Mapped[str | None] = mapped_column(String(8))
    disposition: Mapped[str] = mapped_column(String(16), default="")
    reason: Mapped[str] = mapped_column(String(200), default="")
    heat_map: Mapped[bytes | None] = mapped_column(LargeBinary)
    kept: Mapped[bool] = mapped_column(Boolean, default=True)
    model_id: Mapped[str | None] = mapped_column(String(36))
    inspected_at: Mapped[datetime | None]


class SpcAlarmRow(Base):
    """An out-of-control signal of a process characteristic, raised once per rule and point.

    Plant-level: the characteristic, value and machine carry no brand's data (no serial)."""

    __tablename__ = "spc_alarm"
    __table_args__ = (
        UniqueConstraint("characteristic", "rule", "record", name="uq_spc_alarm_signal"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    characteristic: Mapped[str] = mapped_column(String(128), index=True)
    rule: Mapped[str] = mapped_column(String(32))
    point_at: Mapped[datetime]
    record: Mapped[str] = mapped_column(String(36))
    """The genealogy record (one unit at one step) of the point that signalled."""
    value: Mapped[float] = mapped_column(Float)
    machine: Mapped[str] = mapped_column(String(64), default="")
    message: Mapped[str] = mapped_column(String(300))
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)


class QualityDecisionRow(Base):
    """A decision of the quality autopilot (re-centre, stop, quarantine, tighten), one per
    subject per cool-down, with the event that announced it."""

    __tablename__ = "quality_decision"
    __table_args__ = (Index("ix_quality_decision_subject", "kind", "subject", "decided_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(1000))
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
