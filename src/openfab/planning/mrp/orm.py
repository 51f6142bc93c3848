"""Tables of suppliers, stock, inventory moves, purchase orders and material plan runs.

Tenancy: the plant is shared, so what is physically in it is plant-level, like machines and
material definitions — suppliers, lots on its shelves, the moves between them, the purchase
orders that fill them and the plan runs that net all tenants' orders together. What names a
tenant's order is tenant-owned: the pegs (which orders a purchase covers) and the shortages
(which orders a missing part stops). A tenant's staff therefore sees the plant's stock and
purchasing but only its own orders' reasons; nothing links to another tenant's order by
construction.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openfab.store.base import Base, TenantOwned, Timestamped, new_id
from openfab.store.types import Money, utcnow

Quantity = Numeric(18, 6, asdecimal=True)


class SupplierRow(Timestamped, Base):
    __tablename__ = "supplier"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)


class SupplierItemRow(Base):
    """One supplier's offer for one material (lead time, lot rules, price, capacity)."""

    __tablename__ = "supplier_item"

    supplier: Mapped[str] = mapped_column(ForeignKey("supplier.code"), primary_key=True)
    material: Mapped[str] = mapped_column(ForeignKey("material.code"), primary_key=True)
    unit: Mapped[str] = mapped_column(String(16))
    lead_time_days: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    minimum_order: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    lot_multiple: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    capacity_per_period: Mapped[Decimal | None] = mapped_column(Quantity, nullable=True)
    period_days: Mapped[int] = mapped_column(Integer, default=7)
    priority: Mapped[int] = mapped_column(Integer, default=0)


class MaterialPolicyRow(Base):
    """How MRP buys one material: lot sizing and safety stock (set by a planner or by
    demand sensing). Materials without a row are bought lot-for-lot with no safety stock."""

    __tablename__ = "material_policy"

    material: Mapped[str] = mapped_column(ForeignKey("material.code"), primary_key=True)
    lot_sizing: Mapped[str] = mapped_column(String(16), default="LotForLot")
    fixed_quantity: Mapped[Decimal | None] = mapped_column(Quantity, nullable=True)
    ordering_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    holding_rate: Mapped[Decimal | None] = mapped_column(Numeric(6, 4), nullable=True)
    periods: Mapped[int | None] = mapped_column(Integer, nullable=True)
    safety_stock: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))


QUARANTINE = "QUARANTINE"
"""The location of lots on hold (quality): neither promised, planned with nor issued."""


class MaterialLotRow(Timestamped, Base):
    """A quantity of one material with one identity at one location (ISA-95 MaterialLot)."""

    __tablename__ = "material_lot"
    __table_args__ = (
        UniqueConstraint("material", "lot", "location", name="uq_material_lot_identity"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    material: Mapped[str] = mapped_column(ForeignKey("material.code"), index=True)
    lot: Mapped[str] = mapped_column(String(64))
    location: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit: Mapped[str] = mapped_column(String(16))
    purchase_order_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    supplier: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """Who delivered a lot received without a purchase order (its order names it otherwise)."""
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AllocationRow(Timestamped, Base):
    """Stock reserved for a work order (its sales order); issuing releases it."""

    __tablename__ = "material_allocation"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    material: Mapped[str] = mapped_column(ForeignKey("material.code"), index=True)
    order_id: Mapped[str] = mapped_column(String(36), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit: Mapped[str] = mapped_column(String(16))


class InventoryMoveRow(Base):
    """One change of stock: receive, issue to a work order, return, scrap or count.

    ``quantity`` is signed (what the lot gained); moves are never edited, only added.
    """

    __tablename__ = "inventory_move"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    material: Mapped[str] = mapped_column(String(64), index=True)
    lot: Mapped[str] = mapped_column(String(64))
    location: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit: Mapped[str] = mapped_column(String(16))
    order_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    purchase_order_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    actor: Mapped[str] = mapped_column(String(200))
    moved_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class MaterialPlanRunRow(Timestamped, Base):
    """One MRP run over the whole plant."""

    __tablename__ = "material_plan_run"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    trigger: Mapped[str] = mapped_column(String(200))
    plan_date: Mapped[date] = mapped_column(Date)
    work_orders: Mapped[int] = mapped_column(Integer)
    planned_orders: Mapped[int] = mapped_column(Integer)
    shortages: Mapped[int] = mapped_column(Integer)
    messages: Mapped[int] = mapped_column(Integer)
    purchase_value: Mapped[Decimal] = mapped_column(Money)
    seconds: Mapped[float]


class PurchaseOrderRow(Timestamped, Base):
    """A purchase order: Planned (by MRP) → Released (to the supplier) → Received, or Cancelled."""

    __tablename__ = "purchase_order"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    run_id: Mapped[str | None] = mapped_column(
        ForeignKey("material_plan_run.id", ondelete="SET NULL"), nullable=True, index=True
    )
    material: Mapped[str] = mapped_column(ForeignKey("material.code"), index=True)
    supplier: Mapped[str] = mapped_column(ForeignKey("supplier.code"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    received_quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    unit: Mapped[str] = mapped_column(String(16))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    value: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16), index=True)
    release_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    late: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(String(500))
    released_at: Mapped[datetime | None] = mapped_column(nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PurchasePegRow(TenantOwned, Base):
    """A tenant's order that a purchase order covers (tenants see only their own)."""

    __tablename__ = "purchase_peg"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    purchase_order_id: Mapped[str] = mapped_column(
        ForeignKey("purchase_order.id", ondelete="CASCADE"), index=True
    )
    order_id: Mapped[str] = mapped_column(String(36), index=True)
    order_number: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[Decimal] = mapped_column(Quantity)


class MaterialMessageRow(Base):
    """Expedite, defer or cancel an open purchase order (from one plan run)."""

    __tablename__ = "material_message"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(
        ForeignKey("material_plan_run.id", ondelete="CASCADE"), index=True
    )
    purchase_order_id: Mapped[str] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(16))
    material: Mapped[str] = mapped_column(String(64))
    due_date: Mapped[date] = mapped_column(Date)
    new_due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    reason: Mapped[str] = mapped_column(String(500))


class MaterialShortageRow(TenantOwned, Base):
    """Material a tenant's order will lack on its need date, and when it can arrive."""

    __tablename__ = "material_shortage"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(
        ForeignKey("material_plan_run.id", ondelete="CASCADE"), index=True
    )
    order_id: Mapped[str] = mapped_column(String(36), index=True)
    order_number: Mapped[str] = mapped_column(String(32))
    material: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit: Mapped[str] = mapped_column(String(16))
    need_date: Mapped[date] = mapped_column(Date)
    available_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    cause: Mapped[str] = mapped_column(String(300))
