"""The one place that scopes data to a tenant.

Every session carries the acting tenant in ``session.info``. A listener adds
``tenant_id = :tenant`` to every ORM query of a ``TenantOwned`` class, and another stamps the
tenant on every new row and refuses rows of another tenant. Cross-tenant reads are therefore
impossible by construction: no service writes (or can forget) the filter.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from openfab.errors import Forbidden
from openfab.store.base import TenantOwned

TENANT_KEY = "tenant_id"
PLATFORM = "__platform__"


def scope_session(session: Session, tenant_id: str | None) -> None:
    """Bind a session to one tenant; ``None`` means the platform itself (sees every tenant)."""
    session.info[TENANT_KEY] = PLATFORM if tenant_id is None else tenant_id


def session_tenant(session: Session) -> str | None:
    value = session.info.get(TENANT_KEY)
    if value is None:
        raise Forbidden("session has no tenant scope")
    return None if value == PLATFORM else str(value)


@event.listens_for(Session, "do_orm_execute")
def _filter_by_tenant(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    tenant = session_tenant(state.session)
    if tenant is None:
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantOwned,
            lambda cls: cls.tenant_id == tenant,
            include_aliases=True,
        )
    )


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
