"""What the order service takes and returns (and the API shows)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from openfab.catalog.schemas import Choices
from openfab.orders.states import OrderStatus
from openfab.schemas_base import RequestModel


class OrderCreate(RequestModel):
    product: str = Field(min_length=1, max_length=64, description="Product code")
    choices: Choices
    quantity: int = Field(default=1, ge=1, le=1000)


class OrderPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    number: str
    customer_id: str | None
    product_code: str
    product_revision: int
    choices: dict[str, Any]
    quantity: int
    unit_price: Decimal
    total_price: Decimal
    currency: str
    promise_date: datetime
    status: OrderStatus
    created_at: datetime
    updated_at: datetime


class OrderDetail(OrderPublic):
    configured: dict[str, Any] = Field(description="Price breakdown, configured BOM and routing")


class OrdersPublic(BaseModel):
    data: list[OrderPublic]
    count: int


class OrderTransition(RequestModel):
    status: OrderStatus = Field(strict=False)
    note: str = Field(default="", max_length=500)


class OrderStep(BaseModel):
    status: OrderStatus
    at: datetime
    actor: str
    note: str = ""


class OrderTracking(BaseModel):
    order: OrderPublic
    steps: list[OrderStep]
