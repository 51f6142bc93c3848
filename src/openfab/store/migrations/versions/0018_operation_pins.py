"""planning: a planner's pins (an operation held to a machine, not before a moment)

``operation_pin`` names one brand's order, so it is tenant-owned with row-level security,
like ``scheduled_operation``; only the plant's planners write and read it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openfab.store.types
from openfab.store.migrations.tenant_policy import protect, unprotect

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("operation_pin",)


def upgrade() -> None:
    op.create_table(
        "operation_pin",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("order_number", sa.String(length=32), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("machine", sa.String(length=64), nullable=False),
        sa.Column("not_before", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sales_order.id"],
            name=op.f("fk_operation_pin_order_id_sales_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operation_pin")),
        sa.UniqueConstraint("order_id", "sequence", name="uq_operation_pin_step"),
    )
    with op.batch_alter_table("operation_pin", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_operation_pin_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_operation_pin_tenant_id"), ["tenant_id"], unique=False)
    protect(TENANT_TABLES)


def downgrade() -> None:
    unprotect(TENANT_TABLES)
    with op.batch_alter_table("operation_pin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operation_pin_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_operation_pin_order_id"))
    op.drop_table("operation_pin")
