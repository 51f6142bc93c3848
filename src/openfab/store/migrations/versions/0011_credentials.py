"""credentials and quotas: API keys' last four characters and grant, login throttling

Keys issued before keep working but may no longer issue keys (``can_issue_keys`` false) and
show no last four characters. ``login_throttle`` counts failed sign-ins per account and per
client address across every server process (digests only, no e-mail or address). An index on
``sales_order (tenant_id, created_at)`` keeps the orders-per-minute quota one index range.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openfab.store.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

When = openfab.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("api_key") as batch_op:
        batch_op.add_column(sa.Column("last_four", sa.String(length=4), nullable=True))
        batch_op.add_column(
            sa.Column("can_issue_keys", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("api_key") as batch_op:
        batch_op.alter_column("can_issue_keys", server_default=None)
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", When, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    op.create_index(
        op.f("ix_login_throttle_window_start"), "login_throttle", ["window_start"], unique=False
    )
    op.create_index(
        "ix_sales_order_tenant_id_created_at",
        "sales_order",
        ["tenant_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_sales_order_tenant_id_created_at", table_name="sales_order")
    op.drop_index(op.f("ix_login_throttle_window_start"), table_name="login_throttle")
    op.drop_table("login_throttle")
    with op.batch_alter_table("api_key") as batch_op:
        batch_op.drop_column("can_issue_keys")
        batch_op.drop_column("last_four")
