"""Small problems written the way a planner would jot them down: day numbers, not dates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal

from openfab.planning.mrp import (
    Component,
    LotForLot,
    LotSizing,
    Material,
    MrpProblem,
    StockLot,
    SupplierItem,
    WorkOrderDemand,
)

TODAY = date(2026, 5, 4)


def day(n: int) -> date:
    return TODAY + timedelta(days=n)


def dec(value: str | int | float) -> Decimal:
    return Decimal(str(value))


def material(
    code: str,
    unit: str = "pcs",
    *,
    safety_stock: str | int = 0,
    lot_sizing: LotSizing | None = None,
    make_lead_time_days: int | None = None,
    unit_cost: str | int = 1,
) -> Material:
    return Material(
        code,
        unit,
        unit_cost=dec(unit_cost),
        safety_stock=dec(safety_stock),
        lot_sizing=lot_sizing or LotForLot(),
        source="Make" if make_lead_time_days is not None else "Buy",
        make_lead_time_days=make_lead_time_days or 0,
    )


def supplier(
    material_code: str,
    lead_time_days: int = 0,
    price: str | int = 1,
    *,
    name: str = "ACME",
    unit: str = "pcs",
    minimum_order: str | int = 0,
    lot_multiple: str | int = 0,
    capacity: str | int | None = None,
    period_days: int = 7,
    priority: int = 0,
) -> SupplierItem:
    return SupplierItem(
        name,
        material_code,
        unit,
        lead_time_days,
        dec(price),
        minimum_order=dec(minimum_order),
        lot_multiple=dec(lot_multiple),
        capacity_per_period=None if capacity is None else dec(capacity),
        period_days=period_days,
        priority=priority,
    )


def work_order(
    wo: str,
    need_day: int,
    components: Mapping[str, str | int],
    quantity: int = 1,
    unit: str = "pcs",
) -> WorkOrderDemand:
    lines = tuple(Component(m, dec(q), unit) for m, q in components.items())
    return WorkOrderDemand(wo, dec(quantity), day(need_day), lines)


def lot(material_code: str, quantity: str | int, unit: str = "pcs", name: str = "L1") -> StockLot:
    return StockLot(material_code, name, dec(quantity), unit)


def problem(
    materials: Iterable[Material],
    work_orders: Iterable[WorkOrderDemand] = (),
    suppliers: Iterable[SupplierItem] = (),
    **kwargs: object,
) -> MrpProblem:
    return MrpProblem(
        today=TODAY,
        materials={m.code: m for m in materials},
        work_orders=tuple(work_orders),
        suppliers=tuple(suppliers),
        **kwargs,  # type: ignore[arg-type]
    )
