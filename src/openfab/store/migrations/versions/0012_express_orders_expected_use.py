"""express orders and the planner's expected material use

``sales_order.express`` marks a rush order (a surcharge for a shorter promise and priority in
the plan); ``order_load.express`` lets an express promise queue behind the other express
orders' load only. ``material_expected_use`` holds the plant planner's expected use per
material per day: the prior demand sensing forecasts from before order history exists.
Existing orders are standard (false).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openfab.store.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

When = openfab.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    for table in ("sales_order", "order_load"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(
                sa.Column("express", sa.Boolean(), nullable=False, server_default=sa.false())
            )
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("express", server_default=None)
    op.create_table(
        "material_expected_use",
        sa.Column("material", sa.String(length=64), nullable=False),
        sa.Column("per_day", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.ForeignKeyConstraint(
            ["material"],
            ["material.code"],
            name=op.f("fk_material_expected_use_material_material"),
        ),
        sa.PrimaryKeyConstraint("material", name=op.f("pk_material_expected_use")),
    )


def downgrade() -> None:
    op.drop_table("material_expected_use")
    for table in ("order_load", "sales_order"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("express")
