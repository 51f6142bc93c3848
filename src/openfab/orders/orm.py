"""Tables of sales orders and the capacity they hold."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openfab.orders.schemas import ADDRESS_MAX
from openfab.store.base import Base, TenantOwned, Timestamped, new_id
from openfab.store.types import Money, utcnow


class SalesOrderRow(TenantOwned, Timestamped, Base):
    __tablename__ = "sales_order"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number", name="uq_sales_order_number"),
        # the orders-per-minute quota counts a tenant's newest orders (api.quotas)
        Index("ix_sales_order_tenant_id_created_at", "tenant_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    product_code: Mapped[str] = mapped_column(String(64))
    product_revision: Mapped[int] = mapped_column(Integer)
    choices: Mapped[dict[str, Any]]
    configured: Mapped[dict[str, Any]]
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    total_price: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    promise_date: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), index=True)
    express: Mapped[bool] = mapped_column(default=False)
    """A rush order: a surcharge for a shorter promise and priority in the plan."""
    delivery_address: Mapped[str | None] = mapped_column(String(ADDRESS_MAX), default=None)
    """Where the order is delivered (one line; None: not given, e.g. an order over REST)."""
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrderLoadRow(Base):
    """Minutes an open order needs at a work center. Plant-wide (capacity is shared by all
    tenants), holds no customer data, and exists only while the order needs capacity."""

    __tablename__ = "order_load"

    order_id: Mapped[str] = mapped_column(
        ForeignKey("sales_order.id", ondelete="CASCADE"), primary_key=True
    )
    work_center: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    minutes: Mapped[float] = mapped_column(Float)
    express: Mapped[bool] = mapped_column(default=False)
    """The order is express: its load is all an express promise queues behind."""
