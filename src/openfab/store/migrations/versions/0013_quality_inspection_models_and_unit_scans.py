"""quality: inspection models and unit scans

``inspection_model`` holds the plant's trained visual inspection models;
``quality_decision`` the quality autopilot's decisions; ``spc_alarm`` each
out-of-control signal raised (once per rule and point); ``unit_scan`` each unit's camera scans
and verdicts, tenant-owned like the genealogy (row-level security on
PostgreSQL, as migration 0010 set up for the other tenant tables).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openfab.store.types
from openfab.store.migrations.tenant_policy import protect, unprotect

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("unit_scan",)


def upgrade() -> None:
    op.create_table(
        "inspection_model",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("product", sa.String(length=64), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("trained_on", sa.Integer(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("installed_by", sa.String(length=200), nullable=False),
        sa.Column("installed_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_model")),
    )
    with op.batch_alter_table("inspection_model", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inspection_model_product"), ["product"], unique=False)

    op.create_table(
        "quality_decision",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_decision")),
    )
    op.create_index(
        "ix_quality_decision_subject", "quality_decision", ["kind", "subject", "decided_at"]
    )
    op.create_table(
        "spc_alarm",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("characteristic", sa.String(length=128), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("point_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("record", sa.String(length=36), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("machine", sa.String(length=64), nullable=False),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.Column("raised_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spc_alarm")),
        sa.UniqueConstraint("characteristic", "rule", "record", name="uq_spc_alarm_signal"),
    )
    with op.batch_alter_table("spc_alarm", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_spc_alarm_characteristic"), ["characteristic"], unique=False
        )

    op.create_table(
        "unit_scan",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("product", sa.String(length=64), nullable=False),
        sa.Column("machine", sa.String(length=64), nullable=False),
        sa.Column("message_key", sa.String(length=200), nullable=False),
        sa.Column("scanned_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=True),
        sa.Column("height", sa.LargeBinary(), nullable=True),
        sa.Column("height_um_per_count", sa.Float(), nullable=False),
        sa.Column("height_offset_um", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("verdict", sa.String(length=8), nullable=True),
        sa.Column("disposition", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("heat_map", sa.LargeBinary(), nullable=True),
        sa.Column("kept", sa.Boolean(), nullable=False),
        sa.Column("model_id", sa.String(length=36), nullable=True),
        sa.Column("inspected_at", openfab.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["serial_unit.id"],
            name=op.f("fk_unit_scan_unit_id_serial_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_scan")),
        sa.UniqueConstraint("message_key", name=op.f("uq_unit_scan_message_key")),
    )
    with op.batch_alter_table("unit_scan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_scan_serial"), ["serial"], unique=False)
        batch_op.create_index(batch_op.f("ix_unit_scan_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_unit_scan_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_unit_scan_unit_id"), ["unit_id"], unique=False)

    protect(TENANT_TABLES)


def downgrade() -> None:
    unprotect(TENANT_TABLES)
    with op.batch_alter_table("unit_scan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_scan_unit_id"))
        batch_op.drop_index(batch_op.f("ix_unit_scan_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_unit_scan_status"))
        batch_op.drop_index(batch_op.f("ix_unit_scan_serial"))

    op.drop_table("unit_scan")
    with op.batch_alter_table("spc_alarm", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spc_alarm_characteristic"))

    op.drop_table("spc_alarm")
    with op.batch_alter_table("inspection_model", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_model_product"))

    op.drop_table("inspection_model")
    op.drop_index("ix_quality_decision_subject", table_name="quality_decision")
    op.drop_table("quality_decision")
