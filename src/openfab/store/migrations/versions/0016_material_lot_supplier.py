"""materials: the supplier of a lot received without a purchase order

A lot bought through a purchase order knows its supplier by that order; stock received
otherwise (the opening stock when the plant goes live, a consignment, a transfer) carries the
supplier the receiving dock read from the delivery note, so every lot's origin is on record
(the battery passport's supply-chain section needs it).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("material_lot") as batch:
        batch.add_column(sa.Column("supplier", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("material_lot") as batch:
        batch.drop_column("supplier")
