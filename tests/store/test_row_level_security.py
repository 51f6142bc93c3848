"""The two walls between tenants: the session's filter (every backend) and PostgreSQL
row-level security (a transaction in a tenant scope cannot see or write another tenant's rows,
even with SQL that never passed the ORM)."""

from __future__ import annotations

import importlib
import uuid

import psycopg
import pytest
from sqlalchemy import func, insert, select, update

import openfab.models  # noqa: F401  (every table on Base.metadata)
from openfab.errors import Forbidden
from openfab.platform import Platform
from openfab.store import Base, Database, EventRecord
from openfab.store.relay import Relay
from openfab.store.tenancy import Scope, tenant_tables
from tests.conftest import PG_ADMIN
from tests.store.test_relay import Recorder

POLICIES = importlib.import_module("openfab.store.migrations.versions.0010_plant_authority")
LATER_POLICIES = [
    importlib.import_module(f"openfab.store.migrations.versions.{name}")
    for name in (
        "0013_quality_inspection_models_and_unit_scans",
        "0015_lifecycle_passports",
        "0018_operation_pins",
    )
]

PLANT_TABLES = {
    "tenant": "the tenants themselves (read to resolve a sign-in)",
    "platform_secret": "the platform's own generated secrets",
    "work_center": "the shared plant's machines, the same for every brand",
    "material": "the plant's material master, bought for every brand",
    "supplier": "the plant's suppliers",
    "supplier_item": "what the plant's suppliers sell",
    "material_policy": "how the plant buys each material (plant planners only)",
    "inspection_model": "the plant's visual inspection models, trained on its own units",
    "spc_alarm": "out-of-control signals of the plant's process values, no serials",
    "quality_decision": "the quality autopilot's decisions on the plant's machines and lots",
    "machine_health": "each machine's health and RUL from its telemetry, no order data",
    "maintenance_order": "maintenance of the plant's shared machines, no order data",
    "material_expected_use": "the plant planner's expected material use per day, no order data",
    "material_lot": "stock in the plant's stores, shared by every brand's work",
    "recovered_lot": "which of the plant's lots are recovered material, no unit or brand",
    "material_allocation": "stock reserved for work orders, a plant record",
    "inventory_move": "stock moves, made by the plant's staff only",
    "material_plan_run": "MRP runs over the whole plant",
    "purchase_order": "the plant buys; brands see only their shortages",
    "material_message": "MRP's reschedule messages for the plant's purchase orders",
    "schedule_run": "one schedule for the shared machines",
    "machine_downtime": "the plant's machine calendar",
    "machine_state_change": "what the plant's machines reported",
    "telemetry_reading": "machine telemetry, no order data",
    "dead_letter": "telemetry the ingest refused (plant staff)",
    "floor_dead_letter": "shop-floor messages the gateway refused (plant staff)",
    "message_inbox": "ids of applied shop-floor messages (idempotency)",
    "execution_inbox": "ids of applied MES messages (idempotency)",
    "order_load": "capacity an open order needs per work center, no customer data",
    "event_chain_head": "the head of the one hash chain",
    "event_outbox_cursor": "each relay consumer's position in the event log",
    "alembic_version": "the schema's migration state",
    "login_throttle": "failed sign-ins per account and address, before any tenant is known",
}


def test_every_table_is_tenant_owned_or_a_reasoned_plant_table() -> None:
    tables = set(Base.metadata.tables) | {"alembic_version"}
    owned = tenant_tables()
    neither = tables - owned - set(PLANT_TABLES)
    assert not neither, f"tables neither tenant-owned nor on the allow-list: {sorted(neither)}"
    assert not owned & set(PLANT_TABLES), "a tenant-owned table is on the plant's allow-list"
    assert not set(PLANT_TABLES) - tables, "the allow-list names tables that no longer exist"


def test_every_tenant_table_has_a_row_level_security_policy() -> None:
    with_policy = set(POLICIES.TENANT_TABLES).union(*(m.TENANT_TABLES for m in LATER_POLICIES))
    assert with_policy == tenant_tables()


def _two_tenants(platform: Platform) -> None:
    for tenant in ("rls-a", "rls-b"):
        with platform.db.unit(Scope.tenant(tenant), actor="test") as uow:
            uow.record("probe.written", "probe", tenant, {"secret": tenant})


def test_core_statements_on_tenant_tables_are_refused_in_a_tenant_scope(
    platform: Platform,
) -> None:
    table = EventRecord.__table__
    attempts = [
        select(table.c.payload),
        update(table).values(type="x"),
        insert(EventRecord).values(type="x", entity_type="x", entity_id="x"),
    ]
    for statement in attempts:
        with pytest.raises(Forbidden), platform.db.unit(Scope.tenant("rls-a"), actor="t") as uow:
            uow.session.execute(statement)


def test_orm_queries_still_work_in_a_tenant_scope(platform: Platform) -> None:
    _two_tenants(platform)
    with platform.db.unit(Scope.tenant("rls-a"), actor="t", readonly=True) as uow:
        count = uow.session.scalar(select(func.count()).select_from(EventRecord))
        tenants = set(uow.session.scalars(select(EventRecord.tenant_id)))
    assert count and tenants == {"rls-a"}


def test_the_plant_scope_reads_every_tenant(platform: Platform) -> None:
    _two_tenants(platform)
    with platform.db.unit(Scope.plant(), actor="t", readonly=True) as uow:
        tenants = set(uow.session.scalars(select(EventRecord.tenant_id).distinct()))
    assert {"rls-a", "rls-b"} <= tenants


@pytest.mark.postgres
def test_raw_sql_in_a_tenant_scope_sees_only_its_rows_on_postgresql(platform: Platform) -> None:
    if platform.db.is_sqlite:
        pytest.skip("row-level security is PostgreSQL's")
    assert platform.db.row_level_security
    _two_tenants(platform)
    with platform.db.unit(Scope.tenant("rls-a"), actor="t", readonly=True) as uow:
        raw = uow.session.connection().exec_driver_sql("SELECT DISTINCT tenant_id FROM event_log")
        assert {r[0] for r in raw} == {"rls-a"}


@pytest.mark.postgres
def test_raw_sql_cannot_write_another_tenants_row_on_postgresql(platform: Platform) -> None:
    if platform.db.is_sqlite:
        pytest.skip("row-level security is PostgreSQL's")
    _two_tenants(platform)
    with platform.db.unit(Scope.tenant("rls-a"), actor="t") as uow:
        changed = uow.session.connection().exec_driver_sql(
            "UPDATE event_log SET actor = 'mallory' WHERE tenant_id = 'rls-b'"
        )
        assert changed.rowcount == 0
    sql = "INSERT INTO serial_counter (id, tenant_id, prefix, last) VALUES ('x', 'rls-b', 'X', 0)"
    with (
        pytest.raises(Exception, match="row-level security"),
        platform.db.unit(Scope.tenant("rls-a"), actor="t") as uow,
    ):
        uow.session.connection().exec_driver_sql(sql)


@pytest.mark.postgres
def test_a_transaction_without_a_scope_sees_no_tenant_rows_on_postgresql(
    platform: Platform,
) -> None:
    """Fail closed: the role without ``openfab.tenant`` set reads nothing of any tenant."""
    if platform.db.is_sqlite:
        pytest.skip("row-level security is PostgreSQL's")
    _two_tenants(platform)
    with platform.db.engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL ROLE openfab_app")
        assert conn.exec_driver_sql("SELECT count(*) FROM event_log").scalar() == 0


@pytest.mark.postgres
def test_a_least_privilege_login_works_under_row_level_security(platform: Platform) -> None:
    """Production logs in as neither the tables' owner nor a superuser: every unit of work and
    the relay (plain rows, outside the ORM) still see what their scope allows, and no more."""
    if platform.db.is_sqlite:
        pytest.skip("row-level security is PostgreSQL's")
    login = f"openfab_login_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {login} LOGIN NOSUPERUSER NOBYPASSRLS")
        admin.execute(f"GRANT openfab_app TO {login}")
    scheme, rest = platform.db.url.split("://", 1)
    db = Database(f"{scheme}://{login}@{rest.split('@', 1)[1]}")
    try:
        assert db.row_level_security
        for tenant in ("lp-a", "lp-b"):
            with db.unit(Scope.tenant(tenant), actor="test") as uow:
                uow.record("probe.written", "probe", tenant, {})
        with db.unit(Scope.tenant("lp-a"), actor="t", readonly=True) as uow:
            assert set(uow.session.scalars(select(EventRecord.tenant_id))) == {"lp-a"}
        recorder = Recorder(name=f"least-privilege-{login}")
        relay = Relay(db, recorder, start="end")
        relay.position()  # from the log's end: the shared log holds other tests' events
        for tenant in ("lp-a", "lp-b"):
            with db.unit(Scope.tenant(tenant), actor="test") as uow:
                uow.record("probe.written", "probe", tenant, {"after": True})
        drained = relay.drain()
        relay.close()
        tenants = {m.tenant_id for m in recorder.seen}
        assert drained == 2
        assert tenants == {"lp-a", "lp-b"}
    finally:
        db.dispose()
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f"REVOKE openfab_app FROM {login}")
            admin.execute(f"DROP ROLE IF EXISTS {login}")
