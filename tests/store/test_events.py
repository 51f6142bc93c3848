"""The event log is append-only and hash-chained; consumers follow it (test_relay)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from openfab.store import Database, verify_chain
from openfab.store.tenancy import Scope


@pytest.fixture
def db(fresh_database_url: str) -> Iterator[Database]:
    database = Database(fresh_database_url)
    database.migrate()
    yield database
    database.dispose()


def write(db: Database, n: int, *, tenant: str = "acme") -> None:
    for i in range(n):
        with db.unit(Scope.tenant(tenant), actor="test") as uow:
            uow.record("thing.happened", "thing", f"t{i}", {"i": i, "note": "ünïcode ✓"})


def audit(db: Database) -> tuple[bool, int | None, str]:
    with db.unit(Scope.plant(), actor="test", readonly=True) as uow:
        report = verify_chain(uow.session)
    broken = report.first_break
    return report.ok, broken.seq if broken else None, broken.reason if broken else ""


def sql(db: Database, statement: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(statement))


def test_an_untouched_chain_verifies(db: Database) -> None:
    write(db, 5)
    assert audit(db) == (True, None, "")


def test_an_edited_payload_is_found(db: Database) -> None:
    write(db, 5)
    sql(db, "UPDATE event_log SET payload = '{\"i\": 99}' WHERE seq = 3")
    ok, seq, reason = audit(db)
    assert (ok, seq) == (False, 3)
    assert "edited" in reason


def test_an_edited_actor_is_found(db: Database) -> None:
    write(db, 4)
    sql(db, "UPDATE event_log SET actor = 'mallory' WHERE seq = 2")
    assert audit(db)[:2] == (False, 2)


def test_a_deleted_entry_is_found_at_its_successor(db: Database) -> None:
    write(db, 5)
    sql(db, "DELETE FROM event_log WHERE seq = 2")
    ok, seq, reason = audit(db)
    assert (ok, seq) == (False, 3)
    assert "deleted or inserted" in reason


def test_a_deleted_last_entry_is_found_by_the_chain_head(db: Database) -> None:
    write(db, 5)
    sql(db, "DELETE FROM event_log WHERE seq = 5")
    ok, seq, reason = audit(db)
    assert (ok, seq) == (False, None)
    assert "removed" in reason


def test_an_inserted_entry_is_found(db: Database) -> None:
    write(db, 3)
    sql(
        db,
        "INSERT INTO event_log (seq, event_id, type, tenant_id, entity_type, entity_id, payload,"
        " actor, occurred_at, prev_hash, hash) SELECT 100, 'forged', type, tenant_id, entity_type,"
        " entity_id, payload, actor, occurred_at, hash, hash FROM event_log WHERE seq = 3",
    )
    ok, seq, _ = audit(db)
    assert (ok, seq) == (False, 100)
