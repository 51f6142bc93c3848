"""The event backbone: consumers follow the log after commit, each with its own durable cursor,
at least once, and two copies of a consumer never handle the same events."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pytest

from openfab.connect.bus import EventMessage
from openfab.store import Database
from openfab.store.relay import Relay, RelayThread
from openfab.store.tenancy import Scope
from tests.store.test_events import audit, write


@pytest.fixture
def db(fresh_database_url: str) -> Iterator[Database]:
    database = Database(fresh_database_url)
    database.migrate()
    yield database
    database.dispose()


@dataclass
class Recorder:
    name: str = "recorder"
    patterns: tuple[str, ...] = ("*",)
    seen: list[EventMessage] = field(default_factory=list)
    fail: bool = False

    def handle(self, events: Sequence[EventMessage]) -> None:
        if self.fail:
            raise RuntimeError("the consumer's bus is down")
        self.seen.extend(events)


def test_a_consumer_sees_committed_events_only_and_never_in_the_writers_thread(
    db: Database,
) -> None:
    recorder = Recorder()
    relay = Relay(db, recorder)

    def fail_after_recording() -> None:
        with db.unit(Scope.tenant("acme"), actor="test") as uow:
            uow.record("order.placed", "sales_order", "o1", {})
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        fail_after_recording()
    with db.unit(Scope.tenant("acme"), actor="test") as uow:
        uow.record("order.placed", "sales_order", "o2", {})
    assert recorder.seen == []  # committing published nothing
    assert relay.drain() == 1
    assert [m.entity_id for m in recorder.seen] == ["o2"]
    assert audit(db)[0]  # the rolled-back event left no hole in the chain


def test_each_consumer_has_its_own_cursor(db: Database) -> None:
    write(db, 3)
    first, second = Recorder("first"), Recorder("second", patterns=("nothing.*",))
    assert Relay(db, first).drain() == 3
    assert Relay(db, second).drain() == 3  # read past, none wanted
    third = Recorder("third")
    assert Relay(db, third).drain() == 3  # the others marked nothing as done for it
    assert [m.seq for m in third.seen] == [m.seq for m in first.seen]
    assert second.seen == []


def test_a_failing_consumer_gets_the_batch_again_and_the_writer_is_untouched(
    db: Database,
) -> None:
    recorder = Recorder(fail=True)
    relay = Relay(db, recorder)
    write(db, 2)
    with pytest.raises(RuntimeError):
        relay.poll()
    assert relay.position() == 0
    recorder.fail = False
    assert relay.drain() == 2
    assert [m.entity_id for m in recorder.seen] == ["t0", "t1"]


def test_a_restarted_consumer_resumes_from_its_cursor(db: Database) -> None:
    write(db, 3)
    before = Recorder()
    relay = Relay(db, before, batch_size=2)
    assert relay.poll() == 2
    relay.close()  # as if the process died here
    after = Recorder()
    assert Relay(db, after).drain() == 1
    assert [m.entity_id for m in after.seen] == ["t2"]


def test_a_new_consumer_may_start_at_the_end(db: Database) -> None:
    write(db, 2)
    late = Recorder("late")
    relay = Relay(db, late, start="end")
    assert relay.drain() == 0
    write(db, 1)
    assert relay.drain() == 1


def test_two_copies_of_a_consumer_never_handle_the_same_events(db: Database) -> None:
    one, two = Recorder("worker"), Recorder("worker")
    a, b = Relay(db, one), Relay(db, two)
    write(db, 2)
    assert a.poll() == 2
    write(db, 2)
    assert b.poll() == 0  # a standby while the first holds the consumer's lock
    a.close()  # the first copy stops (or dies)
    assert b.drain() == 2  # the standby takes over where the cursor is
    assert [m.entity_id for m in one.seen + two.seen] == ["t0", "t1", "t0", "t1"]
    assert len({m.seq for m in one.seen + two.seen}) == 4
    b.close()


def test_a_commit_between_reading_the_log_and_waiting_still_wakes_the_waiter(
    db: Database,
) -> None:
    """The lost wake-up: the relay reads nothing, another thread commits and announces it,
    and only then does the relay start to wait. Waiting from the count taken before the read
    returns at once instead of sleeping through the poll with an event in the log."""
    seen = db.commits()
    db.notify_commit()  # lands after the read, before the wait
    started = time.monotonic()
    db.wait_for_commit(10, since=seen)
    assert time.monotonic() - started < 1
    started = time.monotonic()
    db.wait_for_commit(0.2)  # nothing new since now: the full timeout
    assert time.monotonic() - started >= 0.2


def test_a_relay_thread_wakes_on_commit(db: Database) -> None:
    recorder = Recorder()
    got = threading.Event()
    original = recorder.handle

    def handle(events: Sequence[EventMessage]) -> None:
        original(events)
        got.set()

    recorder.handle = handle  # type: ignore[method-assign]
    thread = RelayThread(Relay(db, recorder, poll_seconds=30)).start()
    try:
        write(db, 1)
        assert got.wait(15)  # sooner than the 30 s poll, even on a loaded machine
        assert thread.wait_idle(5)
    finally:
        thread.stop()
    assert len(recorder.seen) == 1
