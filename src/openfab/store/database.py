"""The database: engine, migrations and units of work.

A unit of work is one transaction scoped to one tenant. Events recorded in it commit with
the state change and nothing is published from here: consumers follow the log with their own
cursors (``store.relay``). A commit only wakes the relays of this process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, func, select
from sqlalchemy.orm import Session

from openfab.settings import normalize_database_url
from openfab.store.events import (
    EventRecord,
    PendingEvent,
    canonical_payload,
    seal,
)
from openfab.store.tenancy import APP_ROLE, Scope, scope_session, set_database_scope

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


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


class UnitOfWork:
    """One transaction in one scope (a tenant's, or the plant's), with its events."""

    def __init__(self, session: Session, scope: Scope, actor: str) -> None:
        self.session = session
        self.scope = scope
        self.tenant_id = scope.tenant_id
        self.actor = actor
        self.messages: list[PendingEvent] = []
        """Events recorded so far; chained into the log when the unit commits (a caller
        that rolls back a savepoint drops the ones recorded in it)."""

    def record(
        self,
        type: str,
        entity_type: str,
        entity_id: str,
        payload: dict[str, Any],
        *,
        tenant_id: str | None = None,
    ) -> None:
        """Record an event of this transaction: it commits with the state change, or not."""
        self.messages.append(
            PendingEvent(
                type=type,
                entity_type=entity_type,
                entity_id=entity_id,
                payload=canonical_payload(payload),
                actor=self.actor,
                tenant_id=tenant_id or self.tenant_id,
            )
        )


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalize_database_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self.engine = create_engine(self.url, echo=echo, pool_pre_ping=not self.is_sqlite)
        if self.is_sqlite:
            _sqlite_pragmas(self.engine)
        self._commits = threading.Condition()
        self._commit_count = 0
        self._row_level_security: bool | None = None

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
        self._row_level_security = None

    # -- transactions ---------------------------------------------------------------------
    @property
    def row_level_security(self) -> bool:
        """Whether units run under PostgreSQL row-level security: the role of migration 0010
        exists and this login may take it."""
        if self._row_level_security is None:
            self._row_level_security = not self.is_sqlite and self._may_take_app_role()
        return self._row_level_security

    def _may_take_app_role(self) -> bool:
        with self.engine.connect() as conn:
            return bool(
                conn.exec_driver_sql(
                    "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)"
                    " THEN pg_has_role(current_user, %s, 'MEMBER') ELSE false END",
                    (APP_ROLE, APP_ROLE),
                ).scalar()
            )

    @contextmanager
    def unit(self, scope: Scope, *, actor: str, readonly: bool = False) -> Iterator[UnitOfWork]:
        """A transaction in ``scope``; commits on success (with its events)."""
        rls = self.row_level_security
        with self.engine.connect() as raw:
            conn = raw.execution_options(openfab_readonly=readonly)
            with Session(bind=conn, expire_on_commit=False, autoflush=True) as session:
                scope_session(session, scope)
                session.info["row_level_security"] = rls
                uow = UnitOfWork(session, scope, actor)
                with session.begin():
                    yield uow
                    seal(session, uow.messages)
        if uow.messages:
            self.notify_commit()

    @contextmanager
    def reading(self, scope: Scope) -> Iterator[Connection]:
        """A read-only transaction in ``scope`` for core queries that build no ORM objects
        (the relay's plain rows); row-level security applies as in a unit of work."""
        with self.engine.connect() as raw:
            conn = raw.execution_options(openfab_readonly=True)
            with conn.begin():
                if self.row_level_security:
                    set_database_scope(conn, scope)
                yield conn

    # -- waking the relays ----------------------------------------------------------------
    def notify_commit(self) -> None:
        """Wake the relays of this process waiting in ``wait_for_commit``."""
        with self._commits:
            self._commit_count += 1
            self._commits.notify_all()

    def commits(self) -> int:
        """How many event commits this process has announced (see ``wait_for_commit``)."""
        with self._commits:
            return self._commit_count

    def wait_for_commit(self, timeout: float, *, since: int | None = None) -> None:
        """Sleep until this process commits events after ``since`` (a ``commits()`` taken
        before the caller last read the log; default: now) or ``timeout`` passes (other
        processes' commits are seen at the next poll). Without ``since``, a commit landing
        between the caller's read and this call is missed and the caller sleeps the full
        ``timeout`` with an event waiting."""
        with self._commits:
            seen = self._commit_count if since is None else since
            self._commits.wait_for(lambda: self._commit_count != seen, timeout)

    def head_seq(self) -> int:
        """The newest event's sequence number (0 for an empty log)."""
        with self.unit(Scope.plant(), actor="system:relay", readonly=True) as uow:
            return uow.session.scalar(select(func.max(EventRecord.seq))) or 0

    def dispose(self) -> None:
        self.engine.dispose()
