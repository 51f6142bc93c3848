"""A simulated quarter of customized orders: demand sensing + MRP against reorder points.

Customers configure fridges, washers and e-bike batteries from the sample catalog; each
order is built ``customer lead time`` days after it arrives, and needs its configured BOM
on that day. Suppliers take 3 to 40 days — much longer than customers wait — so material
must be bought before the orders that need it exist. Two purchasing policies, each at a few
settings, face the same orders, the same suppliers and the same starting stock, day by day:

(a) **demand sensing + MRP**: every day, forecast each product and option from the order
    history (method per series by backtest), turn option demand into material demand
    through the planning BOM, set safety stock from forecast error at the service level
    (95 %, 99 %, 99.9 %), and let the MRP engine net firm orders + forecast against stock
    and open purchase orders (period order quantity of 7 days, 2 days of safety lead
    time); release the planned purchase orders due for release today.
(b) **reorder point** (the classic ERP rule): when on hand + on order − allocated falls to
    the reorder point = average daily use (last 28 days) × lead time + a fixed safety stock
    (7 or 14 days of the average use before the run), order up to one week more than that.

Each policy runs a 42-day burn-in before the quarter, so it starts the quarter from its own
stock and pipeline; only the quarter's 91 days are counted.

Orders arrive with weekday seasonality, a slow trend and, mid-quarter, a demand shift: one
product's volume jumps, another's drops, and one option of each product doubles its share.
Suppliers deliver 0-3 days late one time in ten. Production capacity is not the limit here:
an order is built on its day if all its material is there, otherwise it waits (a line
stoppage for material).

    .venv/bin/python benchmarks/mrp/quarter.py                # 5 seeds, every policy
    .venv/bin/python benchmarks/mrp/quarter.py --seeds 1 --quick --levels 0.99 --safety-days 7

Results go to ``benchmarks/mrp/results/quarter.md`` and ``quarter.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Protocol

import numpy as np
from rich.console import Console
from rich.table import Table

from openfab.catalog.definition import Material as CatalogMaterial
from openfab.catalog.results import ConfiguredProduct
from openfab.catalog.sample import load_sample_catalog
from openfab.errors import OpenFabError
from openfab.planning.demand import (
    ConfiguredOrder,
    DemandObservation,
    DemandSensing,
    PlanningBom,
    material_history,
    option_history,
    planning_bom,
    safety_stocks,
    to_forecast_demand,
)
from openfab.planning.mrp import model as mrp
from openfab.planning.mrp.engine import plan as mrp_plan
from openfab.planning.mrp.reorder_point import ReorderPolicy, StockPosition, reorder

RESULTS = Path(__file__).parent / "results"
DAY0 = date(2026, 4, 6)  # a Monday: the first day of the quarter
WEEKDAY = (1.25, 1.15, 1.05, 1.0, 1.2, 0.75, 0.6)
PRODUCTS = {"fridge": 9.0, "washer": 8.0, "ebike-battery": 12.0}
"""Orders per day before the shift."""
SHIFT_VOLUME = {"fridge": 1.5, "washer": 1.0, "ebike-battery": 0.7}
"""Volume factor after the shift: fridges boom, batteries slump."""
CUSTOMER_DAYS = {"fridge": 7, "washer": 6, "ebike-battery": 5}
"""Days from order to build (the products' base lead times)."""


@dataclass(frozen=True)
class Scenario:
    seed: int
    days: int = 91
    warmup: int = 112
    burn_in: int = 42
    shift_day: int = 45
    pool: int = 40
    history_days: int = 182
    late_chance: float = 0.1


# --- the market ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Order:
    id: int
    day: int
    product: str
    config: int
    build_day: int


@dataclass
class Market:
    """Configurations per product and every order of the warm-up and the quarter."""

    configs: dict[str, list[ConfiguredProduct]]
    boms: dict[str, list[dict[str, float]]]
    orders: list[Order]
    boosted: dict[str, str]


def configurations(product: str, count: int, rng: random.Random) -> list[ConfiguredProduct]:
    """Valid configurations: random partial choices completed the cheapest valid way."""
    catalog = load_sample_catalog()
    definition, configurator = catalog.products[product], catalog.configurator(product)
    found: dict[str, ConfiguredProduct] = {}
    attempts = 0
    while len(found) < count and attempts < 40 * count:
        attempts += 1
        partial: dict[str, object] = {}
        for group in definition.option_groups:
            if group.kind == "single" and rng.random() < 0.7:
                partial[group.code] = rng.choice(group.option_codes)
            elif group.kind == "multi" and rng.random() < 0.5:
                partial[group.code] = [o for o in group.option_codes if rng.random() < 0.4]
            elif group.kind == "numeric" and rng.random() < 0.7:
                partial[group.code] = float(rng.choice(group.values))
        try:
            product_ = configurator.complete(partial)
        except OpenFabError:
            continue
        found.setdefault(json.dumps(product_.to_dict()["choices"], sort_keys=True), product_)
    return list(found.values())


def build_market(s: Scenario) -> Market:
    rng = random.Random(s.seed)
    np_rng = np.random.default_rng(s.seed)
    configs = {p: configurations(p, s.pool, rng) for p in PRODUCTS}
    boms = {
        p: [{b.material: float(b.quantity) for b in c.bom} for c in cs] for p, cs in configs.items()
    }
    boosted = {p: _boosted_option(cs, rng) for p, cs in configs.items()}
    orders: list[Order] = []
    for product, rate in PRODUCTS.items():
        weights = np_rng.dirichlet(np.ones(len(configs[product])))
        shifted = weights * np.array(
            [2.5 if boosted[product] in _options(c) else 1.0 for c in configs[product]]
        )
        shifted /= shifted.sum()
        for day in range(-s.warmup, s.days):
            after = day >= s.shift_day
            mean = rate * WEEKDAY[day % 7] * (1 + 0.002 * (day + s.warmup))
            mean *= SHIFT_VOLUME[product] if after else 1.0
            for _ in range(np_rng.poisson(mean)):
                config = int(np_rng.choice(len(weights), p=shifted if after else weights))
                orders.append(
                    Order(len(orders), day, product, config, day + CUSTOMER_DAYS[product])
                )
    orders.sort(key=lambda o: (o.day, o.id))
    return Market(configs, boms, orders, boosted)


def _options(c: ConfiguredProduct) -> set[str]:
    return set(ConfiguredOrder.of(DAY0, c).options)


def _boosted_option(configs: list[ConfiguredProduct], rng: random.Random) -> str:
    """An option in roughly a third to a half of the configurations: its share doubles."""
    counts: dict[str, int] = defaultdict(int)
    for c in configs:
        for o in _options(c):
            counts[o] += 1
    middling = sorted(o for o, n in counts.items() if 0.2 <= n / len(configs) <= 0.5)
    return rng.choice(middling or sorted(counts))


# --- the plant ------------------------------------------------------------------------------------


@dataclass
class Plant:
    """Stock, purchase orders in transit, and the order book, as the policies see them."""

    materials: dict[str, CatalogMaterial]
    on_hand: dict[str, float]
    transit: list[tuple[int, str, float, int]] = field(default_factory=list)
    """(arrival day, material, quantity, purchase-order id)"""
    open_orders: list[Order] = field(default_factory=list)
    known: list[Order] = field(default_factory=list)
    today: int = 0

    def on_order(self, material: str) -> float:
        return sum(q for _, m, q, _ in self.transit if m == material)


class Policy(Protocol):
    @property
    def name(self) -> str: ...

    def purchases(self, plant: Plant, market: Market) -> dict[str, float]: ...


def need(market: Market, order: Order) -> dict[str, float]:
    return market.boms[order.product][order.config]


def daily_use(market: Market, orders: Sequence[Order], first: int, last: int) -> dict[str, float]:
    """Average material per day of the orders that *arrived* in days ``[first, last]``."""
    total: dict[str, float] = defaultdict(float)
    for o in orders:
        if first <= o.day <= last:
            for m, q in need(market, o).items():
                total[m] += q
    days = last - first + 1
    return {m: q / days for m, q in total.items()}


@dataclass
class ReorderPoint:
    """(s, S): reorder point = average use × lead time + fixed safety stock; up to s + a week."""

    safety_days: float = 7.0
    cover_days: float = 7.0
    window: int = 28
    fixed_safety: dict[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"reorder point, safety stock {self.safety_days:g} days"

    def purchases(self, plant: Plant, market: Market) -> dict[str, float]:
        t = plant.today
        use = daily_use(market, plant.known, t - self.window + 1, t)
        if not self.fixed_safety:
            before = daily_use(market, plant.known, t - self.window, t - 1)
            self.fixed_safety = {m: self.safety_days * q for m, q in before.items()}
        allocated: dict[str, float] = defaultdict(float)
        for o in plant.open_orders:
            for m, q in need(market, o).items():
                allocated[m] += q
        positions = [
            StockPosition(
                m,
                daily_use=use.get(m, 0.0),
                lead_time_days=material.lead_time_days,
                on_hand=plant.on_hand[m],
                on_order=plant.on_order(m),
                allocated=allocated[m],
                safety_stock=self.fixed_safety.get(m, 0.0),
            )
            for m, material in plant.materials.items()
        ]
        policy = ReorderPolicy(self.safety_days, self.cover_days)
        return {o.material: o.quantity for o in reorder(positions, policy)}


SAFETY_LEAD_DAYS = 2
"""MRP plans with suppliers 2 days slower than quoted (safety lead time): suppliers are late
one time in ten, which no demand forecast can foresee."""


@dataclass
class SensingMrp:
    """Demand sensing every day, then one MRP run; release what is due for release today."""

    service_level: float
    history_days: int
    sensing: DemandSensing = field(default_factory=DemandSensing)
    seconds: float = 0.0
    methods: dict[str, int] = field(default_factory=dict)

    bom_every: int = 7
    _days: dict[int, tuple[list[ConfiguredOrder], list[DemandObservation]]] = field(
        default_factory=dict
    )
    _bom: PlanningBom | None = None

    @property
    def name(self) -> str:
        return f"demand sensing + MRP, {self.service_level:.1%} service"

    def purchases(self, plant: Plant, market: Market) -> dict[str, float]:
        started = time.perf_counter()
        t = plant.today
        window = range(t - self.history_days + 1, t + 1)
        self._remember(plant, market, window)
        if self._bom is None or t % self.bom_every == 0:
            self._bom = planning_bom([o for d in window for o in self._days[d][0]])
        history = [x for d in window for x in self._days[d][1]]
        lead = {m: _exposure(m, plant) for m in plant.materials}
        horizon = max(m.lead_time_days for m in plant.materials.values()) + 14
        plan = self.sensing.forecast(
            history, horizon, self.service_level, lead_times=lead, as_of=DAY0 + timedelta(days=t)
        )
        for f in plan.forecasts.values():
            self.methods[f.method] = self.methods.get(f.method, 0) + 1
        forecast = to_forecast_demand(plan, self._bom, offset_days=CUSTOMER_DAYS)
        stocks = safety_stocks(plan, self._bom)
        stocks = {m: q for m, q in stocks.items() if m in plant.materials}
        buy = run_mrp(plant, market, forecast, stocks)
        self.seconds += time.perf_counter() - started
        return buy

    def _remember(self, plant: Plant, market: Market, window: range) -> None:
        """Each day's orders and demand series, built once (a day's orders never change)."""
        missing = set(window) - set(self._days) - {plant.today}
        counts: dict[tuple[int, str, int], int] = defaultdict(int)
        for o in plant.known:
            if o.day in missing or o.day == plant.today:
                counts[o.day, o.product, o.config] += 1
        per_day: dict[int, list[ConfiguredOrder]] = {d: [] for d in missing | {plant.today}}
        for (day, product, c), n in counts.items():
            options, numbers = _choice_sets(market, product, c)
            bom = market.boms[product][c]
            when = DAY0 + timedelta(days=day)
            per_day[day].append(ConfiguredOrder(when, product, n, options, numbers, bom))
        for day, orders in per_day.items():
            self._days[day] = (orders, option_history(orders) + material_history(orders))


_CHOICES: dict[tuple[str, int], tuple[frozenset[str], dict[str, float]]] = {}


def _choice_sets(
    market: Market, product: str, config: int
) -> tuple[frozenset[str], dict[str, float]]:
    key = (product, config)
    if key not in _CHOICES:
        c = ConfiguredOrder.of(DAY0, market.configs[product][config])
        _CHOICES[key] = (c.options, dict(c.numbers))
    return _CHOICES[key]


def _exposure(material: str, plant: Plant) -> int:
    """Days of *unknown* demand a purchase must cover: lead time less the firm order window."""
    return max(plant.materials[material].lead_time_days - min(CUSTOMER_DAYS.values()), 1) + 1


def run_mrp(
    plant: Plant, market: Market, forecast: list[mrp.ForecastDemand], stocks: dict[str, Decimal]
) -> dict[str, float]:
    """One run of the MRP engine; the planned purchase orders released today."""
    today = DAY0 + timedelta(days=plant.today)
    materials = {
        code: mrp.Material(code, m.unit, m.unit_cost, lot_sizing=mrp.PeriodOrderQuantity(7))
        for code, m in plant.materials.items()
    }
    work_orders = tuple(
        mrp.WorkOrderDemand(
            f"SO-{o.id}",
            Decimal(1),
            max(today, DAY0 + timedelta(days=o.build_day)),
            tuple(
                mrp.Component(m, Decimal(str(q)), plant.materials[m].unit)
                for m, q in need(market, o).items()
            ),
        )
        for o in plant.open_orders
    )
    stock = tuple(
        mrp.StockLot(m, "LOT", Decimal(str(round(q, 3))), plant.materials[m].unit)
        for m, q in plant.on_hand.items()
        if q > 0
    )
    open_orders = tuple(
        mrp.OpenPurchaseOrder(
            f"PO-{i}",
            m,
            f"S-{m}",
            Decimal(str(round(q, 3))),
            plant.materials[m].unit,
            DAY0 + timedelta(days=max(day, plant.today + 1)),
        )
        for day, m, q, i in plant.transit
    )
    suppliers = tuple(
        mrp.SupplierItem(f"S-{m}", m, c.unit, c.lead_time_days + SAFETY_LEAD_DAYS, c.unit_cost)
        for m, c in plant.materials.items()
    )
    problem = mrp.MrpProblem(
        today, materials, work_orders, stock=stock, open_orders=open_orders, suppliers=suppliers
    ).with_demand_sensing(tuple(forecast), stocks)
    result = mrp_plan(problem)
    buy: dict[str, float] = defaultdict(float)
    for planned in result.purchase_orders:
        if planned.release <= today:
            buy[planned.material] += float(planned.quantity)
    return dict(buy)


# --- the simulation ------------------------------------------------------------------------------


@dataclass
class Outcome:
    policy: str
    seed: int
    stockout_material_days: int = 0
    line_stoppage_days: int = 0
    blocked_order_days: int = 0
    late_orders: int = 0
    orders: int = 0
    average_inventory_value: float = 0.0
    purchase_orders: int = 0
    purchase_value: float = 0.0
    seconds: float = 0.0


def starting_plant(market: Market, s: Scenario) -> Plant:
    """The same start for every policy, ``burn_in`` days before the quarter: two weeks of
    stock and a steady pipeline over each lead time, at the warm-up's average use."""
    catalog = load_sample_catalog()
    used = {m for boms in market.boms.values() for b in boms for m in b}
    materials = {m: catalog.materials[m] for m in sorted(used)}
    start = -s.burn_in
    use = daily_use(market, market.orders, -s.warmup, start - 1)
    plant = Plant(materials, {m: 14 * use.get(m, 0.0) for m in materials})
    for m, material in materials.items():
        for day in range(material.lead_time_days if use.get(m) else 0):
            plant.transit.append((start + day, m, use[m], -1))
    plant.known = [o for o in market.orders if o.day < start]
    plant.open_orders = [o for o in plant.known if o.build_day >= start]
    return plant


def late_by(seed: int, material: str, day: int, chance: float) -> int:
    """Supplier lateness, the same for both policies when they order on the same day."""
    digest = hashlib.sha256(f"{seed}:{material}:{day}".encode()).digest()
    return digest[1] % 4 if digest[0] / 256 < chance else 0


def simulate(policy: Policy, market: Market, s: Scenario) -> Outcome:
    """Run the policy from the burn-in on; count only the quarter (days 0 to ``days``).

    The burn-in (longer than most lead times) lets each policy reach its own stock levels
    and pipeline before anything is measured, so the common start does not decide.
    """
    plant = starting_plant(market, s)
    out, burn = Outcome(policy.name, s.seed), Outcome(policy.name, s.seed)
    values = []
    arriving = [o for o in market.orders if o.day >= -s.burn_in]
    next_po = 0
    started = time.perf_counter()
    for t in range(-s.burn_in, s.days):
        plant.today = t
        counted = out if t >= 0 else burn
        for item in [x for x in plant.transit if x[0] <= t]:
            plant.on_hand[item[1]] += item[2]
            plant.transit.remove(item)
        new = [o for o in arriving if o.day == t]
        plant.known.extend(new)
        plant.open_orders.extend(new)
        _build(plant, market, counted, t)
        for m, q in sorted(policy.purchases(plant, market).items()):
            if q <= 0:
                continue
            next_po += 1
            lead = plant.materials[m].lead_time_days + late_by(s.seed, m, t, s.late_chance)
            plant.transit.append((t + max(lead, 1), m, q, next_po))
            counted.purchase_orders += 1
            counted.purchase_value += q * float(plant.materials[m].unit_cost)
        if t >= 0:
            stock = plant.on_hand.items()
            values.append(sum(q * float(plant.materials[m].unit_cost) for m, q in stock))
    out.average_inventory_value = float(np.mean(values))
    out.orders = sum(1 for o in arriving if o.day >= 0)
    out.seconds = time.perf_counter() - started
    return out


def _build(plant: Plant, market: Market, out: Outcome, t: int) -> None:
    """Build every due order whose material is all there, oldest first; count the rest."""
    short_materials: set[str] = set()
    stopped_lines: set[str] = set()
    waiting = []
    for o in sorted(plant.open_orders, key=lambda o: (o.build_day, o.id)):
        if o.build_day > t:
            waiting.append(o)
            continue
        bom = need(market, o)
        missing = [m for m, q in bom.items() if plant.on_hand[m] < q - 1e-9]
        if missing:
            short_materials.update(missing)
            stopped_lines.add(o.product)
            out.blocked_order_days += 1
            waiting.append(o)
            continue
        for m, q in bom.items():
            plant.on_hand[m] -= q
        if o.build_day < t:
            out.late_orders += 1
    plant.open_orders = waiting
    out.stockout_material_days += len(short_materials)
    out.line_stoppage_days += len(stopped_lines)


# --- reporting ---------------------------------------------------------------------------------

COLUMNS = (
    ("stock-outs (material-days)", "stockout_material_days", "{:.0f}"),
    ("line stoppages (line-days)", "line_stoppage_days", "{:.0f}"),
    ("blocked order-days", "blocked_order_days", "{:.0f}"),
    ("late orders", "late_orders", "{:.0f}"),
    ("avg inventory value (EUR)", "average_inventory_value", "{:,.0f}"),
    ("purchase orders", "purchase_orders", "{:.0f}"),
    ("run time (s)", "seconds", "{:.1f}"),
)


def _cells(outcome: Outcome) -> list[str]:
    return [fmt.format(getattr(outcome, key)) for _, key, fmt in COLUMNS]


def _means(outcomes: list[Outcome]) -> list[tuple[str, list[str]]]:
    rows = []
    for policy in dict.fromkeys(o.policy for o in outcomes):
        mine = [o for o in outcomes if o.policy == policy]
        means = [fmt.format(np.mean([getattr(o, key) for o in mine])) for _, key, fmt in COLUMNS]
        rows.append((policy, means))
    return rows


def table(outcomes: list[Outcome], title: str, *, per_seed: bool) -> Table:
    t = Table(title=title)
    if per_seed:
        t.add_column("seed")
    t.add_column("policy")
    for label, _, _ in COLUMNS:
        t.add_column(label, justify="right")
    if per_seed:
        for o in outcomes:
            t.add_row(str(o.seed), o.policy, *_cells(o))
    else:
        for policy, means in _means(outcomes):
            t.add_row(policy, *means)
    return t


def markdown(outcomes: list[Outcome], header: str) -> str:
    labels = [label for label, _, _ in COLUMNS]
    lines = [header, "", "Mean over the seeds:", ""]
    lines += ["| policy | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    lines += ["| " + " | ".join([p, *m]) + " |" for p, m in _means(outcomes)]
    lines += ["", "Per seed:", "", "| seed | policy | " + " | ".join(labels) + " |"]
    lines.append("|---" * (len(labels) + 2) + "|")
    lines += ["| " + " | ".join([str(o.seed), o.policy, *_cells(o)]) + " |" for o in outcomes]
    return "\n".join(lines) + "\n"


def policies(s: Scenario, levels: Sequence[float], safety_days: Sequence[float]) -> list[Policy]:
    sensing: list[Policy] = [SensingMrp(level, s.history_days) for level in levels]
    return sensing + [ReorderPoint(safety_days=d) for d in safety_days]


def run_seed(seed: int, args: argparse.Namespace, console: Console) -> dict[str, object]:
    """Every policy on one seed's market; the results, as written to ``quarter_seed{n}.json``."""
    s = Scenario(seed, days=args.days, pool=15 if args.quick else 40)
    market = build_market(s)
    _CHOICES.clear()
    outcomes, methods = [], defaultdict(int)
    for policy in policies(s, args.levels, args.safety_days):
        outcome = simulate(policy, market, s)
        outcomes.append(asdict(outcome))
        console.log(f"seed {seed}: {policy.name}: {outcome}")
        for k, v in getattr(policy, "methods", {}).items():
            methods[k] += v
    orders = sum(1 for o in market.orders if 0 <= o.day < s.days)
    settings = {"days": args.days, "quick": args.quick}
    return {
        "seed": seed,
        "settings": settings,
        "orders": orders,
        "outcomes": outcomes,
        "methods": dict(methods),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--days", type=int, default=91)
    parser.add_argument("--quick", action="store_true", help="fewer configurations (smoke run)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--levels", type=float, nargs="+", default=[0.95, 0.99, 0.999], help="service levels"
    )
    parser.add_argument(
        "--safety-days", type=float, nargs="+", default=[7, 14], help="reorder-point buffers"
    )
    args = parser.parse_args(argv)
    console = Console(width=200)
    args.out.mkdir(parents=True, exist_ok=True)
    for seed in args.seeds:
        result = run_seed(seed, args, console)
        path = args.out / f"quarter_seed{seed}.json"
        path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    report(args.out, {"days": args.days, "quick": args.quick}, console)


def report(out: Path, settings: dict[str, object], console: Console) -> None:
    """Tables over every seed's results in ``out`` run with the same settings."""
    runs = [
        json.loads(p.read_text(encoding="utf-8")) for p in sorted(out.glob("quarter_seed*.json"))
    ]
    runs = [r for r in runs if r["settings"] == settings]
    outcomes = [Outcome(**o) for r in runs for o in r["outcomes"]]
    methods: dict[str, int] = defaultdict(int)
    for r in runs:
        for k, v in r["methods"].items():
            methods[k] += v
    seeds = ", ".join(str(r["seed"]) for r in runs)
    header = (
        f"Simulated quarter ({settings['days']} days, seeds {seeds}): "
        f"{sum(r['orders'] for r in runs)} customized orders of {len(PRODUCTS)} products; "
        f"demand shift on day {Scenario(0).shift_day}."
    )
    console.print(table(outcomes, header, per_seed=True))
    console.print(table(outcomes, "Mean over the seeds", per_seed=False))
    total = sum(methods.values()) or 1
    share = ", ".join(
        f"{k} {v / total:.0%}" for k, v in sorted(methods.items(), key=lambda kv: -kv[1])
    )
    console.print(f"Methods chosen by backtest (every series, every day): {share}")
    text = markdown(outcomes, header) + f"\nMethods chosen by backtest: {share}.\n"
    (out / "quarter.md").write_text(text, encoding="utf-8")
    (out / "quarter.json").write_text(
        json.dumps({"runs": runs, "methods": methods}, indent=2), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
