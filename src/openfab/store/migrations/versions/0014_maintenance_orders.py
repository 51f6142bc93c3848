"""maintenance: machine health snapshots and maintenance orders

``machine_health`` holds each assessment of a machine from its telemetry (health index, RUL
with its interval, chance of failure, what cleaning found); ``maintenance_order`` the
maintenance orders with their evidence and the window booked in the plan. Both are plant
tables (no tenant's data), like ``machine_downtime``.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openfab.store.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "machine_health",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("machine", sa.String(length=64), nullable=False),
        sa.Column("work_center", sa.String(length=64), nullable=False),
        sa.Column("assessed_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("health", sa.Float(), nullable=False),
        sa.Column("drift", sa.Float(), nullable=False),
        sa.Column("alarm", sa.Boolean(), nullable=False),
        sa.Column("rul_hours", sa.Float(), nullable=True),
        sa.Column("rul_lower", sa.Float(), nullable=True),
        sa.Column("rul_upper", sa.Float(), nullable=True),
        sa.Column("failure_probability", sa.Float(), nullable=False),
        sa.Column("windows", sa.Integer(), nullable=False),
        sa.Column("readings", sa.Integer(), nullable=False),
        sa.Column("cleaning", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_machine_health")),
    )
    with op.batch_alter_table("machine_health", schema=None) as batch_op:
        batch_op.create_index(
            "ix_machine_health_machine_at", ["machine", "assessed_at"], unique=False
        )

    op.create_table(
        "maintenance_order",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("machine", sa.String(length=64), nullable=False),
        sa.Column("work_center", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("failure_probability", sa.Float(), nullable=False),
        sa.Column("rul_hours", sa.Float(), nullable=True),
        sa.Column("rul_lower", sa.Float(), nullable=True),
        sa.Column("rul_upper", sa.Float(), nullable=True),
        sa.Column("window_start", openfab.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("window_end", openfab.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("downtime_id", sa.String(length=36), nullable=True),
        sa.Column("spare_parts", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", openfab.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_order")),
        sa.UniqueConstraint("number", name=op.f("uq_maintenance_order_number")),
    )
    with op.batch_alter_table("maintenance_order", schema=None) as batch_op:
        batch_op.create_index(
            "ix_maintenance_order_machine_status", ["machine", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_maintenance_order_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("maintenance_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_maintenance_order_status"))
        batch_op.drop_index("ix_maintenance_order_machine_status")

    op.drop_table("maintenance_order")
    with op.batch_alter_table("machine_health", schema=None) as batch_op:
        batch_op.drop_index("ix_machine_health_machine_at")

    op.drop_table("machine_health")
