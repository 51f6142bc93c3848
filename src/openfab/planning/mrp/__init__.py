"""Material requirements planning: a pure engine (``plan``), its store, service and CLI.

``plan(MrpProblem) -> MrpPlan`` explodes the configured BOMs of scheduled work orders
level by level, nets them against stock, allocations, open purchase orders and safety
stock, and proposes purchase orders with their reasons.
"""

from openfab.planning.mrp.engine import plan
from openfab.planning.mrp.model import (
    Allocation,
    Component,
    EconomicOrderQuantity,
    FixedOrderQuantity,
    ForecastDemand,
    LotForLot,
    LotSizing,
    Material,
    MrpProblem,
    OpenPurchaseOrder,
    PeriodOrderQuantity,
    StockLot,
    SupplierItem,
    WorkOrderDemand,
)
from openfab.planning.mrp.results import (
    BucketRecord,
    MaterialRecord,
    MrpPlan,
    Peg,
    PlannedOrder,
    RescheduleMessage,
    Shortage,
)

__all__ = [
    "Allocation",
    "BucketRecord",
    "Component",
    "EconomicOrderQuantity",
    "FixedOrderQuantity",
    "ForecastDemand",
    "LotForLot",
    "LotSizing",
    "Material",
    "MaterialRecord",
    "MrpPlan",
    "MrpProblem",
    "OpenPurchaseOrder",
    "Peg",
    "PeriodOrderQuantity",
    "PlannedOrder",
    "RescheduleMessage",
    "Shortage",
    "StockLot",
    "SupplierItem",
    "WorkOrderDemand",
    "plan",
]
