"""execution, telemetry ingest and dead letters

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openfab.store.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # --- connect: telemetry ---
    op.create_table(
        "telemetry_reading",
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=260), nullable=False),
        sa.Column("machine", sa.String(length=64), nullable=False),
        sa.Column("signal", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("ts", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_telemetry_reading")),
    )
    op.create_index(
        "ix_telemetry_reading_machine_signal_ts",
        "telemetry_reading",
        ["machine", "signal", "ts"],
        unique=False,
    )
    op.create_table(
        "dead_letter",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("topic", sa.String(length=300), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letter")),
    )
    op.create_index(op.f("ix_dead_letter_code"), "dead_letter", ["code"], unique=False)
    op.create_index(
        op.f("ix_dead_letter_received_at"), "dead_letter", ["received_at"], unique=False
    )
    # --- end connect: telemetry ---

    # --- execution ---
    op.create_table(
        "execution_inbox",
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_execution_inbox")),
    )
    op.create_table(
        "machine_state_change",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("machine", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_machine_state_change")),
    )
    op.create_index(
        "ix_machine_state_change_machine_at",
        "machine_state_change",
        ["machine", "at"],
        unique=False,
    )
    op.create_table(
        "serial_counter",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_serial_counter")),
        sa.UniqueConstraint("tenant_id", "prefix", name="uq_serial_counter_prefix"),
    )
    op.create_index(
        op.f("ix_serial_counter_tenant_id"), "serial_counter", ["tenant_id"], unique=False
    )
    op.create_table(
        "work_order",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("order_number", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("product_code", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("schedule_run_id", sa.String(length=36), nullable=True),
        sa.Column("replaces", sa.String(length=40), nullable=True),
        sa.Column("quantity_good", sa.Integer(), nullable=False),
        sa.Column("quantity_scrap", sa.Integer(), nullable=False),
        sa.Column("started_at", openfab.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", openfab.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sales_order.id"], name=op.f("fk_work_order_order_id_sales_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order")),
        sa.UniqueConstraint("tenant_id", "number", name="uq_work_order_number"),
    )
    op.create_index(op.f("ix_work_order_customer_id"), "work_order", ["customer_id"], unique=False)
    op.create_index(op.f("ix_work_order_number"), "work_order", ["number"], unique=False)
    op.create_index(op.f("ix_work_order_order_id"), "work_order", ["order_id"], unique=False)
    op.create_index(
        op.f("ix_work_order_order_number"), "work_order", ["order_number"], unique=False
    )
    op.create_index(op.f("ix_work_order_status"), "work_order", ["status"], unique=False)
    op.create_index(op.f("ix_work_order_tenant_id"), "work_order", ["tenant_id"], unique=False)
    op.create_table(
        "serial_unit",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("work_order_id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("product_code", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("first_pass", sa.Boolean(), nullable=False),
        sa.Column("reworked", sa.Boolean(), nullable=False),
        sa.Column("scrapped_at_sequence", sa.Integer(), nullable=True),
        sa.Column("scrap_reason", sa.String(length=200), nullable=False),
        sa.Column("completed_at", openfab.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("shipped_at", openfab.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", openfab.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sales_order.id"], name=op.f("fk_serial_unit_order_id_sales_order")
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_order.id"],
            name=op.f("fk_serial_unit_work_order_id_work_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_serial_unit")),
        sa.UniqueConstraint("tenant_id", "serial", name="uq_serial_unit_serial"),
    )
    op.create_index(
        op.f("ix_serial_unit_customer_id"), "serial_unit", ["customer_id"], unique=False
    )
    op.create_index(op.f("ix_serial_unit_order_id"), "serial_unit", ["order_id"], unique=False)
    op.create_index(op.f("ix_serial_unit_serial"), "serial_unit", ["serial"], unique=False)
    op.create_index(op.f("ix_serial_unit_status"), "serial_unit", ["status"], unique=False)
    op.create_index(op.f("ix_serial_unit_tenant_id"), "serial_unit", ["tenant_id"], unique=False)
    op.create_index(
        op.f("ix_serial_unit_work_order_id"), "serial_unit", ["work_order_id"], unique=False
    )
    op.create_table(
        "work_order_operation",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("work_order_id", sa.String(length=36), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("work_centers", sa.JSON(), nullable=False),
        sa.Column("setup_minutes", sa.Float(), nullable=False),
        sa.Column("run_minutes", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("planned_machine", sa.String(length=64), nullable=True),
        sa.Column("planned_start", openfab.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("planned_end", openfab.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("machine", sa.String(length=64), nullable=True),
        sa.Column("started_at", openfab.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", openfab.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("shift", sa.String(length=16), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("quantity_in", sa.Integer(), nullable=False),
        sa.Column("quantity_good", sa.Integer(), nullable=False),
        sa.Column("quantity_scrap", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_order.id"],
            name=op.f("fk_work_order_operation_work_order_id_work_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_operation")),
        sa.UniqueConstraint("work_order_id", "sequence", name="uq_work_order_operation_step"),
    )
    op.create_index(
        op.f("ix_work_order_operation_finished_at"),
        "work_order_operation",
        ["finished_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_work_order_operation_machine"), "work_order_operation", ["machine"], unique=False
    )
    op.create_index(
        op.f("ix_work_order_operation_tenant_id"),
        "work_order_operation",
        ["tenant_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_work_order_operation_work_order_id"),
        "work_order_operation",
        ["work_order_id"],
        unique=False,
    )
    op.create_table(
        "unit_inspection",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("characteristic", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("low", sa.Float(), nullable=True),
        sa.Column("high", sa.Float(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("inspected_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["serial_unit.id"],
            name=op.f("fk_unit_inspection_unit_id_serial_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_inspection")),
    )
    op.create_index(
        op.f("ix_unit_inspection_tenant_id"), "unit_inspection", ["tenant_id"], unique=False
    )
    op.create_index(
        op.f("ix_unit_inspection_unit_id"), "unit_inspection", ["unit_id"], unique=False
    )
    op.create_table(
        "unit_material",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("material", sa.String(length=64), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["serial_unit.id"],
            name=op.f("fk_unit_material_unit_id_serial_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_material")),
    )
    op.create_index(op.f("ix_unit_material_lot"), "unit_material", ["lot"], unique=False)
    op.create_index(
        op.f("ix_unit_material_tenant_id"), "unit_material", ["tenant_id"], unique=False
    )
    op.create_index(op.f("ix_unit_material_unit_id"), "unit_material", ["unit_id"], unique=False)
    op.create_table(
        "unit_operation",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("operation_id", sa.String(length=36), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("measurements", sa.JSON(), nullable=False),
        sa.Column("recorded_at", openfab.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["work_order_operation.id"],
            name=op.f("fk_unit_operation_operation_id_work_order_operation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["serial_unit.id"],
            name=op.f("fk_unit_operation_unit_id_serial_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_operation")),
    )
    op.create_index(
        op.f("ix_unit_operation_operation_id"), "unit_operation", ["operation_id"], unique=False
    )
    op.create_index(
        op.f("ix_unit_operation_tenant_id"), "unit_operation", ["tenant_id"], unique=False
    )
    op.create_index(op.f("ix_unit_operation_unit_id"), "unit_operation", ["unit_id"], unique=False)
    # --- end execution ---


def downgrade() -> None:
    # --- execution ---
    op.drop_index(op.f("ix_unit_operation_unit_id"), table_name="unit_operation")
    op.drop_index(op.f("ix_unit_operation_tenant_id"), table_name="unit_operation")
    op.drop_index(op.f("ix_unit_operation_operation_id"), table_name="unit_operation")
    op.drop_table("unit_operation")
    op.drop_index(op.f("ix_unit_material_unit_id"), table_name="unit_material")
    op.drop_index(op.f("ix_unit_material_tenant_id"), table_name="unit_material")
    op.drop_index(op.f("ix_unit_material_lot"), table_name="unit_material")
    op.drop_table("unit_material")
    op.drop_index(op.f("ix_unit_inspection_unit_id"), table_name="unit_inspection")
    op.drop_index(op.f("ix_unit_inspection_tenant_id"), table_name="unit_inspection")
    op.drop_table("unit_inspection")
    op.drop_index(op.f("ix_work_order_operation_work_order_id"), table_name="work_order_operation")
    op.drop_index(op.f("ix_work_order_operation_tenant_id"), table_name="work_order_operation")
    op.drop_index(op.f("ix_work_order_operation_machine"), table_name="work_order_operation")
    op.drop_index(op.f("ix_work_order_operation_finished_at"), table_name="work_order_operation")
    op.drop_table("work_order_operation")
    op.drop_index(op.f("ix_serial_unit_work_order_id"), table_name="serial_unit")
    op.drop_index(op.f("ix_serial_unit_tenant_id"), table_name="serial_unit")
    op.drop_index(op.f("ix_serial_unit_status"), table_name="serial_unit")
    op.drop_index(op.f("ix_serial_unit_serial"), table_name="serial_unit")
    op.drop_index(op.f("ix_serial_unit_order_id"), table_name="serial_unit")
    op.drop_index(op.f("ix_serial_unit_customer_id"), table_name="serial_unit")
    op.drop_table("serial_unit")
    op.drop_index(op.f("ix_work_order_tenant_id"), table_name="work_order")
    op.drop_index(op.f("ix_work_order_status"), table_name="work_order")
    op.drop_index(op.f("ix_work_order_order_number"), table_name="work_order")
    op.drop_index(op.f("ix_work_order_order_id"), table_name="work_order")
    op.drop_index(op.f("ix_work_order_number"), table_name="work_order")
    op.drop_index(op.f("ix_work_order_customer_id"), table_name="work_order")
    op.drop_table("work_order")
    op.drop_index(op.f("ix_serial_counter_tenant_id"), table_name="serial_counter")
    op.drop_table("serial_counter")
    op.drop_index("ix_machine_state_change_machine_at", table_name="machine_state_change")
    op.drop_table("machine_state_change")
    op.drop_table("execution_inbox")
    # --- end execution ---

    # --- connect: telemetry ---
    op.drop_index(op.f("ix_dead_letter_received_at"), table_name="dead_letter")
    op.drop_index(op.f("ix_dead_letter_code"), table_name="dead_letter")
    op.drop_table("dead_letter")
    op.drop_index("ix_telemetry_reading_machine_signal_ts", table_name="telemetry_reading")
    op.drop_table("telemetry_reading")
    # --- end connect: telemetry ---
