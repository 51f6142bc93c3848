"""Demand sensing as a service: the plant's order history → forecasts → the material plan.

Reads every tenant's orders of the last ``history_days`` (the plant buys for all of them),
forecasts each product, option and material, and runs MRP with the forecasts as extra
demand and safety stock from the forecast error, so long-lead materials are bought before
the orders arrive.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from openfab.catalog.service import CatalogService
from openfab.identity.actor import SCHEDULERS, Actor
from openfab.orders.orm import SalesOrderRow
from openfab.planning.demand.configured import (
    ConfiguredOrder,
    material_history,
    option_history,
    planning_bom,
    safety_stocks,
    to_forecast_demand,
)
from openfab.planning.demand.model import DemandPlan
from openfab.planning.demand.sensing import DemandSensing
from openfab.planning.mrp.schemas import MaterialPlanRunPublic
from openfab.planning.mrp.service import MaterialService
from openfab.store import Database
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow

NEED_AFTER_ORDER_DAYS = 1
"""An order's material is needed about a day after it is placed (when it is planned)."""


class DemandService:
    def __init__(self, db: Database, catalog: CatalogService, materials: MaterialService) -> None:
        self.db = db
        self.catalog = catalog
        self.materials = materials

    def history(self, *, days: int, today: date) -> list[ConfiguredOrder]:
        """Every order placed in the last ``days`` days (cancelled ones too: they were
        demand when they came), as demand sensing sees it."""
        since = datetime.combine(today - timedelta(days=days), time(0), tzinfo=UTC)
        with self.db.unit(Scope.plant(), actor="system:demand", readonly=True) as uow:
            rows = uow.session.scalars(
                select(SalesOrderRow).where(SalesOrderRow.created_at >= since)
            ).all()
            return [configured_order(r) for r in rows if r.created_at.date() < today]

    def forecast(
        self,
        actor: Actor,
        *,
        history_days: int = 91,
        horizon_days: int = 28,
        service_level: float = 0.95,
        today: date | None = None,
    ) -> tuple[DemandPlan, list[ConfiguredOrder]]:
        actor.require_plant(*SCHEDULERS)
        today = today or utcnow().date()
        orders = self.history(days=history_days, today=today)
        observations = option_history(orders) + material_history(orders)
        lead_times = {
            code: m.lead_time_days for code, m in self.catalog.reference().materials.items()
        }
        plan = DemandSensing().forecast(
            observations,
            horizon_days,
            service_level,
            lead_times=lead_times,
            as_of=today - timedelta(days=1),
        )
        return plan, orders

    def plan_materials(
        self,
        actor: Actor,
        *,
        history_days: int = 91,
        horizon_days: int = 28,
        service_level: float = 0.95,
        trigger: str = "demand sensing",
        today: date | None = None,
    ) -> MaterialPlanRunPublic:
        """MRP with the forecast demand and forecast-error safety stock (see module doc)."""
        plan, orders = self.forecast(
            actor,
            history_days=history_days,
            horizon_days=horizon_days,
            service_level=service_level,
            today=today,
        )
        bom = planning_bom(orders)
        forecasts = to_forecast_demand(plan, bom, offset_days=NEED_AFTER_ORDER_DAYS)
        stocks: dict[str, Decimal] = safety_stocks(plan, bom)
        return self.materials.run(
            actor, trigger=trigger, today=today, forecasts=forecasts, safety_stock=stocks
        )


def configured_order(row: SalesOrderRow) -> ConfiguredOrder:
    """A stored order (its configuration as the configurator exploded it) for sensing."""
    configured: dict[str, Any] = row.configured
    options: set[str] = set()
    numbers: dict[str, float] = {}
    for group, value in configured.get("choices", {}).items():
        if isinstance(value, str):
            options.add(value)
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int | float):
            numbers[group] = float(value)
        else:
            options.update(str(v) for v in value)
    bom = {str(line["material"]): float(line["quantity"]) for line in configured.get("bom", [])}
    return ConfiguredOrder(
        day=row.created_at.date(),
        product=row.product_code,
        quantity=float(row.quantity),
        options=frozenset(options),
        numbers=numbers,
        bom=bom,
    )
