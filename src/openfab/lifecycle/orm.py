"""Tables of the product lifecycle: passports, field reports, claims, recoveries.

A passport, its field reports, warranty claims and the recovery of a returned unit name one
brand's unit, so they are tenant-owned like the genealogy. Which lots were recovered from
returned units is plant-level: the lots sit on the plant's shelves, and the row names no
brand's unit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openfab.store.base import Base, TenantOwned, Timestamped, new_id
from openfab.store.types import utcnow


class PassportRow(TenantOwned, Timestamped, Base):
    """One unit's passport: its stable public id (in the QR code) and its life status."""

    __tablename__ = "passport"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[str] = mapped_column(
        ForeignKey("serial_unit.id", ondelete="CASCADE"), unique=True
    )
    serial: Mapped[str] = mapped_column(String(40), index=True)
    product_code: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="Original")
    return_reason: Mapped[str] = mapped_column(String(200), default="")
    returned_at: Mapped[datetime | None]


class PassportPolicyRow(TenantOwned, Base):
    """Which passport sections a brand publishes (one row per brand; none: the default)."""

    __tablename__ = "passport_policy"
    __table_args__ = (UniqueConstraint("tenant_id", name="uq_passport_policy_tenant"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    sections: Mapped[list[str]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FieldReportRow(TenantOwned, Base):
    """A report from a unit in the field; ``flagged`` ones are kept with the reason but
    never used as truth (state of health, claims)."""

    __tablename__ = "field_report"
    __table_args__ = (UniqueConstraint("tenant_id", "report_id", name="uq_field_report_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    report_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[str] = mapped_column(
        ForeignKey("serial_unit.id", ondelete="CASCADE"), index=True
    )
    serial: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]
    cycles: Mapped[int] = mapped_column(Integer)
    temperature_c: Mapped[float] = mapped_column(Float)
    capacity_ah: Mapped[float | None] = mapped_column(Float)
    soh_percent: Mapped[float | None] = mapped_column(Float)
    soh: Mapped[float | None] = mapped_column(Float)
    """Measured state of health 0..1 (capacity / rated, else the BMS's estimate)."""
    failure: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(300), default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClaimRow(TenantOwned, Base):
    """A warranty claim or field failure, filed against the unit's design revision."""

    __tablename__ = "warranty_claim"
    __table_args__ = (UniqueConstraint("tenant_id", "claim_id", name="uq_warranty_claim_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    claim_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[str] = mapped_column(
        ForeignKey("serial_unit.id", ondelete="CASCADE"), index=True
    )
    serial: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    symptom: Mapped[str] = mapped_column(String(200))
    product_code: Mapped[str] = mapped_column(String(64), index=True)
    design_revision: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]


class RecoveryRow(TenantOwned, Base):
    """The recycling of one returned unit: the route and what came back per element."""

    __tablename__ = "unit_recovery"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[str] = mapped_column(
        ForeignKey("serial_unit.id", ondelete="CASCADE"), unique=True
    )
    serial: Mapped[str] = mapped_column(String(40))
    route: Mapped[str] = mapped_column(String(32))
    elements: Mapped[dict[str, Any]]
    overall_rate: Mapped[float] = mapped_column(Float)
    lots: Mapped[list[str]]
    recovered_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecoveredLotRow(Base):
    """A stock lot made of recovered material: what makes a later unit's content recycled."""

    __tablename__ = "recovered_lot"
    __table_args__ = (UniqueConstraint("material", "lot", name="uq_recovered_lot_identity"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    material: Mapped[str] = mapped_column(String(64))
    lot: Mapped[str] = mapped_column(String(64))
    quantity_kg: Mapped[float] = mapped_column(Float)
    recovered_at: Mapped[datetime] = mapped_column(default=utcnow)
