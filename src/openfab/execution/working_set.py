"""The rows one unit of work has read for shop-floor messages, read once per transaction.

A window of twin or bus messages touches the same work orders again and again (start,
finish, the next start …). Reading each work order, its operations, its units and the inbox
once per transaction — or all at once with ``prefetch`` — instead of once per message keeps
the MES at a few statements per message: the writes. The rows stay in the session's identity
map, so what a message changed is what the next one sees.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from openfab.errors import Conflict
from openfab.execution.orm import (
    ExecutionInboxRow,
    OperationRow,
    SerialCounterRow,
    SerialUnitRow,
    WorkOrderRow,
)
from openfab.orders.orm import SalesOrderRow
from openfab.store.base import Base
from openfab.store.database import UnitOfWork
from openfab.store.types import utcnow

CHUNK = 500
INBOX = ExecutionInboxRow.__table__


class WorkingSet:
    def __init__(self, session: Session, tenant_id: str | None) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.work_orders: dict[str, WorkOrderRow] = {}
        self.operations: dict[str, list[OperationRow]] = {}
        self.units: dict[str, list[SerialUnitRow]] = {}
        self.inbox: dict[str, tuple[str, str]] = {}
        """Keys known to be applied: read from the inbox or added in this transaction."""
        self.checked: set[str] = set()
        """Keys looked up and absent from the inbox when read."""
        self.orders: dict[str, SalesOrderRow] = {}
        self.serial_counters: dict[str, SerialCounterRow] = {}
        """Serial counters read (locked) or created in this transaction, by prefix."""
        self.order_works: dict[str, list[WorkOrderRow]] = {}
        """Customer order id → all its work orders (make-ups included)."""
        self.order_units: dict[str, list[SerialUnitRow]] = {}
        """Customer order id → its units in serial order, for orders read by
        ``prefetch_orders`` (shipping)."""
        self.pending: list[tuple[type[Base], dict[str, object]]] = []
        """Rows nothing reads back in this transaction (genealogy, inbox keys), inserted in
        bulk by ``write`` before the commit; a rolled-back savepoint cuts its own off."""

    @staticmethod
    def of(uow: UnitOfWork) -> WorkingSet:
        found = uow.session.info.get("execution.working_set")
        if not isinstance(found, WorkingSet):
            found = WorkingSet(uow.session, uow.tenant_id)
            uow.session.info["execution.working_set"] = found
        return found

    def forget(self, pending: int) -> None:
        """After a rolled-back savepoint: rows it created are gone (the pending ones from
        index ``pending`` on too), read everything again."""
        del self.pending[pending:]
        self.work_orders.clear()
        self.operations.clear()
        self.units.clear()
        self.inbox.clear()
        self.checked.clear()
        self.orders.clear()
        self.order_works.clear()
        self.order_units.clear()
        self.serial_counters.clear()
        for model, row in self.pending:  # applied in a savepoint that stands, not yet written
            if model is ExecutionInboxRow:
                key, kind, entity = row["message_id"], row["kind"], row["entity_id"]
                self.inbox[str(key)] = (str(kind), str(entity))

    # -- bulk rows -------------------------------------------------------------------------------
    def insert_later(self, model: type[Base], row: dict[str, object]) -> None:
        """``row`` of ``model`` goes in with ``write`` (a tenant row names its tenant: the
        tenant scope checks every row of a bulk insert, ``store.tenancy``)."""
        self.pending.append((model, row))

    def write(self) -> None:
        """Insert the pending rows, one statement per table, after the ORM's rows they refer
        to (units, operations) are flushed; in the caller's transaction."""
        if not self.pending:
            return
        self.session.flush()
        tables: dict[type[Base], list[dict[str, object]]] = defaultdict(list)
        for model, row in self.pending:
            tables[model].append(row)
        self.pending.clear()
        for model, rows in tables.items():
            self.session.execute(insert(model), rows)

    # -- reads -----------------------------------------------------------------------------------
    def prefetch(self, work_orders: Iterable[str], message_ids: Iterable[str] = ()) -> None:
        """Read the named work orders (numbers or ids) with their operations and units, and
        which of ``message_ids`` were applied before, in a few statements."""
        refs = sorted({r for r in work_orders if r not in self.work_orders})
        for chunk in _chunks(refs):
            rows = self.session.scalars(
                select(WorkOrderRow).where(
                    or_(WorkOrderRow.number.in_(chunk), WorkOrderRow.id.in_(chunk))
                )
            ).all()
            self._adopt(rows)
        self._check_inbox([self.key(m) for m in message_ids])

    def prefetch_orders(self, order_ids: Iterable[str]) -> None:
        """Read customer orders (by id) with all their work orders and units, in a few
        statements: what shipping and delivering them reads."""
        ids = sorted({i for i in order_ids if i not in self.order_units})
        for chunk in _chunks(ids):
            for order in self.session.scalars(
                select(SalesOrderRow).where(SalesOrderRow.id.in_(chunk))
            ):
                self.orders[order.id] = order
            units: dict[str, list[SerialUnitRow]] = {i: [] for i in chunk}
            for unit in self.session.scalars(
                select(SerialUnitRow)
                .where(SerialUnitRow.order_id.in_(chunk))
                .order_by(SerialUnitRow.serial)
            ):
                units[unit.order_id].append(unit)
            self.order_units.update(units)
            works = self.session.scalars(
                select(WorkOrderRow).where(WorkOrderRow.order_id.in_(chunk))
            ).all()
            fresh = [w for w in works if w.order_id not in self.order_works]
            for order_id in {w.order_id for w in fresh}:
                self.order_works[order_id] = []
            for row in fresh:
                known = self.work_orders.setdefault(row.id, row)
                self.work_orders[known.number] = known
                self.order_works[row.order_id].append(known)

    def units_of_order(self, order_id: str) -> list[SerialUnitRow] | None:
        """A prefetched order's units in serial order; None when it was not prefetched."""
        return self.order_units.get(order_id)

    def work_order(self, ref: str) -> WorkOrderRow | None:
        """A work order by number or id, when it exists (the caller falls back otherwise)."""
        found = self.work_orders.get(ref)
        if found is None:
            rows = self.session.scalars(
                select(WorkOrderRow).where(or_(WorkOrderRow.id == ref, WorkOrderRow.number == ref))
            ).all()
            if len(rows) != 1:
                return None
            self._adopt(rows)
            found = rows[0]
        return found

    def operations_of(self, work_order: WorkOrderRow) -> list[OperationRow]:
        """The work order's operations in sequence order."""
        if work_order.id not in self.operations:
            self._load_children([work_order.id])
        return self.operations[work_order.id]

    def units_of(self, work_order: WorkOrderRow) -> list[SerialUnitRow]:
        """The work order's units in serial order (those added in this transaction too)."""
        if work_order.id not in self.units:
            self._load_children([work_order.id])
        return self.units[work_order.id]

    def add_units(self, work_order: WorkOrderRow, units: Sequence[SerialUnitRow]) -> None:
        self.session.add_all(units)
        for known in (self.units_of(work_order), self.order_units.get(work_order.order_id)):
            if known is not None:
                known.extend(units)
                known.sort(key=lambda u: u.serial)

    def sales_order(self, order_id: str) -> SalesOrderRow | None:
        """The customer order a known work order builds (read with it, no query)."""
        found = self.orders.get(order_id)
        if found is None:
            found = self.session.get(SalesOrderRow, order_id)
            if found is not None:
                self.orders[order_id] = found
        return found

    def works_of_order(self, order_id: str) -> list[WorkOrderRow]:
        """Every work order of a customer order, those created in this transaction too."""
        if order_id not in self.order_works:
            rows = self.session.scalars(
                select(WorkOrderRow).where(WorkOrderRow.order_id == order_id)
            ).all()
            self._adopt(rows)
        return self.order_works[order_id]

    def register(self, work_order: WorkOrderRow, operations: Sequence[OperationRow]) -> None:
        """A work order created in this transaction (a make-up for scrap)."""
        self.work_orders[work_order.id] = self.work_orders[work_order.number] = work_order
        self.operations[work_order.id] = sorted(operations, key=lambda o: o.sequence)
        self.units[work_order.id] = []
        works = self.order_works.setdefault(work_order.order_id, [])
        if work_order not in works:
            works.append(work_order)

    # -- the inbox -------------------------------------------------------------------------------
    def key(self, message_id: str) -> str:
        return f"{self.tenant_id or '-'}/{message_id}"

    def first_delivery(
        self,
        message_id: str | None,
        kind: str,
        entity: str,
        bulk: list[dict[str, object]] | None = None,
    ) -> bool:
        """Record ``message_id`` as applied; False when it already was (a redelivery). A
        message id reused for another kind of message or another entity is a conflict.

        The inbox row is inserted by ``write``, or appended to ``bulk`` for a caller that
        inserts a batch's rows in one statement (in the same transaction)."""
        if message_id is None:
            return True
        key, entity = self.key(message_id), entity[:64]
        self._check_inbox([key])  # reads only what was neither read nor added before
        seen = self.inbox.get(key)
        if seen is not None:
            if seen != (kind, entity):
                raise Conflict(f"message id {message_id!r} was already used for a {seen[0]}")
            return False
        row: dict[str, object] = {"message_id": key, "kind": kind, "entity_id": entity}
        if bulk is None:
            self.insert_later(ExecutionInboxRow, row | {"received_at": utcnow()})
        else:
            bulk.append(row)
        self.inbox[key] = (kind, entity)
        return True

    # -- internals -------------------------------------------------------------------------------
    def _adopt(self, rows: Sequence[WorkOrderRow]) -> None:
        """Keep work orders with their operations and units, their customer orders and
        every sibling work order of those orders: what finishing a work order reads."""
        for row in rows:
            self.work_orders[row.id] = self.work_orders[row.number] = row
        self._load_children([r.id for r in rows if r.id not in self.operations])
        order_ids = sorted({r.order_id for r in rows} - self.order_works.keys())
        for chunk in _chunks(order_ids):
            for order in self.session.scalars(
                select(SalesOrderRow).where(SalesOrderRow.id.in_(chunk))
            ):
                self.orders[order.id] = order
            siblings = self.session.scalars(
                select(WorkOrderRow).where(WorkOrderRow.order_id.in_(chunk))
            ).all()
            for order_id in chunk:
                self.order_works[order_id] = []
            for row in siblings:
                known = self.work_orders.setdefault(row.id, row)
                self.work_orders[known.number] = known
                self.order_works[row.order_id].append(known)
            self._load_children([r.id for r in siblings if r.id not in self.operations])

    def _load_children(self, ids: Sequence[str]) -> None:
        for chunk in _chunks(ids):
            operations: dict[str, list[OperationRow]] = defaultdict(list)
            units: dict[str, list[SerialUnitRow]] = defaultdict(list)
            for op in self.session.scalars(
                select(OperationRow)
                .where(OperationRow.work_order_id.in_(chunk))
                .order_by(OperationRow.sequence)
            ):
                operations[op.work_order_id].append(op)
            for unit in self.session.scalars(
                select(SerialUnitRow)
                .where(SerialUnitRow.work_order_id.in_(chunk))
                .order_by(SerialUnitRow.serial)
            ):
                units[unit.work_order_id].append(unit)
            for work_order_id in chunk:
                self.operations[work_order_id] = operations[work_order_id]
                self.units[work_order_id] = units[work_order_id]

    def _check_inbox(self, keys: Sequence[str]) -> None:
        wanted = [k for k in dict.fromkeys(keys) if k not in self.inbox and k not in self.checked]
        for chunk in _chunks(wanted):
            rows = self.session.execute(
                select(INBOX.c.message_id, INBOX.c.kind, INBOX.c.entity_id).where(
                    INBOX.c.message_id.in_(chunk)
                )
            ).all()
            for message_id, kind, entity in rows:
                self.inbox[message_id] = (kind, entity)
            self.checked.update(chunk)


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
