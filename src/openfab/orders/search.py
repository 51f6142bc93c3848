"""Finding orders: by number, customer or brand, with filters, a page at a time.

Reads only, inside the caller's unit of work, so the tenancy filter scopes them: a brand's
staff find their brand's orders (and search their customers' names and e-mails), a customer
their own, the plant's staff every brand's, by order number or brand, never by a brand's
customer (the plant does not see them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from openfab.errors import InvalidInput, Problem
from openfab.identity.actor import Actor
from openfab.identity.orm import TenantRow, UserRow
from openfab.orders.orm import SalesOrderRow
from openfab.orders.schemas import OrderPublic, OrdersFound, OrderSummary
from openfab.orders.states import OrderStatus
from openfab.store import UnitOfWork

LATE_STATES = (
    OrderStatus.RECEIVED,
    OrderStatus.PLANNED,
    OrderStatus.IN_PRODUCTION,
    OrderStatus.INSPECTED,
)
"""An order in one of these is late once its promise date has passed (not yet shipped)."""
MAX_TEXT = 100


@dataclass(frozen=True)
class OrderQuery:
    """What to look for; every field optional. ``q`` matches a part of the order number (or
    of the customer's name or e-mail for the brand's staff, of the brand for the plant's)."""

    q: str = ""
    status: Sequence[OrderStatus] = ()
    product: str = ""
    late: bool | None = None
    placed_from: date | None = None
    placed_to: date | None = None
    limit: int = 50
    offset: int = 0

    def __post_init__(self) -> None:
        problems = []
        if len(self.q) > MAX_TEXT:
            problems.append(Problem("q", f"at most {MAX_TEXT} characters"))
        if len(self.product) > 64:
            problems.append(Problem("product", "at most 64 characters"))
        for name, text in (("q", self.q), ("product", self.product)):
            if any(ord(c) < 32 or ord(c) == 127 for c in text):
                problems.append(Problem(name, "no control characters"))
        if not 1 <= self.limit <= 500:
            problems.append(Problem("limit", "between 1 and 500"))
        if self.offset < 0:
            problems.append(Problem("offset", "0 or more"))
        if self.placed_from and self.placed_to and self.placed_from > self.placed_to:
            problems.append(Problem("placed_to", "on or after placed_from"))
        if problems:
            raise InvalidInput("invalid order search", problems)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _text_match(query: OrderQuery, actor: Actor) -> ColumnElement[bool] | None:
    text = query.q.strip()
    if not text:
        return None
    pattern = _like(text)
    terms: list[ColumnElement[bool]] = [
        func.lower(SalesOrderRow.number).like(pattern, escape="\\"),
        SalesOrderRow.id == text,
    ]
    if actor.is_plant:
        terms.append(func.lower(TenantRow.name).like(pattern, escape="\\"))
        terms.append(func.lower(SalesOrderRow.tenant_id).like(pattern, escape="\\"))
    elif actor.is_staff:
        terms.append(func.lower(UserRow.full_name).like(pattern, escape="\\"))
        terms.append(func.lower(UserRow.email).like(pattern, escape="\\"))
    return or_(*terms)


def _day(moment: date) -> datetime:
    return datetime.combine(moment, time(0), tzinfo=UTC)


def filtered(query: OrderQuery, actor: Actor, now: datetime) -> Select[*tuple[Any, ...]]:
    """The orders (with their customer and brand) that match ``query``, visible to
    ``actor``; newest first."""
    statement: Select[*tuple[Any, ...]] = (
        select(SalesOrderRow, UserRow.full_name, UserRow.email, TenantRow.name)
        .outerjoin(UserRow, UserRow.id == SalesOrderRow.customer_id)
        .outerjoin(TenantRow, TenantRow.id == SalesOrderRow.tenant_id)
    )
    if not actor.is_staff:
        statement = statement.where(SalesOrderRow.customer_id == actor.user_id)
    match = _text_match(query, actor)
    if match is not None:
        statement = statement.where(match)
    if query.status:
        statement = statement.where(SalesOrderRow.status.in_([str(s) for s in query.status]))
    if query.product:
        statement = statement.where(SalesOrderRow.product_code == query.product)
    late = and_(SalesOrderRow.status.in_(LATE_STATES), SalesOrderRow.promise_date < now)
    if query.late is True:
        statement = statement.where(late)
    elif query.late is False:
        on_time = or_(~SalesOrderRow.status.in_(LATE_STATES), SalesOrderRow.promise_date >= now)
        statement = statement.where(on_time)
    if query.placed_from:
        statement = statement.where(SalesOrderRow.created_at >= _day(query.placed_from))
    if query.placed_to:
        end = _day(query.placed_to) + timedelta(days=1)
        statement = statement.where(SalesOrderRow.created_at < end)
    return statement


def summary(
    row: SalesOrderRow,
    name: str | None,
    email: str | None,
    brand: str | None,
    reader: Actor,
    now: datetime,
) -> OrderSummary:
    """One found order as ``reader`` may see it."""
    public = OrderPublic.model_validate(row).model_dump()
    late = row.status in LATE_STATES and _aware(row.promise_date) < now
    if reader.is_plant:
        public["customer_id"] = None
        return OrderSummary(**public, brand=brand or row.tenant_id, late=late)
    return OrderSummary(**public, customer_name=name, customer_email=email, late=late)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def search(uow: UnitOfWork, actor: Actor, query: OrderQuery, now: datetime) -> OrdersFound:
    statement = filtered(query, actor, now)
    count = uow.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = uow.session.execute(
        statement.order_by(SalesOrderRow.created_at.desc(), SalesOrderRow.id)
        .limit(query.limit)
        .offset(query.offset)
    ).all()
    data = [summary(r, name, email, brand, actor, now) for r, name, email, brand in rows]
    return OrdersFound(data=data, count=count)
