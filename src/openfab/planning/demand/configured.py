"""From configured orders to demand series, and from option forecasts back to materials.

With every order customized, forecasting each *configuration* is hopeless (thousands of
variants, each sold once). Options repeat: "inverter compressor" sells every day. So demand
sensing forecasts each product and each option, and a *planning BOM* — learned from the
configured BOMs of past orders — turns option demand into material demand:

    material per day = base[m] × product orders + Σ_option coefficient[option, m] × option orders

The coefficients are the least-squares fit of each order's configured BOM on its options
(an indicator per option, the value per numeric option). A material that only the ice
maker uses gets coefficient 1 on ``fridge/ice_maker`` and nothing else; steel that every
fridge uses, more for wider ones, gets a base and a per-width part. When the option mix
shifts (more inverters, fewer fixed-speed compressors), the option forecasts shift, and the
materials follow — a per-material forecast would have to relearn it from the BOM usage.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from openfab.catalog.results import ConfiguredProduct
from openfab.errors import ProblemCollector
from openfab.planning.demand.methods import Array
from openfab.planning.demand.model import DemandObservation, DemandPlan
from openfab.planning.mrp.model import ForecastDemand

QUANTUM = Decimal("0.001")
NEGLIGIBLE = 1e-9
MAX_BUILD_FACTOR = 3.0
"""Units built per unit ordered never counts above this (a yield under a third is a process
to stop, not material to buy for)."""


@dataclass(frozen=True)
class ConfiguredOrder:
    """A sales order as demand sensing sees it: when, what was chosen, what it consumes.

    ``options`` are the selected option codes, ``numbers`` the numeric choices (shelves,
    cells in series); ``bom`` is the configured BOM per unit (material → quantity).
    """

    day: date
    product: str
    quantity: float
    options: frozenset[str] = frozenset()
    numbers: Mapping[str, float] = field(default_factory=dict)
    bom: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        errors = ProblemCollector()
        if not self.product:
            errors.add("product", "must not be empty")
        if not math.isfinite(self.quantity) or self.quantity <= 0:
            errors.add("quantity", f"must be > 0, got {self.quantity!r}")
        for material, amount in self.bom.items():
            if not math.isfinite(amount) or amount < 0:
                errors.add(f"bom[{material}]", f"must be >= 0, got {amount!r}")
        errors.raise_if_any(f"invalid order of {self.product or '?'} on {self.day}")

    @classmethod
    def of(cls, day: date, configured: ConfiguredProduct, quantity: float = 1) -> ConfiguredOrder:
        """The order of ``quantity`` units of a product the configurator exploded."""
        options: set[str] = set()
        numbers: dict[str, float] = {}
        for group, value in configured.choices.items():
            if isinstance(value, str):
                options.add(value)
            elif isinstance(value, int | float | Decimal):
                numbers[group] = float(value)
            elif value is not None:
                options.update(value)
        bom = {line.material: float(line.quantity) for line in configured.bom}
        return cls(day, configured.product, quantity, frozenset(options), numbers, bom)


@dataclass(frozen=True)
class ProductYield:
    """Units a product's finished work orders started and how many came out good."""

    started: float
    good: float

    @property
    def build_factor(self) -> float:
        """Units started per good unit: scrap is remade, so material per unit ordered is
        BOM × started / good (yield-adjusted gross requirements), capped; 1 without data."""
        if self.started <= 0 or self.good <= 0:
            return 1.0 if self.started <= 0 else MAX_BUILD_FACTOR
        return min(max(self.started / self.good, 1.0), MAX_BUILD_FACTOR)


def with_build_factors(
    orders: Iterable[ConfiguredOrder], factors: Mapping[str, float]
) -> list[ConfiguredOrder]:
    """Each order's BOM scaled by its product's build factor: what the plant will draw for
    it, scrap remade, rather than what one good unit needs."""
    out = []
    for order in orders:
        factor = factors.get(order.product, 1.0)
        if factor == 1.0:
            out.append(order)
            continue
        bom = {m: q * factor for m, q in order.bom.items()}
        out.append(
            ConfiguredOrder(
                order.day, order.product, order.quantity, order.options, order.numbers, bom
            )
        )
    return out


def material_build_factors(
    orders: Iterable[ConfiguredOrder], factors: Mapping[str, float]
) -> dict[str, float]:
    """Each material's build factor: its products' factors weighted by how much of the
    material their orders used (for forecasts, such as the planner's prior, kept per material)."""
    drawn: dict[str, float] = defaultdict(float)
    needed: dict[str, float] = defaultdict(float)
    for order in orders:
        factor = factors.get(order.product, 1.0)
        for material, amount in order.bom.items():
            needed[material] += amount * order.quantity
            drawn[material] += amount * order.quantity * factor
    return {m: drawn[m] / q for m, q in sorted(needed.items()) if q > 0}


def option_key(product: str, option: str) -> str:
    """The series of an option (or numeric group) of a product: ``fridge/inverter``."""
    return f"{product}/{option}"


def option_history(orders: Iterable[ConfiguredOrder]) -> list[DemandObservation]:
    """Per day: units ordered per product, per option, and summed values per numeric option."""
    totals: dict[tuple[str, date], float] = defaultdict(float)
    for order in orders:
        for key, amount in _regressors(order).items():
            totals[key, order.day] += amount * order.quantity
    return [DemandObservation(key, day, q) for (key, day), q in sorted(totals.items())]


def material_history(orders: Iterable[ConfiguredOrder]) -> list[DemandObservation]:
    """Per day: quantity of each material the ordered units consume (configured BOMs)."""
    totals: dict[tuple[str, date], float] = defaultdict(float)
    for order in orders:
        for material, amount in order.bom.items():
            totals[material, order.day] += amount * order.quantity
    return [DemandObservation(key, day, q) for (key, day), q in sorted(totals.items())]


def _regressors(order: ConfiguredOrder) -> dict[str, float]:
    """The series an order counts towards, with what it adds per unit."""
    values = {order.product: 1.0}
    values.update({option_key(order.product, o): 1.0 for o in order.options})
    values.update({option_key(order.product, g): v for g, v in order.numbers.items()})
    return values


@dataclass(frozen=True)
class PlanningBom:
    """Material per unit of each product/option series: ``coefficients[series][material]``."""

    coefficients: Mapping[str, Mapping[str, float]]

    @property
    def materials(self) -> list[str]:
        return sorted({m for row in self.coefficients.values() for m in row})

    def explain(self, material: str) -> str:
        """The planning-BOM line of a material, e.g. ``1.000 × fridge/ice_maker``."""
        terms = [
            f"{row[material]:.3f} × {series}"
            for series, row in sorted(self.coefficients.items())
            if material in row
        ]
        return " + ".join(terms) if terms else "not used"


def planning_bom(orders: Sequence[ConfiguredOrder]) -> PlanningBom:
    """Fit each material's usage per order on the order's options, product by product.

    Minimum-norm least squares, so options that always come together (or one of each
    required group) need no reference level; what matters is that the fitted usage of
    every past configuration is its configured BOM.
    """
    by_product: dict[str, list[ConfiguredOrder]] = defaultdict(list)
    for order in orders:
        by_product[order.product].append(order)
    coefficients: dict[str, dict[str, float]] = defaultdict(dict)
    for product_orders in by_product.values():
        for series, row in _fit(product_orders).items():
            coefficients[series].update(row)
    return PlanningBom({s: dict(row) for s, row in coefficients.items()})


def _fit(orders: list[ConfiguredOrder]) -> dict[str, dict[str, float]]:
    """Weighted least squares over the distinct configurations (weight: units ordered)."""
    units: dict[tuple[tuple[tuple[str, float], ...], tuple[tuple[str, float], ...]], float]
    units = defaultdict(float)
    for order in orders:
        key = (tuple(sorted(_regressors(order).items())), tuple(sorted(order.bom.items())))
        units[key] += order.quantity
    rows = [(dict(r), dict(b), q) for (r, b), q in units.items()]
    columns = sorted({k for r, _, _ in rows for k in r})
    materials = sorted({m for _, b, _ in rows for m in b})
    x = np.array([[r.get(c, 0.0) for c in columns] for r, _, _ in rows])
    y = np.array([[b.get(m, 0.0) for m in materials] for _, b, _ in rows])
    weight = np.sqrt([q for _, _, q in rows])[:, None]
    beta = np.linalg.lstsq(x * weight, y * weight, rcond=None)[0]
    fitted: dict[str, dict[str, float]] = defaultdict(dict)
    for i, column in enumerate(columns):
        for j, material in enumerate(materials):
            if abs(beta[i, j]) > NEGLIGIBLE:
                fitted[column][material] = float(beta[i, j])
    return fitted


def material_forecast(plan: DemandPlan, bom: PlanningBom) -> dict[str, list[float]]:
    """Material demand per forecast bucket (never negative), from the option forecasts."""
    days = _days(plan)
    demand: dict[str, list[float]] = {}
    for (material, day), quantity in _by_day(plan, bom, lambda _: 0).items():
        demand.setdefault(material, [0.0] * len(days))[days.index(day)] = quantity
    return demand


def to_forecast_demand(
    plan: DemandPlan, bom: PlanningBom, *, offset_days: int | Mapping[str, int] = 0
) -> list[ForecastDemand]:
    """MRP's independent demand: material per bucket, due on the bucket's first day.

    ``offset_days`` shifts due dates from when an order is *placed* (what the history
    counts) to when its material is *needed* (e.g. the customer lead time less assembly);
    a mapping gives it per product code (missing products: 0).
    """
    if isinstance(offset_days, int):
        fixed = offset_days

        def offset(product: str) -> int:
            return fixed

    else:
        offsets = dict(offset_days)

        def offset(product: str) -> int:
            return offsets.get(product, 0)

    rounded = (
        (material, day, Decimal(quantity).quantize(QUANTUM))
        for (material, day), quantity in sorted(_by_day(plan, bom, offset).items())
    )
    return [ForecastDemand(m, day, q) for m, day, q in rounded if q > 0]


def _by_day(
    plan: DemandPlan, bom: PlanningBom, offset: Callable[[str], int]
) -> dict[tuple[str, date], float]:
    """Material per due day, summed over products; each product's part clipped at zero."""
    days = _days(plan)
    parts: dict[tuple[str, str], Array] = {}
    for series, row in bom.coefficients.items():
        if series not in plan:
            continue
        product = series.split("/", 1)[0]
        quantities = np.asarray(plan[series].quantities, dtype=float)
        for material, coefficient in row.items():
            part = parts.setdefault((product, material), np.zeros(len(days)))
            part += coefficient * quantities
    total: dict[tuple[str, date], float] = defaultdict(float)
    for (product, material), part in parts.items():
        shift = timedelta(days=offset(product))
        for day, quantity in zip(days, part, strict=True):
            total[material, day + shift] += max(float(quantity), 0.0)
    return dict(total)


def safety_stocks(plan: DemandPlan, bom: PlanningBom | None = None) -> dict[str, Decimal]:
    """Safety stock per material, from the forecast error of the material's own series.

    Without ``bom`` every series of the plan is listed (a plan of material series only).

    A material without a series of its own (only in ``bom``) gets the option errors
    propagated through the planning BOM as if independent: sqrt(Σ (coefficient × stock)²).
    """
    stocks = {
        material: forecast.safety_stock
        for material, forecast in plan.forecasts.items()
        if bom is None or material in bom.materials
    }
    if bom is not None:
        spread: dict[str, float] = defaultdict(float)
        for series, row in bom.coefficients.items():
            if series in plan:
                for material, coefficient in row.items():
                    spread[material] += (coefficient * plan[series].safety_stock) ** 2
        for material, square in spread.items():
            stocks.setdefault(material, math.sqrt(square))
    return {m: Decimal(s).quantize(QUANTUM) for m, s in sorted(stocks.items())}


def _days(plan: DemandPlan) -> list[date]:
    """The first day of each forecast bucket."""
    buckets = math.ceil(plan.horizon_days / plan.bucket_days)
    return [plan.first_day + timedelta(days=k * plan.bucket_days) for k in range(buckets)]
