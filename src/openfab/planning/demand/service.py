"""Demand sensing as a service: the plant's order history → forecasts → the material plan.

Reads every tenant's orders of the last ``history_days`` (the plant buys for all of them),
forecasts each product, option and material, and runs MRP with the forecasts as extra
demand and safety stock from the forecast error, so long-lead materials are bought before
the orders arrive.

From day one: the plant planner's expected use per material per day (``set_expected_use``)
is the prior the forecast starts from; history takes over as it accumulates (see
:mod:`openfab.planning.demand.prior`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from statistics import NormalDist
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, func, select

from openfab.catalog.service import CatalogService
from openfab.errors import InvalidInput, Problem, ProblemCollector
from openfab.execution.orm import WorkOrderRow
from openfab.execution.states import WorkOrderStatus
from openfab.identity.actor import SCHEDULERS, STOCK_KEEPERS, Actor
from openfab.orders.orm import SalesOrderRow
from openfab.planning.demand.configured import (
    ConfiguredOrder,
    ProductYield,
    material_build_factors,
    material_history,
    option_history,
    planning_bom,
    safety_stocks,
    to_forecast_demand,
    with_build_factors,
)
from openfab.planning.demand.model import DemandPlan
from openfab.planning.demand.orm import ExpectedUseRow
from openfab.planning.demand.prior import DemandPrior
from openfab.planning.demand.schemas import ExpectedUseIn, ExpectedUsePublic
from openfab.planning.demand.sensing import DemandSensing
from openfab.planning.mrp.model import ForecastDemand
from openfab.planning.mrp.schemas import MaterialPlanRunPublic
from openfab.planning.mrp.service import MaterialService
from openfab.store import Database
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow

NEED_AFTER_ORDER_DAYS = 1
"""An order's material is needed about a day after it is placed (when it is planned)."""
YIELD_DAYS = 28
"""Work orders finished within this many days tell each product's current yield."""
FINISHED = (WorkOrderStatus.COMPLETED, WorkOrderStatus.CLOSED)


class DemandService:
    def __init__(self, db: Database, catalog: CatalogService, materials: MaterialService) -> None:
        self.db = db
        self.catalog = catalog
        self.materials = materials

    # -- the planner's prior ---------------------------------------------------------------
    def set_expected_use(
        self, actor: Actor, per_day: Mapping[str, Decimal | float | int] | ExpectedUseIn
    ) -> ExpectedUsePublic:
        """Set the plant's expected use per day of each material (its own unit): the prior
        demand sensing forecasts from until order history takes over. Replaces the whole
        set (a material left out, or at 0, has no prior). Plant planners only."""
        actor.require_plant(*SCHEDULERS)
        data = per_day if isinstance(per_day, ExpectedUseIn) else _expected_use_in(per_day)
        known = self.catalog.reference().materials
        errors = ProblemCollector()
        for material in data.per_day:
            if material not in known:
                errors.add(f"per_day.{material}", f"unknown material {material!r}", "not_found")
        errors.raise_if_any("cannot set the expected use")
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            uow.session.execute(delete(ExpectedUseRow))
            now = utcnow()
            for material, quantity in sorted(data.per_day.items()):
                if quantity > 0:
                    row = ExpectedUseRow(
                        material=material, per_day=quantity, set_by=actor.name, updated_at=now
                    )
                    uow.session.add(row)
            payload = {m: str(q) for m, q in sorted(data.per_day.items()) if q > 0}
            uow.record("demand.expected_use_set", "material_expected_use", "plant", payload)
        return self.expected_use(actor)

    def expected_use(self, actor: Actor) -> ExpectedUsePublic:
        """The prior as set, with how far it is trusted (plant staff who plan or stock)."""
        actor.require_plant(*STOCK_KEEPERS)
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            query = select(ExpectedUseRow).order_by(ExpectedUseRow.material)
            rows = list(uow.session.scalars(query))
        prior = DemandPrior()
        latest = max(rows, key=lambda r: r.updated_at, default=None)
        return ExpectedUsePublic(
            per_day={r.material: r.per_day for r in rows},
            credibility_days=prior.credibility_days,
            min_history_days=prior.min_history_days,
            cv=prior.cv,
            updated_at=latest.updated_at if latest else None,
            set_by=latest.set_by if latest else None,
        )

    def prior(self) -> DemandPrior:
        """The stored expected use as the forecast's prior."""
        with self.db.unit(Scope.plant(), actor="system:demand", readonly=True) as uow:
            rows = uow.session.scalars(select(ExpectedUseRow)).all()
            return DemandPrior({r.material: float(r.per_day) for r in rows})

    def history(self, *, days: int, today: date) -> list[ConfiguredOrder]:
        """Every order placed in the last ``days`` days (cancelled ones too: they were
        demand when they came), as demand sensing sees it."""
        since = datetime.combine(today - timedelta(days=days), time(0), tzinfo=UTC)
        with self.db.unit(Scope.plant(), actor="system:demand", readonly=True) as uow:
            rows = uow.session.scalars(
                select(SalesOrderRow).where(SalesOrderRow.created_at >= since)
            ).all()
            return [configured_order(r) for r in rows if r.created_at.date() < today]

    def yields(self, *, today: date, days: int = YIELD_DAYS) -> dict[str, ProductYield]:
        """Per product: units started and good in the work orders finished in the last
        ``days`` days before ``today`` (make-ups for scrap are work orders too)."""
        since = datetime.combine(today - timedelta(days=days), time(0), tzinfo=UTC)
        until = datetime.combine(today, time(0), tzinfo=UTC)
        query = (
            select(
                WorkOrderRow.product_code,
                func.sum(WorkOrderRow.quantity),
                func.sum(WorkOrderRow.quantity_good),
            )
            .where(
                WorkOrderRow.status.in_(FINISHED),
                WorkOrderRow.completed_at >= since,
                WorkOrderRow.completed_at < until,
            )
            .group_by(WorkOrderRow.product_code)
        )
        with self.db.unit(Scope.plant(), actor="system:demand", readonly=True) as uow:
            rows = uow.session.execute(query).all()
        return {str(p): ProductYield(float(s or 0), float(g or 0)) for p, s, g in rows}

    def drawn_history(
        self, *, days: int, today: date
    ) -> tuple[list[ConfiguredOrder], dict[str, float]]:
        """The order history with each BOM scaled to what the plant draws for it (scrap
        remade, by each product's measured yield), and each material's build factor."""
        orders = self.history(days=days, today=today)
        factors = {p: y.build_factor for p, y in self.yields(today=today).items()}
        return with_build_factors(orders, factors), material_build_factors(orders, factors)

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
        orders, _ = self.drawn_history(days=history_days, today=today)
        return self._sense(orders, horizon_days, service_level, today), orders

    def _lead_times(self) -> dict[str, int]:
        return {code: m.lead_time_days for code, m in self.catalog.reference().materials.items()}

    def _sense(
        self, orders: list[ConfiguredOrder], horizon_days: int, service_level: float, today: date
    ) -> DemandPlan:
        observations = option_history(orders) + material_history(orders)
        return DemandSensing().forecast(
            observations,
            horizon_days,
            service_level,
            lead_times=self._lead_times(),
            as_of=today - timedelta(days=1),
        )

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
        """MRP with the forecast demand and forecast-error safety stock (see module doc),
        the planner's prior blended in; both count what the plant draws per unit ordered
        (each product's measured yield: scrapped units are remade). Without order history
        the prior alone is the forecast; without history and prior, raises ``InvalidInput``
        (nothing to forecast)."""
        actor.require_plant(*SCHEDULERS)
        today = today or utcnow().date()
        orders, factors = self.drawn_history(days=history_days, today=today)
        prior = self.prior().scaled(factors)
        forecasts: list[ForecastDemand] = []
        stocks: dict[str, Decimal] = {}
        if orders or not prior:
            plan = self._sense(orders, horizon_days, service_level, today)
            bom = planning_bom(orders)
            forecasts = to_forecast_demand(plan, bom, offset_days=NEED_AFTER_ORDER_DAYS)
            stocks = safety_stocks(plan, bom)
        if prior:
            days = history_span(orders, today, history_days)
            forecasts = prior.forecasts(
                forecasts,
                days_of_history=days,
                first_due=today + timedelta(days=NEED_AFTER_ORDER_DAYS),
                horizon_days=horizon_days,
            )
            stocks = prior.safety_stocks(
                stocks,
                days_of_history=days,
                lead_times=self._lead_times(),
                z=_z(service_level),
            )
        return self.materials.run(
            actor, trigger=trigger, today=today, forecasts=forecasts, safety_stock=stocks
        )


def history_span(orders: list[ConfiguredOrder], today: date, window_days: int) -> int:
    """Days of order history: from the first order's day up to yesterday, within the
    window (0 without orders)."""
    if not orders:
        return 0
    return max(0, min((today - min(o.day for o in orders)).days, window_days))


def _z(service_level: float) -> float:
    if not 0 < service_level < 1:
        raise InvalidInput(
            "cannot forecast demand from this input",
            [Problem("service_level", f"must lie strictly between 0 and 1, got {service_level}")],
        )
    return NormalDist().inv_cdf(service_level)


def _expected_use_in(per_day: Mapping[str, Decimal | float | int]) -> ExpectedUseIn:
    """A Python caller's mapping, checked like a request body."""
    try:
        return ExpectedUseIn.model_validate(
            {"per_day": {m: Decimal(str(q)) for m, q in per_day.items()}}
        )
    except ValidationError as exc:
        problems = [
            Problem(".".join(str(p) for p in e["loc"]), e["msg"], e["type"]) for e in exc.errors()
        ]
        raise InvalidInput("cannot set the expected use", problems) from exc


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
