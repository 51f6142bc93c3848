"""What the order service takes and returns (and the API shows)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from openfab.catalog.schemas import Choices
from openfab.orders.states import OrderStatus
from openfab.schemas_base import RequestModel

ADDRESS_MIN, ADDRESS_MAX = 5, 300
"""A delivery address's length (characters, on one line): the review step's and REST's."""


def has_control(text: str) -> bool:
    """Whether ``text`` holds a control character (a tab or line break too)."""
    return any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text)


class OrderCreate(RequestModel):
    product: str = Field(min_length=1, max_length=64, description="Product code")
    choices: Choices
    quantity: int = Field(default=1, ge=1, le=1000)
    express: bool = Field(
        default=False,
        description="Rush order: a surcharge on the price for a shorter promise and priority",
    )
    delivery_address: str | None = Field(
        default=None,
        min_length=ADDRESS_MIN,
        max_length=ADDRESS_MAX,
        description="Where to deliver, on one line (no control characters)",
    )

    @field_validator("delivery_address")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        """One printable line: tabs and line breaks too are refused (labels, carriers)."""
        if value is not None and has_control(value):
            raise PydanticCustomError("control_character", "control characters are not allowed")
        return value


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
    express: bool = False
    delivery_address: str | None = None
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


class OrderSummary(OrderPublic):
    """An order as a search finds it, with who it is for: the customer's name and e-mail for
    the brand's staff (the customer sees their own), the brand for the plant's staff (who
    never see a brand's customers)."""

    customer_name: str | None = None
    customer_email: str | None = None
    brand: str | None = None
    late: bool = Field(default=False, description="Open and past its promise date")


class OrdersFound(BaseModel):
    data: list[OrderSummary]
    count: int


class PromiseChange(BaseModel):
    at: datetime
    promise_date: datetime
    previous: datetime | None
    event_seq: int


class OrderRecord(BaseModel):
    """What staff need on one page: the order, whom it is for, its steps and its promises."""

    order: OrderSummary
    configured: dict[str, Any]
    steps: list[OrderStep]
    promises: list[PromiseChange]
