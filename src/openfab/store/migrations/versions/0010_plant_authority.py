"""the plant is its own authority: the plant's staff tenant; row-level security

The reserved tenant ``plant`` holds the plant's own staff. Brand users lose the plant roles
they could hold before (a brand's ``operator`` acted on the shared plant). On PostgreSQL every
tenant-owned table gets a row-level security policy, and units of work run as the role
``openfab_app`` (no BYPASSRLS) with ``openfab.tenant`` set per transaction (store.tenancy).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "openfab_app"
TENANT_TABLES = (
    "api_key",
    "app_user",
    "event_log",
    "idea",
    "idea_comment",
    "idea_vote",
    "lab_experiment",
    "lab_release",
    "lab_study",
    "lab_suggestion",
    "material_shortage",
    "product",
    "product_revision",
    "purchase_peg",
    "sales_order",
    "scheduled_operation",
    "serial_counter",
    "serial_unit",
    "unit_inspection",
    "unit_material",
    "unit_operation",
    "work_order",
    "work_order_operation",
)
BRAND_ROLES = {"customer", "engineer", "planner", "admin"}
SCOPE = (
    "current_setting('openfab.tenant', true) = '__plant__'"
    " OR tenant_id = current_setting('openfab.tenant', true)"
)


def upgrade() -> None:
    bind = op.get_bind()
    tenant = sa.table("tenant", sa.column("id"), sa.column("name"), sa.column("created_at"))
    exists = bind.execute(sa.text("SELECT 1 FROM tenant WHERE id = 'plant'")).first()
    if exists is None:
        op.execute(tenant.insert().values(id="plant", name="The plant", created_at=sa.func.now()))
    _keep_brand_roles(bind)
    if bind.dialect.name == "postgresql":
        _row_level_security()


def _keep_brand_roles(bind: sa.Connection) -> None:
    rows = bind.execute(sa.text("SELECT id, roles FROM app_user WHERE tenant_id <> 'plant'")).all()
    for user_id, raw in rows:
        roles = json.loads(raw) if isinstance(raw, str) else list(raw)
        kept = sorted(r for r in roles if r in BRAND_ROLES) or ["customer"]
        if kept != sorted(roles):
            bind.execute(
                sa.text("UPDATE app_user SET roles = :roles WHERE id = :id"),
                {"roles": json.dumps(kept), "id": user_id},
            )


def _row_level_security() -> None:
    op.execute(
        f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') THEN
            CREATE ROLE {ROLE} NOLOGIN NOBYPASSRLS;
          END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$;
        """
    )
    op.execute(
        f"""
        DO $$ BEGIN
          IF NOT pg_has_role(current_user, '{ROLE}', 'MEMBER') THEN
            EXECUTE format('GRANT {ROLE} TO %I', current_user);
          END IF;
        EXCEPTION WHEN others THEN
          RAISE WARNING 'cannot grant {ROLE}: row-level security stays off (%)', SQLERRM;
        END $$;
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {ROLE}")
    op.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {ROLE}")
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {ROLE}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {ROLE}"
    )
    for table in TENANT_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_scope ON {table} USING ({SCOPE}) WITH CHECK ({SCOPE})")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in TENANT_TABLES:
            op.execute(f"DROP POLICY IF EXISTS tenant_scope ON {table}")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM {ROLE}")
        op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM {ROLE}")
        op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {ROLE}")
        op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {ROLE}")
        op.execute(f"REVOKE USAGE ON SCHEMA public FROM {ROLE}")
    op.execute(
        "DELETE FROM tenant WHERE id = 'plant' AND NOT EXISTS "
        "(SELECT 1 FROM app_user WHERE tenant_id = 'plant')"
    )
