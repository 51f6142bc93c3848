"""What the material service takes and returns (and the API shows).

Quantities and money are ``Decimal`` (strings in JSON); dates of plans are calendar dates.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from openfab.schemas_base import LAX, MAX_QUANTITY, Quantity, RequestModel


class MoveKind(StrEnum):
    RECEIVE = "Receive"
    ISSUE = "Issue"
    RETURN = "Return"
    SCRAP = "Scrap"
    COUNT = "Count"
    CONSUME = "Consume"
    """Used by the plant itself, for no sales order: a maintenance's spare parts."""


class PurchaseStatus(StrEnum):
    PLANNED = "Planned"
    RELEASED = "Released"
    RECEIVED = "Received"
    CANCELLED = "Cancelled"


class SupplierItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    supplier: str
    material: str
    unit: str
    lead_time_days: int
    price: Decimal
    minimum_order: Decimal
    lot_multiple: Decimal
    capacity_per_period: Decimal | None
    period_days: int
    priority: int


class SupplierPublic(BaseModel):
    code: str
    name: str
    active: bool
    items: list[SupplierItemPublic]


Money = Annotated[Decimal, LAX, Field(allow_inf_nan=False, ge=0, le=MAX_QUANTITY)]
"""An amount of money: at most 10⁹ (``Numeric(14, 2)`` and ``Numeric(14, 4)`` columns)."""


class MaterialPolicyIn(RequestModel):
    """How MRP buys a material; demand sensing may set ``safety_stock``."""

    lot_sizing: str = Field("LotForLot", pattern="^(LotForLot|Fixed|EOQ|POQ)$")
    fixed_quantity: Quantity | None = Field(None, gt=0)
    ordering_cost: Money | None = Field(None, gt=0)
    holding_rate: Annotated[Decimal, LAX] | None = Field(None, gt=0, le=10, allow_inf_nan=False)
    periods: int | None = Field(None, ge=1, le=365)
    safety_stock: Quantity = Field(Decimal(0), ge=0)


class LotPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    material: str
    lot: str
    location: str
    quantity: Decimal
    unit: str
    purchase_order_id: str | None
    updated_at: datetime


class StockPublic(BaseModel):
    """A material's stock: lots, total, reserved for work orders, free."""

    material: str
    unit: str
    on_hand: Decimal
    allocated: Decimal
    free: Decimal
    lots: list[LotPublic]


class MoveCreate(RequestModel):
    """One inventory move. ``quantity`` is positive; for ``Count`` it is the counted stock."""

    kind: MoveKind = Field(strict=False)
    material: str = Field(min_length=1, max_length=64)
    lot: str = Field(min_length=1, max_length=64)
    location: str = Field("MAIN", min_length=1, max_length=64)
    quantity: Quantity
    unit: str = Field(min_length=1, max_length=16)
    order_id: str | None = Field(None, max_length=36)
    reason: str = Field("", max_length=200)
    supplier: str | None = Field(
        None, max_length=64, description="A receipt without a purchase order: who delivered it."
    )


class MovePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    material: str
    lot: str
    location: str
    quantity: Decimal
    unit: str
    order_id: str | None
    purchase_order_id: str | None
    reason: str
    actor: str
    moved_at: datetime


class AllocationCreate(RequestModel):
    material: str = Field(min_length=1, max_length=64)
    order_id: str = Field(min_length=1, max_length=36)
    quantity: Quantity = Field(gt=0)
    unit: str = Field(min_length=1, max_length=16)


class GoodsReceipt(RequestModel):
    """Material of a purchase order arrived: it becomes (or adds to) a lot."""

    quantity: Quantity = Field(gt=0)
    lot: str = Field(min_length=1, max_length=64)
    location: str = Field("MAIN", min_length=1, max_length=64)


class PurchaseOrderPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    number: str
    material: str
    supplier: str
    quantity: Decimal
    received_quantity: Decimal
    unit: str
    unit_price: Decimal
    value: Decimal
    status: str
    release_date: date
    due_date: date
    late: bool
    reason: str
    released_at: datetime | None
    work_orders: list[str] = Field(
        default_factory=list, description="your tenant's orders it covers (order numbers)"
    )


class PurchaseOrdersPublic(BaseModel):
    data: list[PurchaseOrderPublic]
    count: int


class ReasonIn(RequestModel):
    reason: str = Field("", max_length=200)


class MessagePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    purchase_order_id: str
    action: str
    material: str
    due_date: date
    new_due_date: date | None
    reason: str


class ShortagePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    order_id: str
    order_number: str
    material: str
    quantity: Decimal
    unit: str
    need_date: date
    available_date: date | None
    cause: str


class MaterialPlanRunPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    created_at: datetime
    trigger: str
    plan_date: date
    work_orders: int
    planned_orders: int
    shortages: int
    messages: int
    purchase_value: Decimal
    seconds: float


class MaterialPlanPublic(BaseModel):
    """The latest material plan: planned purchases, messages, and your orders' shortages."""

    run: MaterialPlanRunPublic | None
    planned: list[PurchaseOrderPublic]
    messages: list[MessagePublic]
    shortages: list[ShortagePublic]


class PurchasingLimitsIn(RequestModel):
    """The limits within which the purchasing autopilot releases orders by itself."""

    max_value_per_order: Money = Decimal("5000")
    allowed_suppliers: (
        Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=100)]
        | None
    ) = None
    horizon_days: int = Field(7, ge=0, le=365)


class HeldPurchase(BaseModel):
    purchase_order: PurchaseOrderPublic
    why: str


class PurchasingRoundPublic(BaseModel):
    run: MaterialPlanRunPublic
    released: list[PurchaseOrderPublic]
    held: list[HeldPurchase]
    late: list[PurchaseOrderPublic]
