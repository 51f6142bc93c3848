"""The database: engine, migrations, units of work and the outbox relay.

A unit of work is one transaction scoped to one tenant. Events recorded in it commit with
the state change; only after the commit are they handed to the bus, and a cursor records how
far the bus got, so ``relay()`` re-sends what a crash left behind (at-least-once delivery).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, select
from sqlalchemy.orm import Session

from openfab.connect.bus import EventBus, EventMessage, InProcessBus
from openfab.settings import normalize_database_url
from openfab.store.events import EventRecord, OutboxCursor, append_event
from openfab.store.tenancy import scope_session

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
CURSOR = "bus"
CURSOR_INTERVAL = 1.0  # seconds between cursor writes


def _sqlite_pragmas(engine: Engine) -> None:
    """WAL for concurrent readers; writers take the lock at BEGIN so the hash chain never
    races, and read-only units begin deferred."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        readonly = conn.get_execution_options().get("openfab_readonly", False)
        conn.exec_driver_sql("BEGIN DEFERRED" if readonly else "BEGIN IMMEDIATE")


def to_message(record: EventRecord) -> EventMessage:
    return EventMessage(
        seq=record.seq,
        event_id=record.event_id,
        type=record.type,
        tenant_id=record.tenant_id,
        entity_type=record.entity_type,
        entity_id=record.entity_id,
        payload=record.payload,
        actor=record.actor,
        occurred_at=record.occurred_at,
    )


class UnitOfWork:
    """One transaction for one tenant (``None``: the platform), with its events."""

    def __init__(self, session: Session, tenant_id: str | None, actor: str) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.actor = actor
        self.messages: list[EventMessage] = []

    def record(
        self,
        type: str,
        entity_type: str,
        entity_id: str,
        payload: dict[str, Any],
        *,
        tenant_id: str | None = None,
    ) -> None:
        """Append an event to the log in this transaction."""
        entry = append_event(
            self.session,
            type=type,
            entity_type=entity_type,
            entity_id=entity_id,
            payload=payload,
            actor=self.actor,
            tenant_id=tenant_id or self.tenant_id,
        )
        self.messages.append(to_message(entry))


class Database:
    def __init__(self, url: str, *, bus: EventBus | None = None, echo: bool = False) -> None:
        self.url = normalize_database_url(url)
        self.bus: EventBus = bus or InProcessBus()
        self.is_sqlite = self.url.startswith("sqlite")
        self.engine = create_engine(self.url, echo=echo, pool_pre_ping=not self.is_sqlite)
        if self.is_sqlite:
            _sqlite_pragmas(self.engine)
        self._published = self._cursor_seq = 0
        self._cursor_written_at = time.monotonic()

    # -- schema ---------------------------------------------------------------------------
    def _alembic_config(self, connection: Connection) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = connection
        return cfg

    def migrate(self) -> None:
        """Bring the schema to the newest migration (a no-op when it is current)."""
        with self.engine.connect() as conn:
            cfg = self._alembic_config(conn)
            head = ScriptDirectory.from_config(cfg).get_current_head()
            if MigrationContext.configure(conn).get_current_revision() == head:
                return
        with self.engine.begin() as conn:
            command.upgrade(self._alembic_config(conn), "head")

    # -- transactions ---------------------------------------------------------------------
    @contextmanager
    def unit(
        self, *, tenant_id: str | None, actor: str, readonly: bool = False
    ) -> Iterator[UnitOfWork]:
        """A transaction scoped to ``tenant_id``; commits on success, then publishes events."""
        with self.engine.connect() as raw:
            conn = raw.execution_options(openfab_readonly=readonly)
            with Session(bind=conn, expire_on_commit=False, autoflush=True) as session:
                scope_session(session, tenant_id)
                uow = UnitOfWork(session, tenant_id, actor)
                with session.begin():
                    yield uow
        if uow.messages:
            self._publish(uow.messages)

    def _publish(self, messages: list[EventMessage]) -> None:
        """Hand events to the bus; the cursor is written at most once a second (and on
        ``dispose``), so a crash re-sends at most that second's events: at-least-once."""
        for message in messages:
            self.bus.publish(message)
        self._published = max(self._published, messages[-1].seq)
        if time.monotonic() - self._cursor_written_at >= CURSOR_INTERVAL:
            self.flush_cursor()

    def flush_cursor(self) -> None:
        if self._published > self._cursor_seq:
            self._advance_cursor(self._published)
            self._cursor_seq = self._published
        self._cursor_written_at = time.monotonic()

    def _advance_cursor(self, seq: int) -> None:
        with self.unit(tenant_id=None, actor="system:outbox") as uow:
            cursor = uow.session.get(OutboxCursor, CURSOR)
            if cursor is None:
                uow.session.add(OutboxCursor(name=CURSOR, last_seq=seq))
            elif cursor.last_seq < seq:
                cursor.last_seq = seq

    def relay(self, *, batch_size: int = 1000) -> int:
        """Publish committed events the bus has not had yet (after a crash); returns how many."""
        sent = 0
        while True:
            with self.unit(tenant_id=None, actor="system:relay", readonly=True) as uow:
                cursor = uow.session.get(OutboxCursor, CURSOR)
                after = cursor.last_seq if cursor else 0
                rows = uow.session.scalars(
                    select(EventRecord)
                    .where(EventRecord.seq > after)
                    .order_by(EventRecord.seq)
                    .limit(batch_size)
                ).all()
                messages = [to_message(r) for r in rows]
            if not messages:
                return sent
            for message in messages:
                self.bus.publish(message)
            self._advance_cursor(messages[-1].seq)
            sent += len(messages)

    def dispose(self) -> None:
        self.flush_cursor()
        self.engine.dispose()
