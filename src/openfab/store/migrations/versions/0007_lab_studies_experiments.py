"""lab studies and experiments

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openfab.store.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _common() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "lab_study",
        *_common(),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_study")),
        sa.UniqueConstraint("tenant_id", "name", name="uq_lab_study_tenant_name"),
    )
    op.create_table(
        "lab_experiment",
        *_common(),
        sa.Column("study_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("design", sa.JSON(), nullable=False),
        sa.Column("design_key", sa.String(length=16), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["lab_study.id"], name=op.f("fk_lab_experiment_study_id_lab_study")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_experiment")),
        sa.UniqueConstraint("study_id", "seq", name="uq_lab_experiment_seq"),
    )
    op.create_table(
        "lab_suggestion",
        *_common(),
        sa.Column("study_id", sa.String(length=36), nullable=False),
        sa.Column("designs", sa.JSON(), nullable=False),
        sa.Column("predicted", sa.JSON(), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("experiments_seen", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["lab_study.id"], name=op.f("fk_lab_suggestion_study_id_lab_study")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_suggestion")),
    )
    op.create_table(
        "lab_release",
        *_common(),
        sa.Column("study_id", sa.String(length=36), nullable=False),
        sa.Column("experiment_id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("product_code", sa.String(length=64), nullable=False),
        sa.Column("product_revision", sa.Integer(), nullable=False),
        sa.Column("specification", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["lab_study.id"], name=op.f("fk_lab_release_study_id_lab_study")
        ),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["lab_experiment.id"],
            name=op.f("fk_lab_release_experiment_id_lab_experiment"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_lab_release_product_id_product")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_release")),
    )
    indexes = {
        "lab_study": ["tenant_id"],
        "lab_experiment": ["tenant_id", "study_id", "design_key"],
        "lab_suggestion": ["tenant_id", "study_id"],
        "lab_release": ["tenant_id", "study_id", "product_id"],
    }
    for table, columns in indexes.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def downgrade() -> None:
    for table in ("lab_release", "lab_suggestion", "lab_experiment", "lab_study"):
        op.drop_table(table)
