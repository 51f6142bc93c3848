"""Tables of the catalog: plant-wide work centers and materials, tenant-owned products.

A product's definition (option groups, rules, BOM and routing templates) is stored whole as a
revision; the configurator reads it back. Revisions are never edited, only added, so every
order names exactly the definition it was configured against.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openfab.store.base import Base, TenantOwned, Timestamped, new_id


class WorkCenterRow(Base):
    """A group of interchangeable machines in the shared plant (not owned by a tenant)."""

    __tablename__ = "work_center"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    machines: Mapped[int] = mapped_column(Integer)
    hours_per_day: Mapped[float] = mapped_column(Float)


class MaterialRow(Base):
    """A material definition of the shared plant (ISA-95 MaterialDefinition)."""

    __tablename__ = "material"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(16))
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    lead_time_days: Mapped[int] = mapped_column(Integer)


class ProductRow(TenantOwned, Timestamped, Base):
    __tablename__ = "product"
    __table_args__ = (UniqueConstraint("tenant_id", "code", name="uq_product_tenant_code"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    family: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="Active")
    revision: Mapped[int] = mapped_column(Integer, default=1)


class ProductRevisionRow(TenantOwned, Timestamped, Base):
    __tablename__ = "product_revision"
    __table_args__ = (
        UniqueConstraint("product_id", "revision", name="uq_product_revision_number"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    product_id: Mapped[str] = mapped_column(ForeignKey("product.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]]
    note: Mapped[str] = mapped_column(String(500), default="")
