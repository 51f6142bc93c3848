from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from openfab.api.deps import CurrentActor, OrderQuota, PlatformDep
from openfab.api.limits import Key
from openfab.orders.schemas import (
    OrderCreate,
    OrderDetail,
    OrderPublic,
    OrdersPublic,
    OrderTracking,
    OrderTransition,
)
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
) -> OrdersPublic:
    return platform.orders.list(actor, status=status, limit=limit, offset=offset)


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
