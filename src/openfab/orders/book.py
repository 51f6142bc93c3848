"""What open orders hold, kept in memory: capacity load per work center and material needs.

Every promise needs the plant-wide open load (and, for available-to-promise, what open orders
still need of each material). Summing the ``order_load`` table per order costs a query that
grows with the open orders; instead each process keeps the totals and moves them with its own
commits — an order placed adds its load and bill of materials, an order leaving the open
states (``OPEN_FOR_CAPACITY``) takes them away — staged in the session and applied only when
it commits (a rollback drops them and forces a re-read). The totals are read from the
database again at least every ``RESYNC_SECONDS``, so other processes' orders are counted
within seconds. Sums are exact (fractions of the stored floats, decimals), so the order in
which orders arrive or the totals are re-read never changes a promise.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from openfab.orders.orm import OrderLoadRow, SalesOrderRow
from openfab.orders.states import OPEN_FOR_CAPACITY
from openfab.store import Database
from openfab.store.tenancy import Scope

RESYNC_SECONDS = 5.0
STAGED = "openfab.orders.book"
UNDONE = "openfab.orders.book.undone"
ZERO = Decimal(0)


@dataclass(frozen=True)
class Delta:
    """One order's load ``(work center, express, minutes)`` and needs ``{material: (qty,
    unit)}``, added (``sign`` 1) or taken away (-1)."""

    loads: tuple[tuple[str, bool, float], ...]
    needs: Mapping[str, tuple[Decimal, str]]
    sign: int


def order_needs(configured: Mapping[str, Any], quantity: int) -> dict[str, tuple[Decimal, str]]:
    """Whole-order material quantities of a stored configuration (BOM per unit × quantity)."""
    needs: dict[str, tuple[Decimal, str]] = {}
    for line in configured.get("bom", []):
        material, unit = str(line["material"]), str(line["unit"])
        quantity_so_far = needs.get(material, (ZERO, unit))[0]
        needs[material] = (quantity_so_far + Decimal(str(line["quantity"])) * quantity, unit)
    return needs


class OpenBook:
    """The open orders' totals for one database (one per engine, shared by its services)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._load: dict[tuple[str, bool], Fraction] = {}
        self._needs: dict[tuple[str, str], Decimal] = {}
        self._fresh_until = float("-inf")

    @classmethod
    def of(cls, db: Database) -> OpenBook:
        """The book of ``db``'s database (one per engine: every service shares it)."""
        book = _BOOKS.get(db.engine)
        if book is None:
            book = _BOOKS[db.engine] = cls(db)
        return book

    def totals(
        self,
    ) -> tuple[dict[str, float], dict[str, float], dict[tuple[str, str], Decimal]]:
        """Open load per work center, its express part, and open needs per (material, unit)."""
        if time.monotonic() >= self._fresh_until:
            self._resync()
        with self._lock:
            open_load: dict[str, Fraction] = defaultdict(Fraction)
            express: dict[str, float] = {}
            for (center, is_express), minutes in self._load.items():
                open_load[center] += minutes
                if is_express:
                    express[center] = float(minutes)
            return (
                {c: float(m) for c, m in open_load.items()},
                express,
                dict(self._needs),
            )

    def _resync(self) -> None:
        load: dict[tuple[str, bool], Fraction] = defaultdict(Fraction)
        needs: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        with self.db.unit(Scope.plant(), actor="system:orders", readonly=True) as uow:
            query = select(OrderLoadRow.work_center, OrderLoadRow.express, OrderLoadRow.minutes)
            for center, express, minutes in uow.session.execute(query):
                load[(center, bool(express))] += Fraction(float(minutes))
            orders = select(SalesOrderRow.configured, SalesOrderRow.quantity).where(
                SalesOrderRow.status.in_(tuple(OPEN_FOR_CAPACITY))
            )
            for configured, quantity in uow.session.execute(orders):
                for material, (amount, unit) in order_needs(configured, quantity).items():
                    needs[(material, unit)] += amount
        with self._lock:
            self._load = {k: v for k, v in load.items() if v}
            self._needs = {k: v for k, v in needs.items() if v}
            self._fresh_until = time.monotonic() + RESYNC_SECONDS

    def apply(self, deltas: Iterable[Delta]) -> None:
        with self._lock:
            for delta in deltas:
                for center, express, minutes in delta.loads:
                    key = (center, express)
                    value = self._load.get(key, Fraction(0)) + delta.sign * Fraction(minutes)
                    if value:
                        self._load[key] = value
                    else:
                        self._load.pop(key, None)
                for material, (amount, unit) in delta.needs.items():
                    need = self._needs.get((material, unit), ZERO) + delta.sign * amount
                    if need:
                        self._needs[(material, unit)] = need
                    else:
                        self._needs.pop((material, unit), None)

    def stale(self) -> None:
        self._fresh_until = float("-inf")


_BOOKS: weakref.WeakKeyDictionary[Engine, OpenBook] = weakref.WeakKeyDictionary()


def stage(session: Session, delta: Delta) -> None:
    """Count ``delta`` in the book of the session's database when the session commits."""
    session.info.setdefault(STAGED, []).append(delta)


def _book_of(session: Session) -> OpenBook | None:
    bind = session.bind
    engine = getattr(bind, "engine", None)
    return _BOOKS.get(engine) if engine is not None else None


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    deltas = session.info.pop(STAGED, None)
    undone = session.info.pop(UNDONE, False)
    if deltas or undone:
        book = _book_of(session)
        if book is not None:
            book.apply(deltas or ())
            if undone:
                book.stale()


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction: Any) -> None:
    if session.info.pop(STAGED, None):
        session.info[UNDONE] = True  # a savepoint was undone: read the truth after commit
        book = _book_of(session)
        if book is not None:
            book.stale()
