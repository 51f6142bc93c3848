from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from openfab.api.deps import CurrentActor, OrderQuota, PlatformDep
from openfab.api.limits import Key
from openfab.orders.schemas import (
    OrderCreate,
    OrderDetail,
    OrderPublic,
    OrdersFound,
    OrderTracking,
    OrderTransition,
)
from openfab.orders.search import OrderQuery
from openfab.orders.states import OrderStatus

router = APIRouter(prefix="/orders", tags=["orders"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="place_order",
    dependencies=[OrderQuota],
)
def place_order(platform: PlatformDep, actor: CurrentActor, data: OrderCreate) -> OrderDetail:
    """Configure, price and promise an order; refused with every violated rule when invalid."""
    return platform.orders.place(actor, data)


@router.get("", operation_id="list_orders")
def list_orders(
    platform: PlatformDep,
    actor: CurrentActor,
    status: OrderStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    q: Annotated[
        str,
        Query(
            max_length=100,
            description="Part of the order number; of the customer's name or e-mail (a "
            "brand's staff) or of the brand (the plant's staff)",
        ),
    ] = "",
    product: Annotated[str, Query(max_length=64, description="Product code")] = "",
    late: Annotated[
        bool | None, Query(description="Only orders open past their promise (or on time)")
    ] = None,
    placed_from: Annotated[date | None, Query(description="Placed on or after (UTC day)")] = None,
    placed_to: Annotated[date | None, Query(description="Placed on or before (UTC day)")] = None,
) -> OrdersFound:
    """The caller's orders (a brand's, a customer's own, or the plant's every brand's),
    newest first, found by number or customer and filtered."""
    query = OrderQuery(
        q=q,
        status=(status,) if status else (),
        product=product,
        late=late,
        placed_from=placed_from,
        placed_to=placed_to,
        limit=limit,
        offset=offset,
    )
    return platform.orders.search(actor, query)


@router.get("/{order_id}", operation_id="get_order")
def get_order(platform: PlatformDep, actor: CurrentActor, order_id: Key) -> OrderDetail:
    return platform.orders.get(actor, order_id)


@router.get("/{order_id}/tracking", operation_id="track_order")
def track_order(platform: PlatformDep, actor: CurrentActor, order_id: Key) -> OrderTracking:
    return platform.orders.track(actor, order_id)


@router.post("/{order_id}/transitions", operation_id="transition_order")
def transition_order(
    platform: PlatformDep, actor: CurrentActor, order_id: Key, change: OrderTransition
) -> OrderPublic:
    return platform.orders.transition(actor, order_id, change)


@router.post("/{order_id}/cancel", operation_id="cancel_order")
def cancel_order(platform: PlatformDep, actor: CurrentActor, order_id: Key) -> OrderPublic:
    return platform.orders.cancel(actor, order_id)
