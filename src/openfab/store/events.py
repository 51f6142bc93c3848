"""The event log: one append-only, hash-chained record of every state change.

Each entry's hash covers its content and the previous entry's hash, so editing, inserting or
deleting any entry breaks the chain from that point on; a one-row chain head (updated in the
same transaction) also exposes a deleted tail.

A unit of work collects its events as it goes (``PendingEvent``) and chains them only when it
is about to commit (``seal``): the head row is locked for the last flush and the commit, not
for the whole unit, so concurrent writers overlap their work and serialize only there; ``seq``
order is still commit order, which the relays rely on.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from openfab.store.base import Base, TenantOwned, new_id
from openfab.store.types import utcnow

GENESIS = "0" * 64
SeqType = BigInteger().with_variant(Integer, "sqlite")


@dataclass(frozen=True)
class EventMessage:
    """An event as it travels on a bus: the committed event-log entry."""

    seq: int
    event_id: str
    type: str
    tenant_id: str | None
    entity_type: str
    entity_id: str
    payload: dict[str, Any]
    actor: str
    occurred_at: datetime


def matches(pattern: str, event_type: str) -> bool:
    """Whether ``event_type`` matches the glob ``pattern`` (``order.*``)."""
    return fnmatch.fnmatchcase(event_type, pattern)


class EventRecord(TenantOwned, Base):
    __tablename__ = "event_log"
    # the newest event of one kind of entity (what a cached view of orders depends on)
    __table_args__ = (Index("ix_event_log_entity_type_seq", "entity_type", "seq"),)
    platform_rows_allowed = True  # platform events (schedules, tenants) carry no tenant

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_id)
    type: Mapped[str] = mapped_column(String(64), index=True)
    tenant_id: Mapped[str | None] = mapped_column(  # type: ignore[assignment]
        String(64), index=True
    )  # None: a platform event
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]]
    actor: Mapped[str] = mapped_column(String(128))
    occurred_at: Mapped[datetime]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ChainHead(Base):
    """The last entry of the chain; a single row with ``id = 1``."""

    __tablename__ = "event_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(SeqType)
    hash: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(SeqType)


class OutboxCursor(Base):
    """How far events have been handed to a bus; the relay resumes from here after a crash."""

    __tablename__ = "event_outbox_cursor"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seq: Mapped[int] = mapped_column(SeqType)


def canonical_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The JSON-native form stored and hashed (Decimals and dates become strings)."""
    loaded: dict[str, Any] = json.loads(json.dumps(payload, default=str))
    return loaded


def entry_hash(record: EventRecord | dict[str, Any]) -> str:
    """The hash of an entry: a stored record, or the row ``seal`` is about to insert."""
    row = record if isinstance(record, dict) else {k: getattr(record, k) for k in HASHED}
    body = [row[k] for k in HASHED]
    body[-1] = body[-1].isoformat()  # occurred_at
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


HASHED = (
    "prev_hash",
    "event_id",
    "type",
    "tenant_id",
    "entity_type",
    "entity_id",
    "payload",
    "actor",
    "occurred_at",
)
"""The columns an entry's hash covers, in order (``occurred_at`` last)."""


@dataclass
class PendingEvent:
    """An event recorded in an open unit of work, chained when the unit commits; its
    ``payload`` is already canonical (``canonical_payload``)."""

    type: str
    entity_type: str
    entity_id: str
    payload: dict[str, Any]
    actor: str
    tenant_id: str | None
    event_id: str = field(default_factory=new_id)
    occurred_at: datetime = field(default_factory=utcnow)


def _lock_head(session: Session) -> ChainHead:
    head = session.execute(
        select(ChainHead).where(ChainHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = ChainHead(id=1, seq=0, hash=GENESIS, count=0)
        session.add(head)
    return head


def seal(session: Session, pending: Sequence[PendingEvent]) -> None:
    """Chain ``pending`` after the head, in order, in the caller's transaction (which then
    commits): the head stays locked only from here to the commit.

    The entries go in as one bulk insert; in a tenant scope ``store.tenancy`` checks that
    every one names the scope's tenant (and refuses the whole unit otherwise)."""
    if not pending:
        return
    head = _lock_head(session)
    rows: list[dict[str, Any]] = []
    seq, prev = head.seq, head.hash
    for event in pending:
        seq += 1
        row = {
            "seq": seq,
            "event_id": event.event_id,
            "type": event.type,
            "tenant_id": event.tenant_id,
            "entity_type": event.entity_type,
            "entity_id": event.entity_id,
            "payload": event.payload,  # canonical since ``UnitOfWork.record``
            "actor": event.actor,
            "occurred_at": event.occurred_at,
            "prev_hash": prev,
        }
        row["hash"] = prev = entry_hash(row)
        rows.append(row)
    head.seq, head.hash, head.count = seq, prev, head.count + len(rows)
    session.execute(insert(EventRecord), rows)


@dataclass(frozen=True)
class ChainBreak:
    seq: int | None
    reason: str


@dataclass(frozen=True)
class AuditReport:
    checked: int
    head_hash: str
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def _walk(records: Iterator[EventRecord]) -> tuple[int, str, ChainBreak | None]:
    prev, count = GENESIS, 0
    for record in records:
        if record.prev_hash != prev:
            why = "does not link to the entry before it (an entry was deleted or inserted)"
            return count, prev, ChainBreak(record.seq, why)
        if entry_hash(record) != record.hash:
            return count, prev, ChainBreak(record.seq, "content does not match its hash (edited)")
        prev, count = record.hash, count + 1
    return count, prev, None


def verify_chain(session: Session, *, batch_size: int = 5000) -> AuditReport:
    """Walk the whole log in order and report the first broken entry, if any."""
    rows = session.execute(
        select(EventRecord).order_by(EventRecord.seq).execution_options(yield_per=batch_size)
    ).scalars()
    count, last_hash, broken = _walk(iter(rows))
    if broken is not None:
        return AuditReport(count, last_hash, broken)
    head = session.get(ChainHead, 1)
    head_hash, head_count = (GENESIS, 0) if head is None else (head.hash, head.count)
    if (head_hash, head_count) != (last_hash, count):
        why = f"log ends after {count} entries but the chain head records {head_count}"
        return AuditReport(count, last_hash, ChainBreak(None, why + " (entries removed)"))
    return AuditReport(count, last_hash, None)
