"""orders: the delivery address a customer gives on the review step

The portal's review step asks where to deliver; the order keeps it (one line, at most 300
characters) so the customer's order page and the staff order record show it. ``sales_order``
is a tenant table with row-level security already: a new column needs no new policy.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sales_order") as batch:
        batch.add_column(sa.Column("delivery_address", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sales_order") as batch:
        batch.drop_column("delivery_address")
