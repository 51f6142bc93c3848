"""The sales-order state machine: which step may follow which."""

from __future__ import annotations

from enum import StrEnum

from openfab.errors import Conflict


class OrderStatus(StrEnum):
    RECEIVED = "Received"
    PLANNED = "Planned"
    IN_PRODUCTION = "InProduction"
    INSPECTED = "Inspected"
    SHIPPED = "Shipped"
    DELIVERED = "Delivered"
    CANCELLED = "Cancelled"


FLOW = (
    OrderStatus.RECEIVED,
    OrderStatus.PLANNED,
    OrderStatus.IN_PRODUCTION,
    OrderStatus.INSPECTED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
)
NEXT: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.RECEIVED: frozenset({OrderStatus.PLANNED, OrderStatus.CANCELLED}),
    OrderStatus.PLANNED: frozenset({OrderStatus.IN_PRODUCTION, OrderStatus.CANCELLED}),
    OrderStatus.IN_PRODUCTION: frozenset({OrderStatus.INSPECTED}),
    OrderStatus.INSPECTED: frozenset({OrderStatus.SHIPPED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}
# While an order is in one of these, it still needs factory capacity.
OPEN_FOR_CAPACITY = frozenset(
    {OrderStatus.RECEIVED, OrderStatus.PLANNED, OrderStatus.IN_PRODUCTION}
)


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    """Raise ``Conflict`` naming the allowed next steps when ``target`` may not follow."""
    if target not in NEXT[current]:
        allowed = ", ".join(sorted(NEXT[current])) or "none (final state)"
        raise Conflict(f"an order in {current} cannot move to {target}; allowed: {allowed}")
