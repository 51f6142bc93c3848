"""materials (MRP, inventory, purchasing)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openfab.store.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUANTITY = sa.Numeric(18, 6)


def _utc() -> openfab.store.types.UTCDateTime:
    return openfab.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "supplier",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_supplier")),
    )
    op.create_table(
        "supplier_item",
        sa.Column("supplier", sa.String(length=64), nullable=False),
        sa.Column("material", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.Column("price", sa.Numeric(14, 4), nullable=False),
        sa.Column("minimum_order", QUANTITY, nullable=False),
        sa.Column("lot_multiple", QUANTITY, nullable=False),
        sa.Column("capacity_per_period", QUANTITY, nullable=True),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["material"], ["material.code"], name=op.f("fk_supplier_item_material_material")
        ),
        sa.ForeignKeyConstraint(
            ["supplier"], ["supplier.code"], name=op.f("fk_supplier_item_supplier_supplier")
        ),
        sa.PrimaryKeyConstraint("supplier", "material", name=op.f("pk_supplier_item")),
    )
    op.create_table(
        "material_policy",
        sa.Column("material", sa.String(length=64), nullable=False),
        sa.Column("lot_sizing", sa.String(length=16), nullable=False),
        sa.Column("fixed_quantity", QUANTITY, nullable=True),
        sa.Column("ordering_cost", sa.Numeric(14, 2), nullable=True),
        sa.Column("holding_rate", sa.Numeric(6, 4), nullable=True),
        sa.Column("periods", sa.Integer(), nullable=True),
        sa.Column("safety_stock", QUANTITY, nullable=False),
        sa.ForeignKeyConstraint(
            ["material"], ["material.code"], name=op.f("fk_material_policy_material_material")
        ),
        sa.PrimaryKeyConstraint("material", name=op.f("pk_material_policy")),
    )
    op.create_table(
        "material_lot",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("material", sa.String(length=64), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("location", sa.String(length=64), nullable=False),
        sa.Column("quantity", QUANTITY, nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("purchase_order_id", sa.String(length=36), nullable=True),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["material"], ["material.code"], name=op.f("fk_material_lot_material_material")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material_lot")),
        sa.UniqueConstraint("material", "lot", "location", name="uq_material_lot_identity"),
    )
    op.create_index(op.f("ix_material_lot_material"), "material_lot", ["material"])
    op.create_table(
        "material_allocation",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("material", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("quantity", QUANTITY, nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["material"], ["material.code"], name=op.f("fk_material_allocation_material_material")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material_allocation")),
    )
    op.create_index(op.f("ix_material_allocation_material"), "material_allocation", ["material"])
    op.create_index(op.f("ix_material_allocation_order_id"), "material_allocation", ["order_id"])
    op.create_table(
        "inventory_move",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("material", sa.String(length=64), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("location", sa.String(length=64), nullable=False),
        sa.Column("quantity", QUANTITY, nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=True),
        sa.Column("purchase_order_id", sa.String(length=36), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("moved_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_move")),
    )
    for column in ("kind", "material", "order_id", "moved_at"):
        op.create_index(op.f(f"ix_inventory_move_{column}"), "inventory_move", [column])
    op.create_table(
        "material_plan_run",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("trigger", sa.String(length=200), nullable=False),
        sa.Column("plan_date", sa.Date(), nullable=False),
        sa.Column("work_orders", sa.Integer(), nullable=False),
        sa.Column("planned_orders", sa.Integer(), nullable=False),
        sa.Column("shortages", sa.Integer(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("purchase_value", sa.Numeric(14, 2), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material_plan_run")),
    )
    op.create_table(
        "purchase_order",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.Column("material", sa.String(length=64), nullable=False),
        sa.Column("supplier", sa.String(length=64), nullable=False),
        sa.Column("quantity", QUANTITY, nullable=False),
        sa.Column("received_quantity", QUANTITY, nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("unit_price", sa.Numeric(14, 4), nullable=False),
        sa.Column("value", sa.Numeric(14, 2), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("release_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("released_at", _utc(), nullable=True),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["material"], ["material.code"], name=op.f("fk_purchase_order_material_material")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["material_plan_run.id"],
            name=op.f("fk_purchase_order_run_id_material_plan_run"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["supplier"], ["supplier.code"], name=op.f("fk_purchase_order_supplier_supplier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order")),
        sa.UniqueConstraint("number", name=op.f("uq_purchase_order_number")),
    )
    for column in ("run_id", "material", "supplier", "status"):
        op.create_index(op.f(f"ix_purchase_order_{column}"), "purchase_order", [column])
    op.create_table(
        "purchase_peg",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("purchase_order_id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("order_number", sa.String(length=32), nullable=False),
        sa.Column("quantity", QUANTITY, nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_order.id"],
            name=op.f("fk_purchase_peg_purchase_order_id_purchase_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_peg")),
    )
    for column in ("purchase_order_id", "order_id", "tenant_id"):
        op.create_index(op.f(f"ix_purchase_peg_{column}"), "purchase_peg", [column])
    op.create_table(
        "material_message",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("purchase_order_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("material", sa.String(length=64), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("new_due_date", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["material_plan_run.id"],
            name=op.f("fk_material_message_run_id_material_plan_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material_message")),
    )
    op.create_index(op.f("ix_material_message_run_id"), "material_message", ["run_id"])
    op.create_table(
        "material_shortage",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("order_number", sa.String(length=32), nullable=False),
        sa.Column("material", sa.String(length=64), nullable=False),
        sa.Column("quantity", QUANTITY, nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("need_date", sa.Date(), nullable=False),
        sa.Column("available_date", sa.Date(), nullable=True),
        sa.Column("cause", sa.String(length=300), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["material_plan_run.id"],
            name=op.f("fk_material_shortage_run_id_material_plan_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material_shortage")),
    )
    for column in ("run_id", "order_id", "tenant_id"):
        op.create_index(op.f(f"ix_material_shortage_{column}"), "material_shortage", [column])


def downgrade() -> None:
    for table in (
        "material_shortage",
        "material_message",
        "purchase_peg",
        "purchase_order",
        "material_plan_run",
        "inventory_move",
        "material_allocation",
        "material_lot",
        "material_policy",
        "supplier_item",
        "supplier",
    ):
        op.drop_table(table)
