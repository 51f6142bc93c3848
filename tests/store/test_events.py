"""The event log is append-only and hash-chained; outbox events reach the bus after commit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from openfab.connect.bus import EventMessage, InProcessBus
from openfab.store import Database, verify_chain


@pytest.fixture
def db(fresh_database_url: str) -> Iterator[Database]:
    database = Database(fresh_database_url)
    database.migrate()
    yield database
    database.dispose()


def write(db: Database, n: int, *, tenant: str = "acme") -> None:
    for i in range(n):
        with db.unit(tenant_id=tenant, actor="test") as uow:
            uow.record("thing.happened", "thing", f"t{i}", {"i": i, "note": "ünïcode ✓"})


def audit(db: Database) -> tuple[bool, int | None, str]:
    with db.unit(tenant_id=None, actor="test", readonly=True) as uow:
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


def test_events_reach_the_bus_only_after_commit() -> None:
    bus = InProcessBus()
    seen: list[EventMessage] = []
    bus.subscribe("order.*", seen.append)
    db = Database("sqlite://", bus=bus)
    db.migrate()

    def fail_after_recording() -> None:
        with db.unit(tenant_id="acme", actor="test") as uow:
            uow.record("order.placed", "sales_order", "o1", {})
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        fail_after_recording()
    assert seen == []
    with db.unit(tenant_id="acme", actor="test") as uow:
        uow.record("order.placed", "sales_order", "o2", {})
        uow.record("product.created", "product", "p1", {})
        assert seen == []  # not before the commit
    assert [m.entity_id for m in seen] == ["o2"]
    assert audit(db)[0]  # the rolled-back event left no hole in the chain


def test_relay_resends_what_a_crash_left_unpublished(db: Database) -> None:
    write(db, 3)
    db.flush_cursor()
    sql(db, "UPDATE event_outbox_cursor SET last_seq = 1")  # as if we died after event 1
    seen: list[EventMessage] = []
    db.bus.subscribe("*", seen.append)
    assert db.relay() == 2
    assert [m.seq for m in seen] == [2, 3]
    assert db.relay() == 0


def test_a_failing_subscriber_does_not_break_the_writer(db: Database) -> None:
    def explode(_: EventMessage) -> None:
        raise ValueError("boom")

    db.bus.subscribe("*", explode)
    write(db, 2)
    assert audit(db)[0]
