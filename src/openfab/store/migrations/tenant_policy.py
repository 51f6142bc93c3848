"""Row-level security for tenant tables that later migrations add (0010 set up the role and
the first tables): one policy, ``tenant_scope``, lets a transaction see and write only the
rows of the tenant it runs for, or every row when it runs for the plant."""

from __future__ import annotations

from collections.abc import Iterable

from alembic import op

SCOPE = (
    "current_setting('openfab.tenant', true) = '__plant__'"
    " OR tenant_id = current_setting('openfab.tenant', true)"
)


def protect(tables: Iterable[str]) -> None:
    """Turn row-level security on for ``tables`` (PostgreSQL; other backends have none)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_scope ON {table} USING ({SCOPE}) WITH CHECK ({SCOPE})")


def unprotect(tables: Iterable[str]) -> None:
    """Drop the policy of ``tables`` (before the tables themselves are dropped)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        op.execute(f"DROP POLICY IF EXISTS tenant_scope ON {table}")
