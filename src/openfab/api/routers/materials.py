"""Material plan, shortages, purchase orders, inventory and moves (plant-level stock;
shortages and order references only of the caller's tenant)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from openfab.api.deps import CurrentActor, PlatformDep
from openfab.api.limits import Filter, Key
from openfab.autopilot.purchasing import CEILING, PurchasingAutopilot, PurchasingLimits
from openfab.identity.actor import SCHEDULERS
from openfab.planning.mrp.schemas import (
    AllocationCreate,
    GoodsReceipt,
    HeldPurchase,
    MaterialPlanPublic,
    MaterialPlanRunPublic,
    MaterialPolicyIn,
    MoveCreate,
    MovePublic,
    PurchaseOrderPublic,
    PurchaseOrdersPublic,
    PurchaseStatus,
    PurchasingLimitsIn,
    PurchasingRoundPublic,
    ReasonIn,
    ShortagePublic,
    StockPublic,
    SupplierPublic,
)

router = APIRouter(prefix="/materials", tags=["materials"])


@router.get("/plan", operation_id="material_plan")
def material_plan(platform: PlatformDep, actor: CurrentActor) -> MaterialPlanPublic:
    """The latest material plan: planned purchases, reschedule messages, your shortages."""
    return platform.materials.material_plan(actor)


@router.post("/plan", operation_id="run_material_plan")
def run_material_plan(platform: PlatformDep, actor: CurrentActor) -> MaterialPlanRunPublic:
    """Run MRP over the plant now (planners and admins)."""
    return platform.materials.run(actor, trigger=f"requested by {actor.name}")


@router.get("/shortages", operation_id="list_material_shortages")
def shortages(platform: PlatformDep, actor: CurrentActor) -> list[ShortagePublic]:
    """Material your orders will lack on their need dates, and when it can arrive."""
    return platform.materials.shortages(actor)


@router.get("/purchase-orders", operation_id="list_purchase_orders")
def purchase_orders(
    platform: PlatformDep, actor: CurrentActor, status: PurchaseStatus | None = None
) -> PurchaseOrdersPublic:
    return platform.materials.purchase_orders(actor, status=status)


@router.get("/purchase-orders/{po_id}", operation_id="get_purchase_order")
def purchase_order(platform: PlatformDep, actor: CurrentActor, po_id: Key) -> PurchaseOrderPublic:
    return platform.materials.purchase_order(actor, po_id)


@router.post("/purchase-orders/{po_id}/release", operation_id="release_purchase_order")
def release(
    platform: PlatformDep, actor: CurrentActor, po_id: Key, body: ReasonIn
) -> PurchaseOrderPublic:
    """Send a planned purchase order to its supplier (planners)."""
    return platform.materials.release(actor, po_id, body.reason)


@router.post("/purchase-orders/{po_id}/cancel", operation_id="cancel_purchase_order")
def cancel(
    platform: PlatformDep, actor: CurrentActor, po_id: Key, body: ReasonIn
) -> PurchaseOrderPublic:
    return platform.materials.cancel(actor, po_id, body.reason)


@router.post("/purchase-orders/{po_id}/receipts", operation_id="receive_purchase_order")
def receive(
    platform: PlatformDep, actor: CurrentActor, po_id: Key, body: GoodsReceipt
) -> PurchaseOrderPublic:
    """Goods receipt: the delivered quantity becomes a lot."""
    return platform.materials.receive(actor, po_id, body)


@router.get("/inventory", operation_id="list_inventory")
def inventory(
    platform: PlatformDep, actor: CurrentActor, material: Filter = None
) -> list[StockPublic]:
    """Stock by material and lot, with what is reserved for work orders."""
    return platform.materials.stock(actor, material)


@router.get("/moves", operation_id="list_inventory_moves")
def moves(
    platform: PlatformDep,
    actor: CurrentActor,
    material: Filter = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[MovePublic]:
    return platform.materials.moves(actor, material=material, limit=limit)


@router.post("/moves", status_code=status.HTTP_201_CREATED, operation_id="create_inventory_move")
def move(platform: PlatformDep, actor: CurrentActor, body: MoveCreate) -> MovePublic:
    """Receive, issue to a work order, return, scrap or count (stock never goes negative)."""
    return platform.materials.move(actor, body)


@router.post("/allocations", status_code=status.HTTP_201_CREATED, operation_id="allocate_material")
def allocate(platform: PlatformDep, actor: CurrentActor, body: AllocationCreate) -> StockPublic:
    """Reserve free stock for a work order."""
    return platform.materials.allocate(actor, body)


@router.get("/suppliers", operation_id="list_suppliers")
def suppliers(platform: PlatformDep, actor: CurrentActor) -> list[SupplierPublic]:
    return platform.materials.suppliers(actor)


@router.put("/{code}/policy", operation_id="set_material_policy")
def set_policy(
    platform: PlatformDep, actor: CurrentActor, code: Key, body: MaterialPolicyIn
) -> MaterialPolicyIn:
    """Lot sizing and safety stock of one material (planners)."""
    return platform.materials.set_policy(actor, code, body)


@router.post("/autopilot/run", operation_id="run_purchasing_autopilot")
def run_autopilot(
    platform: PlatformDep, actor: CurrentActor, body: PurchasingLimitsIn
) -> PurchasingRoundPublic:
    """One purchasing round within the limits you set: plan, release, hold, chase late."""
    actor.require_plant(*SCHEDULERS)
    suppliers = frozenset(body.allowed_suppliers) if body.allowed_suppliers is not None else None
    limits = PurchasingLimits(body.max_value_per_order, suppliers, body.horizon_days)
    limits.check_within(CEILING)
    result = PurchasingAutopilot(platform.materials, limits).run(
        trigger=f"autopilot round requested by {actor.name}"
    )
    return PurchasingRoundPublic(
        run=result.run,
        released=result.released,
        held=[HeldPurchase(purchase_order=po, why=why) for po, why in result.held],
        late=result.late,
    )
