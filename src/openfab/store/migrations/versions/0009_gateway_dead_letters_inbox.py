"""shop-floor gateway: dead letters; the inbox of applied messages

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openfab.store.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

When = openfab.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "floor_dead_letter",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("sender", sa.String(length=260), nullable=False),
        sa.Column("transport", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=True),
        sa.Column("type", sa.String(length=32), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", When, nullable=False),
        sa.Column("replayed_at", When, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("sender", "code", "received_at", "status"):
        op.create_index(f"ix_floor_dead_letter_{column}", "floor_dead_letter", [column])
    op.create_table(
        "message_inbox",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("applied_at", When, nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("message_inbox")
    op.drop_table("floor_dead_letter")
