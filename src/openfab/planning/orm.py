"""Tables of persisted schedules (ISA-95 OperationsSchedule) and their operations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openfab.store.base import Base, TenantOwned, Timestamped, new_id


class ScheduleRunRow(Timestamped, Base):
    """One plan of the shared plant (all tenants' orders compete for the same machines)."""

    __tablename__ = "schedule_run"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    trigger: Mapped[str] = mapped_column(String(200))
    objective: Mapped[str] = mapped_column(String(16))
    origin: Mapped[datetime]
    makespan_minutes: Mapped[int] = mapped_column(Integer)
    weighted_tardiness: Mapped[int] = mapped_column(Integer)
    operations: Mapped[int] = mapped_column(Integer)
    orders: Mapped[int] = mapped_column(Integer)
    moved: Mapped[int] = mapped_column(Integer, default=0)
    solve_seconds: Mapped[float]


class ScheduledOperationRow(TenantOwned, Base):
    """An operation of one tenant's order placed on a machine; tenants see only theirs."""

    __tablename__ = "scheduled_operation"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(
        ForeignKey("schedule_run.id", ondelete="CASCADE"), index=True
    )
    order_id: Mapped[str] = mapped_column(ForeignKey("sales_order.id"), index=True)
    order_number: Mapped[str] = mapped_column(String(32))
    sequence: Mapped[int] = mapped_column(Integer)
    work_center: Mapped[str] = mapped_column(String(64))
    machine: Mapped[str] = mapped_column(String(64), index=True)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200))


class MachineDowntimeRow(Timestamped, Base):
    """A window in which a machine of the shared plant cannot work (breakdown, maintenance)."""

    __tablename__ = "machine_downtime"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    machine: Mapped[str] = mapped_column(String(64), index=True)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200))


class OperationPinRow(TenantOwned, Timestamped, Base):
    """A planner's pin: one step of an order held to a machine, not before a moment, in
    every re-plan until the order leaves the open set or the planner releases it. Stored
    under the order's brand (row-level security), written and read by the plant only."""

    __tablename__ = "operation_pin"
    __table_args__ = (UniqueConstraint("order_id", "sequence", name="uq_operation_pin_step"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(
        ForeignKey("sales_order.id", ondelete="CASCADE"), index=True
    )
    order_number: Mapped[str] = mapped_column(String(32))
    sequence: Mapped[int] = mapped_column(Integer)
    machine: Mapped[str] = mapped_column(String(64))
    not_before: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
