"""Tenant scoping is applied by the session, not by services."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from openfab.errors import Forbidden
from openfab.execution.orm import SerialCounterRow
from openfab.platform import Platform
from openfab.store import EventRecord
from openfab.store.events import entry_hash
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


# -- bulk inserts in a tenant scope: every row is checked ------------------------------------
def _counter(tenant: str | None, prefix: str) -> dict[str, object]:
    row: dict[str, object] = {"id": f"{prefix}-{tenant}", "prefix": prefix, "last": 0}
    if tenant is not None:
        row["tenant_id"] = tenant
    return row


def _counters(platform: Platform, scope: Scope) -> set[tuple[str, str]]:
    with platform.db.unit(scope, actor="t", readonly=True) as uow:
        rows = uow.session.execute(select(SerialCounterRow.tenant_id, SerialCounterRow.prefix))
        return {(t, p) for t, p in rows}


def test_a_bulk_insert_of_the_tenants_own_rows_is_let_through(platform: Platform) -> None:
    rows = [_counter("bulk-a", "BA1"), _counter("bulk-a", "BA2")]
    with platform.db.unit(Scope.tenant("bulk-a"), actor="t") as uow:
        uow.session.execute(insert(SerialCounterRow), rows)
    assert _counters(platform, Scope.tenant("bulk-a")) == {("bulk-a", "BA1"), ("bulk-a", "BA2")}


@pytest.mark.parametrize(
    "rows",
    [
        [_counter("bulk-a", "BX1"), _counter("bulk-b", "BX2")],  # one row of another tenant
        [_counter("bulk-b", "BX3")],
        [_counter(None, "BX4")],  # no tenant named: not stamped, refused
        [_counter("bulk-a", "BX5") | {"tenant_id": "BULK-A"}],
    ],
)
def test_a_bulk_insert_with_any_row_of_another_tenant_is_refused_whole(
    platform: Platform, rows: list[dict[str, object]]
) -> None:
    with pytest.raises(Forbidden), platform.db.unit(Scope.tenant("bulk-a"), actor="t") as uow:
        uow.session.execute(insert(SerialCounterRow), rows)
    prefixes = {p for _, p in _counters(platform, Scope.plant())}
    assert not prefixes & {"BX1", "BX2", "BX3", "BX4", "BX5"}


def test_inserts_the_row_check_cannot_see_are_refused(platform: Platform) -> None:
    table = SerialCounterRow.__table__
    other = select(EventRecord.type).limit(1).scalar_subquery()
    attempts: list[tuple[object, object]] = [
        (insert(SerialCounterRow).values(id="v1", tenant_id="bulk-b", prefix="V1", last=0), None),
        (insert(table).values(id="v2", tenant_id="bulk-b", prefix="V2", last=0), None),
        (
            insert(table).from_select(
                ["id", "tenant_id", "prefix", "last"],
                select(table.c.id, table.c.tenant_id, table.c.prefix, table.c.last),
            ),
            None,
        ),
        (
            sqlite_insert(SerialCounterRow).on_conflict_do_update(
                index_elements=["id"], set_={"last": 99}
            ),
            [_counter("bulk-a", "V3")],
        ),
        (insert(SerialCounterRow), [_counter("bulk-a", "V4") | {"prefix": other}]),
        (insert(SerialCounterRow), []),
    ]
    for statement, rows in attempts:
        with pytest.raises(Forbidden), platform.db.unit(Scope.tenant("bulk-a"), actor="t") as uow:
            uow.session.execute(statement, rows)  # type: ignore[call-overload]


def test_core_updates_and_deletes_stay_refused_in_a_tenant_scope(platform: Platform) -> None:
    table = SerialCounterRow.__table__
    for statement in (update(table).values(last=5), delete(table)):
        with pytest.raises(Forbidden), platform.db.unit(Scope.tenant("bulk-a"), actor="t") as uow:
            uow.session.execute(statement)


def test_the_events_of_a_tenant_unit_go_in_as_one_checked_bulk_insert(
    platform: Platform,
) -> None:
    with platform.db.unit(Scope.tenant("bulk-c"), actor="t") as uow:
        for n in range(3):
            uow.record("probe.written", "probe", f"p{n}", {"n": n})
    with platform.db.unit(Scope.tenant("bulk-c"), actor="t", readonly=True) as uow:
        rows = uow.session.scalars(select(EventRecord).order_by(EventRecord.seq)).all()
    assert [r.entity_id for r in rows] == ["p0", "p1", "p2"]
    assert {r.tenant_id for r in rows} == {"bulk-c"}
    assert all(entry_hash(r) == r.hash for r in rows)
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
