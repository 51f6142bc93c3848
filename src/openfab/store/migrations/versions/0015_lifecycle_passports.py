"""lifecycle: passports, field reports, warranty claims, recoveries, recovered lots

``passport``, ``passport_policy``, ``field_report``, ``warranty_claim`` and ``unit_recovery``
name one brand's unit and are tenant-owned (row-level security on PostgreSQL, as 0010 set up
for the other tenant tables); ``recovered_lot`` is plant-level like the stock it describes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openfab.store.types
from openfab.store.migrations.tenant_policy import protect, unprotect

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("passport", "passport_policy", "field_report", "warranty_claim", "unit_recovery")


def upgrade() -> None:
    op.create_table(
        "passport_policy",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("updated_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passport_policy")),
        sa.UniqueConstraint("tenant_id", name="uq_passport_policy_tenant"),
    )
    with op.batch_alter_table("passport_policy", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_passport_policy_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "recovered_lot",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("material", sa.String(length=64), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("quantity_kg", sa.Float(), nullable=False),
        sa.Column("recovered_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovered_lot")),
        sa.UniqueConstraint("material", "lot", name="uq_recovered_lot_identity"),
    )
    op.create_table(
        "field_report",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("report_id", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cycles", sa.Integer(), nullable=False),
        sa.Column("temperature_c", sa.Float(), nullable=False),
        sa.Column("capacity_ah", sa.Float(), nullable=True),
        sa.Column("soh_percent", sa.Float(), nullable=True),
        sa.Column("soh", sa.Float(), nullable=True),
        sa.Column("failure", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("received_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["serial_unit.id"],
            name=op.f("fk_field_report_unit_id_serial_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_report")),
        sa.UniqueConstraint("tenant_id", "report_id", name="uq_field_report_id"),
    )
    with op.batch_alter_table("field_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_field_report_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_field_report_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "passport",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("product_code", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("return_reason", sa.String(length=200), nullable=False),
        sa.Column("returned_at", openfab.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["serial_unit.id"],
            name=op.f("fk_passport_unit_id_serial_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passport")),
        sa.UniqueConstraint("unit_id", name=op.f("uq_passport_unit_id")),
    )
    with op.batch_alter_table("passport", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_passport_serial"), ["serial"], unique=False)
        batch_op.create_index(batch_op.f("ix_passport_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "unit_recovery",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("route", sa.String(length=32), nullable=False),
        sa.Column("elements", sa.JSON(), nullable=False),
        sa.Column("overall_rate", sa.Float(), nullable=False),
        sa.Column("lots", sa.JSON(), nullable=False),
        sa.Column("recovered_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["serial_unit.id"],
            name=op.f("fk_unit_recovery_unit_id_serial_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_recovery")),
        sa.UniqueConstraint("unit_id", name=op.f("uq_unit_recovery_unit_id")),
    )
    with op.batch_alter_table("unit_recovery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_recovery_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "warranty_claim",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("claim_id", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("symptom", sa.String(length=200), nullable=False),
        sa.Column("product_code", sa.String(length=64), nullable=False),
        sa.Column("design_revision", sa.Integer(), nullable=False),
        sa.Column("at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["serial_unit.id"],
            name=op.f("fk_warranty_claim_unit_id_serial_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warranty_claim")),
        sa.UniqueConstraint("tenant_id", "claim_id", name="uq_warranty_claim_id"),
    )
    with op.batch_alter_table("warranty_claim", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_warranty_claim_product_code"), ["product_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_warranty_claim_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_warranty_claim_unit_id"), ["unit_id"], unique=False)

    protect(TENANT_TABLES)


def downgrade() -> None:
    unprotect(TENANT_TABLES)
    with op.batch_alter_table("warranty_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_warranty_claim_unit_id"))
        batch_op.drop_index(batch_op.f("ix_warranty_claim_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_warranty_claim_product_code"))

    op.drop_table("warranty_claim")
    with op.batch_alter_table("unit_recovery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_recovery_tenant_id"))

    op.drop_table("unit_recovery")
    with op.batch_alter_table("passport", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_passport_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_passport_serial"))

    op.drop_table("passport")
    with op.batch_alter_table("field_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_field_report_unit_id"))
        batch_op.drop_index(batch_op.f("ix_field_report_tenant_id"))

    op.drop_table("field_report")
    op.drop_table("recovered_lot")
    with op.batch_alter_table("passport_policy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_passport_policy_tenant_id"))

    op.drop_table("passport_policy")
