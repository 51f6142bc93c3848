"""The one place that scopes data: to one tenant (a brand), or to the plant.

Every unit of work carries an explicit ``Scope``. In a tenant scope a listener adds
``tenant_id = :tenant`` to every ORM query of a ``TenantOwned`` class, another stamps the
tenant on every new row and refuses rows of another tenant, and statements that would slip past
the ORM filter (core statements on a tenant table) are refused. A bulk insert of tenant rows
(``session.execute(insert(Model), rows)``) is let through only when every row names the
scope's tenant: the rows are checked one by one, as the flush checks ORM rows. The plant scope
runs the shared plant: it reads every tenant's rows (planning needs them) and writes tenant rows
only when it names their tenant. On PostgreSQL, row-level security is the second wall: each
transaction sets its scope (``SET LOCAL``) under a role without ``BYPASSRLS`` (migration 0010).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Insert, Table, event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, with_loader_criteria
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.util import find_tables

from openfab.errors import Forbidden
from openfab.store.base import Base, TenantOwned

SCOPE_KEY = "scope"
PLANT_SETTING = "__plant__"
"""The value of ``openfab.tenant`` in a plant-scope transaction (no tenant id may take it)."""
APP_ROLE = "openfab_app"
"""The PostgreSQL role every unit of work runs as: it holds no ``BYPASSRLS``."""


@dataclass(frozen=True)
class Scope:
    """Whose data a unit of work may touch: one tenant's, or the plant's."""

    tenant_id: str | None

    @classmethod
    def tenant(cls, tenant_id: str) -> Scope:
        if not tenant_id or tenant_id == PLANT_SETTING:
            raise Forbidden(f"not a tenant: {tenant_id!r}")
        return cls(tenant_id)

    @classmethod
    def plant(cls) -> Scope:
        return cls(None)

    @property
    def is_plant(self) -> bool:
        return self.tenant_id is None

    @property
    def setting(self) -> str:
        """The value of ``openfab.tenant`` that row-level security compares with."""
        return PLANT_SETTING if self.tenant_id is None else self.tenant_id


def scope_session(session: Session, scope: Scope) -> None:
    session.info[SCOPE_KEY] = scope


def session_scope(session: Session) -> Scope:
    scope = session.info.get(SCOPE_KEY)
    if not isinstance(scope, Scope):
        raise Forbidden("session has no scope")
    return scope


def session_tenant(session: Session) -> str | None:
    """The session's tenant; ``None`` in the plant scope."""
    return session_scope(session).tenant_id


def tenant_tables() -> frozenset[str]:
    """Names of every tenant-owned table: the ones with a ``tenant_id`` column, which the
    filter and row-level security guard."""
    return frozenset(t.name for t in Base.metadata.tables.values() if _is_tenant_table(t))


def _is_tenant_table(clause: Any) -> bool:
    return isinstance(clause, Table) and "tenant_id" in clause.c


@event.listens_for(Session, "do_orm_execute")
def _filter_by_tenant(state: ORMExecuteState) -> None:
    tenant = session_tenant(state.session)
    if tenant is None:
        return
    _refuse_unfiltered(state, tenant)
    if not (state.is_select or state.is_update or state.is_delete):
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantOwned,
            lambda cls: cls.tenant_id == tenant,
            include_aliases=True,
        )
    )


def _refuse_unfiltered(state: ORMExecuteState, tenant: str) -> None:
    """In a tenant scope, refuse what the ORM filter cannot see: core statements
    (``Model.__table__``, ``text``) on a tenant table, and inserts other than a bulk insert
    whose every row names ``tenant`` (``_check_bulk_insert``)."""
    statement = state.statement
    assert isinstance(statement, ClauseElement)
    guarded = {t.name for t in find_tables(statement, include_crud=True) if _is_tenant_table(t)}
    if not guarded:
        return
    if state.is_insert:
        _check_bulk_insert(state, tenant, guarded)
        return
    if statement._propagate_attrs.get("compile_state_plugin") != "orm":
        names = ", ".join(sorted(guarded))
        raise Forbidden(f"statement on tenant table(s) {names} bypasses the tenant filter")


def _check_bulk_insert(state: ORMExecuteState, tenant: str, guarded: set[str]) -> None:
    """A plain ``insert(Model)`` executed with its rows as parameters, each naming the scope's
    tenant, may write a tenant table; anything else is refused: values inlined in the
    statement (or taken from a SELECT) that no row check sees, an upsert (``ON CONFLICT DO
    UPDATE`` would change a row that is not new), a row without ``tenant_id`` or with
    another tenant's."""
    names = ", ".join(sorted(guarded))
    statement = state.statement
    plain = (
        isinstance(statement, Insert)
        and not statement._values
        and not statement._multi_values
        and statement.select is None
        and statement._post_values_clause is None  # a dialect's upsert (ON CONFLICT …)
        and len(guarded) == 1
    )
    if not plain:
        raise Forbidden(f"insert into tenant table(s) {names} bypasses the tenant check")
    params = state.parameters
    rows = [params] if isinstance(params, Mapping) else list(params or ())
    if not rows:
        raise Forbidden(f"insert into tenant table {names} without rows to check")
    for row in rows:
        if not isinstance(row, Mapping) or row.get("tenant_id") != tenant:
            raise Forbidden(f"a row of tenant table {names} may not be written for another tenant")
        if any(isinstance(value, ClauseElement) for value in row.values()):
            raise Forbidden(f"a row of tenant table {names} may carry values, not SQL")


@event.listens_for(Session, "before_flush")
def _stamp_tenant(session: Session, _flush_context: Any, _instances: Any) -> None:
    tenant = session_tenant(session)
    for obj in session.new:
        if not isinstance(obj, TenantOwned):
            continue
        if obj.tenant_id is None:
            if tenant is None and getattr(obj, "platform_rows_allowed", False):
                continue
            if tenant is None:
                raise Forbidden(f"{type(obj).__name__} needs a tenant")
            obj.tenant_id = tenant
        elif tenant is not None and obj.tenant_id != tenant:
            raise Forbidden("a row may not be written for another tenant")
    if tenant is not None:
        for obj in session.dirty:
            if isinstance(obj, TenantOwned) and obj.tenant_id != tenant:
                raise Forbidden("a row of another tenant may not be changed")


@event.listens_for(Session, "after_begin")
def _set_database_scope(session: Session, _tx: SessionTransaction, conn: Connection) -> None:
    """PostgreSQL: run the transaction as the unprivileged role, in its scope (both reset at
    commit), so row-level security holds even for SQL that never passed the ORM."""
    if conn.dialect.name != "postgresql" or not session.info.get("row_level_security"):
        return
    set_database_scope(conn, session_scope(session))


def set_database_scope(conn: Connection, scope: Scope) -> None:
    """PostgreSQL: this transaction runs as ``APP_ROLE`` in ``scope`` (both reset at its end)."""
    conn.exec_driver_sql(
        "SELECT set_config('role', %s, true), set_config('openfab.tenant', %s, true)",
        (APP_ROLE, scope.setting),
    )
