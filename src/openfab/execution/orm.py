"""Tables of shop-floor execution.

Work orders, their operations and serial units belong to one tenant's sales order, so they
are tenant-owned like the orders. Machine states and the message inbox describe the shared
plant and carry no customer data, so they are plant-level.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openfab.store.base import Base, TenantOwned, Timestamped, new_id
from openfab.store.types import utcnow


class WorkOrderRow(TenantOwned, Timestamped, Base):
    """A production work order (B2MML JobOrder) building one sales order's units."""

    __tablename__ = "work_order"
    __table_args__ = (UniqueConstraint("tenant_id", "number", name="uq_work_order_number"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(40), index=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("sales_order.id"), index=True)
    order_number: Mapped[str] = mapped_column(String(32), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(36), index=True)
    product_code: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    schedule_run_id: Mapped[str | None] = mapped_column(String(36))
    replaces: Mapped[str | None] = mapped_column(String(40))  # work order whose scrap it makes up
    quantity_good: Mapped[int] = mapped_column(Integer, default=0)
    quantity_scrap: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class OperationRow(TenantOwned, Base):
    """One routing step of a work order: planned (SegmentRequirement) and actual (Response)."""

    __tablename__ = "work_order_operation"
    __table_args__ = (
        UniqueConstraint("work_order_id", "sequence", name="uq_work_order_operation_step"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    work_order_id: Mapped[str] = mapped_column(
        ForeignKey("work_order.id", ondelete="CASCADE"), index=True
    )
    sequence: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    work_centers: Mapped[list[str]]
    setup_minutes: Mapped[float] = mapped_column(Float)
    run_minutes: Mapped[float] = mapped_column(Float)  # per unit: the ideal cycle time
    status: Mapped[str] = mapped_column(String(16))
    planned_machine: Mapped[str | None] = mapped_column(String(64))
    planned_start: Mapped[datetime | None]
    planned_end: Mapped[datetime | None]
    machine: Mapped[str | None] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None] = mapped_column(index=True)
    shift: Mapped[str | None] = mapped_column(String(16))
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    quantity_in: Mapped[int] = mapped_column(Integer, default=0)
    quantity_good: Mapped[int] = mapped_column(Integer, default=0)
    quantity_scrap: Mapped[int] = mapped_column(Integer, default=0)


class SerialUnitRow(TenantOwned, Timestamped, Base):
    """One produced unit with its serial number (an ISA-95 MaterialLot of quantity 1)."""

    __tablename__ = "serial_unit"
    __table_args__ = (UniqueConstraint("tenant_id", "serial", name="uq_serial_unit_serial"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    serial: Mapped[str] = mapped_column(String(40), index=True)
    work_order_id: Mapped[str] = mapped_column(
        ForeignKey("work_order.id", ondelete="CASCADE"), index=True
    )
    order_id: Mapped[str] = mapped_column(ForeignKey("sales_order.id"), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(36), index=True)
    product_code: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    first_pass: Mapped[bool] = mapped_column(Boolean, default=True)
    reworked: Mapped[bool] = mapped_column(Boolean, default=False)
    scrapped_at_sequence: Mapped[int | None] = mapped_column(Integer)
    scrap_reason: Mapped[str] = mapped_column(String(200), default="")
    completed_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]


class UnitOperationRow(TenantOwned, Base):
    """What happened to one unit at one operation (repeated for rework)."""

    __tablename__ = "unit_operation"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[str] = mapped_column(
        ForeignKey("serial_unit.id", ondelete="CASCADE"), index=True
    )
    operation_id: Mapped[str] = mapped_column(
        ForeignKey("work_order_operation.id", ondelete="CASCADE"), index=True
    )
    sequence: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(200), default="")
    measurements: Mapped[dict[str, Any]] = mapped_column(default=dict)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class UnitMaterialRow(TenantOwned, Base):
    """A material lot consumed into one unit at one operation (the genealogy's inputs).

    ``lot`` is the lot's identity as the supplier or receiving reported it; it links to the
    inventory's material lots by that id once they exist.
    """

    __tablename__ = "unit_material"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[str] = mapped_column(
        ForeignKey("serial_unit.id", ondelete="CASCADE"), index=True
    )
    sequence: Mapped[int] = mapped_column(Integer)
    material: Mapped[str] = mapped_column(String(64))
    lot: Mapped[str] = mapped_column(String(64), index=True)
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(8))


class UnitInspectionRow(TenantOwned, Base):
    """One quality test (B2MML QualityTest) of one unit at one operation."""

    __tablename__ = "unit_inspection"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[str] = mapped_column(
        ForeignKey("serial_unit.id", ondelete="CASCADE"), index=True
    )
    sequence: Mapped[int] = mapped_column(Integer)
    characteristic: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    low: Mapped[float | None] = mapped_column(Float)
    high: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column(Boolean)
    inspected_at: Mapped[datetime]


class SerialCounterRow(TenantOwned, Base):
    """The last serial number handed out per tenant and prefix (locked while counting)."""

    __tablename__ = "serial_counter"
    __table_args__ = (UniqueConstraint("tenant_id", "prefix", name="uq_serial_counter_prefix"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    prefix: Mapped[str] = mapped_column(String(16))
    last: Mapped[int] = mapped_column(Integer, default=0)


class MachineStateRow(Base):
    """A machine of the shared plant entered ``state`` at ``at`` (intervals are derived)."""

    __tablename__ = "machine_state_change"
    __table_args__ = (Index("ix_machine_state_change_machine_at", "machine", "at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    machine: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200), default="")


class ExecutionInboxRow(Base):
    """Shop-floor messages already applied, by message id: a redelivery is applied once.

    The key is ``{tenant}/{message id}`` (``-`` for the plant), so one tenant's ids can
    neither block nor reveal another's.
    """

    __tablename__ = "execution_inbox"

    message_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
