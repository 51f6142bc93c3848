"""The material-planning problem as plain data: materials, BOMs, demand, stock and suppliers.

Quantities are ``Decimal`` and carry a unit; the engine converts compatible units (g to kg)
and names any item whose units cannot be converted (kg vs pcs). Dates are calendar days:
a need at 09:00 on 3 May is a need on 3 May. Nothing here checks the whole problem — that
is :func:`openfab.planning.mrp.validate.check`, which names *every* problem at once.

Demand sensing feeds in through two fields only: ``Material.safety_stock`` and
``MrpProblem.forecasts`` (independent demand added to the gross requirements).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

ZERO = Decimal(0)

MaterialSource = Literal["Buy", "Make"]


@dataclass(frozen=True)
class LotForLot:
    """Order exactly the net requirement of each period."""


@dataclass(frozen=True)
class FixedOrderQuantity:
    """Order whole multiples of ``quantity`` (a pallet, a coil, a container)."""

    quantity: Decimal


@dataclass(frozen=True)
class EconomicOrderQuantity:
    """Order at least the EOQ ``sqrt(2·D·S / H)``.

    ``D`` is the annual demand extrapolated from the planned requirements, ``S`` the
    ``ordering_cost`` per order and ``H = holding_rate × unit price`` per unit and year.
    """

    ordering_cost: Decimal
    holding_rate: Decimal = Decimal("0.25")


@dataclass(frozen=True)
class PeriodOrderQuantity:
    """One order covers the net requirements of ``periods`` consecutive buckets."""

    periods: int


LotSizing = LotForLot | FixedOrderQuantity | EconomicOrderQuantity | PeriodOrderQuantity


@dataclass(frozen=True)
class Material:
    """A material definition as MRP sees it (ISA-95 MaterialDefinition).

    ``source="Make"`` materials have a BOM in ``MrpProblem.boms`` and are produced in
    ``make_lead_time_days``; ``"Buy"`` materials need a supplier. ``safety_stock`` is kept
    on hand at all times (in ``unit``); demand sensing computes it from forecast error.
    """

    code: str
    unit: str
    unit_cost: Decimal = ZERO
    safety_stock: Decimal = ZERO
    lot_sizing: LotSizing = field(default_factory=LotForLot)
    source: MaterialSource = "Buy"
    make_lead_time_days: int = 0
    name: str = ""


@dataclass(frozen=True)
class Component:
    """A BOM line: ``quantity`` of ``material`` per unit of the parent, plus scrap.

    ``operation`` names the routing step that consumes it; its start is then the need date
    (otherwise the parent's need date, i.e. the start of its first operation).
    """

    material: str
    quantity: Decimal
    unit: str
    scrap_factor: Decimal = ZERO
    operation: str | None = None


@dataclass(frozen=True)
class WorkOrderDemand:
    """A scheduled work order: its configured BOM and when its operations start.

    ``need`` is the start of its first operation; ``operation_starts`` (routing step code →
    start) refines it per component. Components are per unit of the ordered product.
    """

    work_order: str
    quantity: Decimal
    need: date | datetime
    components: tuple[Component, ...]
    operation_starts: Mapping[str, date | datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class ForecastDemand:
    """Independent demand for a material (from demand sensing), due on ``due``.

    ``quantity`` is in the material's own unit.
    """

    material: str
    due: date | datetime
    quantity: Decimal


@dataclass(frozen=True)
class StockLot:
    """On-hand quantity of one material lot at one location (ISA-95 MaterialLot)."""

    material: str
    lot: str
    quantity: Decimal
    unit: str
    location: str = ""


@dataclass(frozen=True)
class Allocation:
    """Stock already reserved for a work order: it covers that order's need first."""

    material: str
    work_order: str
    quantity: Decimal
    unit: str


@dataclass(frozen=True)
class OpenPurchaseOrder:
    """A released purchase order not yet received (a scheduled receipt)."""

    id: str
    material: str
    supplier: str
    quantity: Decimal
    unit: str
    due: date


@dataclass(frozen=True)
class SupplierItem:
    """What one supplier offers for one material.

    ``minimum_order`` and ``lot_multiple`` bound each order; ``capacity_per_period`` (None:
    unlimited) caps the quantity due in any ``period_days``-long period. Lower ``priority``
    is preferred; ties go to the lower price.
    """

    supplier: str
    material: str
    unit: str
    lead_time_days: int
    price: Decimal
    minimum_order: Decimal = ZERO
    lot_multiple: Decimal = ZERO
    capacity_per_period: Decimal | None = None
    period_days: int = 7
    priority: int = 0


@dataclass(frozen=True)
class MrpProblem:
    """Everything one MRP run needs; ``today`` is day 0 and nothing is released before it.

    ``boms`` holds the BOMs of ``Make`` materials (multi-level). ``bucket_days`` groups
    requirements into time buckets (1: daily, 7: weekly). ``reschedule_tolerance_days``
    keeps de-expedite messages for small gains quiet.
    """

    today: date
    materials: Mapping[str, Material]
    work_orders: tuple[WorkOrderDemand, ...] = ()
    forecasts: tuple[ForecastDemand, ...] = ()
    stock: tuple[StockLot, ...] = ()
    allocations: tuple[Allocation, ...] = ()
    open_orders: tuple[OpenPurchaseOrder, ...] = ()
    suppliers: tuple[SupplierItem, ...] = ()
    boms: Mapping[str, tuple[Component, ...]] = field(default_factory=dict)
    bucket_days: int = 1
    reschedule_tolerance_days: int = 2

    def with_demand_sensing(
        self, forecasts: tuple[ForecastDemand, ...], safety_stock: Mapping[str, Decimal]
    ) -> MrpProblem:
        """This problem with forecast demand added and safety stocks replaced."""
        materials = {
            code: dataclasses.replace(m, safety_stock=safety_stock.get(code, m.safety_stock))
            for code, m in self.materials.items()
        }
        return dataclasses.replace(
            self, materials=materials, forecasts=self.forecasts + tuple(forecasts)
        )
