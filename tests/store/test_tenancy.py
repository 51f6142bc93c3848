"""Tenant scoping is applied by the session, not by services."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from openfab.errors import Forbidden
from openfab.platform import Platform
from openfab.store import EventRecord
from openfab.store.tenancy import Scope


def test_a_tenant_session_sees_only_its_own_rows(platform: Platform) -> None:
    for tenant in ("scope-a", "scope-b"):
        with platform.db.unit(Scope.tenant(tenant), actor="test") as uow:
            uow.record("probe.written", "probe", tenant, {})
    with platform.db.unit(Scope.tenant("scope-a"), actor="test", readonly=True) as uow:
        tenants = set(uow.session.scalars(select(EventRecord.tenant_id)).all())
    assert tenants == {"scope-a"}


def test_writing_a_row_for_another_tenant_is_refused(platform: Platform) -> None:
    with pytest.raises(Forbidden), platform.db.unit(Scope.tenant("scope-a"), actor="t") as uow:
        uow.record("probe.written", "probe", "x", {}, tenant_id="scope-b")
