"""co-creation ideas, votes and comments

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openfab.store.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "idea",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("base_product", sa.String(length=64), nullable=True),
        sa.Column("author_id", sa.String(length=36), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("product_code", sa.String(length=64), nullable=True),
        sa.Column("status_note", sa.String(length=500), nullable=False),
        sa.Column("updated_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["author_id"], ["app_user.id"], name=op.f("fk_idea_author_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idea")),
    )
    with op.batch_alter_table("idea", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idea_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_idea_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_idea_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "idea_vote",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("idea_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["idea.id"], name=op.f("fk_idea_vote_idea_id_idea"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_idea_vote_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idea_vote")),
        sa.UniqueConstraint("idea_id", "user_id", name="uq_idea_vote_idea_user"),
    )
    with op.batch_alter_table("idea_vote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idea_vote_idea_id"), ["idea_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_idea_vote_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "idea_comment",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("idea_id", sa.String(length=36), nullable=False),
        sa.Column("author_id", sa.String(length=36), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(length=2000), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["author_id"], ["app_user.id"], name=op.f("fk_idea_comment_author_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["idea.id"], name=op.f("fk_idea_comment_idea_id_idea"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idea_comment")),
    )
    with op.batch_alter_table("idea_comment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idea_comment_idea_id"), ["idea_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_idea_comment_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    for table in ("idea_comment", "idea_vote"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_tenant_id"))
            batch_op.drop_index(batch_op.f(f"ix_{table}_idea_id"))
        op.drop_table(table)
    with op.batch_alter_table("idea", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idea_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_idea_status"))
        batch_op.drop_index(batch_op.f("ix_idea_author_id"))
    op.drop_table("idea")
