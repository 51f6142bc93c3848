"""The whole loop on simulated time: customers order, the planner plans and buys, the MES
releases, the twin builds, the MES and the stores record, orders ship and arrive.

The plant opens with stock for each material's lead time plus a few days
(``opening_stock_days``). Each step of ``step_minutes``: re-plan, release and buy when due
(every ``replan_hours``, or at the next step after a machine went down), place the orders
that arrive during the step, advance the twin to the step's end and feed its events to the
MES, the planner, the stores (receipts and issues) and the telemetry ingest, then ship what
is complete and deliver what the carrier has brought. See :mod:`openfab.demo.purchasing`
for who buys what.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from openfab.autopilot.purchasing import PurchasingAutopilot, PurchasingLimits
from openfab.autopilot.replanning import ReplanningAutopilot
from openfab.catalog.definition import ProductDefinition
from openfab.clock import SimulatedClock, running_on
from openfab.connect.telemetry import Reading
from openfab.connect.topics import EquipmentPath
from openfab.demo.arrivals import arrival_times
from openfab.demo.brands import BRANDS, ensure_plant_staff, ensure_tenant, random_choices
from openfab.demo.floor_line import open_floor_line
from openfab.demo.kpis import Kpis, OrderOutcome, Production, compute, time_average
from openfab.demo.machines import PlantFloor
from openfab.demo.plans import FifoDispatcher, Work, released_work, twin_plan
from openfab.demo.purchasing import (
    STORES,
    Buyer,
    MrpBuyer,
    ReorderBuyer,
    expected_use,
    load_sources,
    opening_stock,
)
from openfab.demo.telemetry import TelemetryLine, open_line, readings
from openfab.errors import Infeasible, InvalidInput, Problem
from openfab.execution.schemas import OrderShipment
from openfab.execution.states import UnitStatus
from openfab.identity.actor import Actor
from openfab.orders.promise import SHIPPING_DAYS
from openfab.orders.schemas import OrderCreate, OrderTransition
from openfab.orders.states import OrderStatus
from openfab.planning.mrp.reorder_point import ReorderPolicy
from openfab.planning.shopfloor import machine_ids
from openfab.platform import Platform
from openfab.twin import (
    EnergySample,
    OperationFinished,
    OperationStarted,
    ProductionPlan,
    PurchaseOrder,
    TelemetryBatch,
    Twin,
    TwinConfig,
    TwinEvent,
    TwinRun,
    UnitProduced,
    default_run_id,
    sample_layout,
)

log = logging.getLogger(__name__)
Planner = Literal["openfab", "fifo"]
START = datetime(2026, 1, 5, tzinfo=UTC)
SHIPPING = timedelta(days=SHIPPING_DAYS)
TWIN = Actor.system("twin")
FIFO_PLANNER = Actor.system("fifo-planner")
"""The baseline plant's planner: releases every order as it comes."""
MAX_SPANS = 200_000
DEFAULT_ORDERS_PER_DAY = 1000.0
"""What the sample plant (about 160 machines) is sized for."""
LIMITS = PurchasingLimits(
    max_value_per_order=Decimal(1_000_000), max_value_per_round=Decimal(100_000_000)
)
"""The demo's autopilot may place any order a supplier takes (no planner to approve)."""


@dataclass(frozen=True)
class DemoConfig:
    days: float = 7.0
    orders_per_day: float = DEFAULT_ORDERS_PER_DAY
    seed: int = 7
    planner: Planner = "openfab"
    """``openfab``: the CP-SAT planner re-plans on a cadence and on breakdowns; ``fifo``: the
    non-AI baseline (first in, first out, earliest free machine, never re-planned)."""
    replan_hours: float = 1.0
    """New orders wait for the next plan: at 1,000 orders a day a 6-hour cadence cost more
    order-to-ship time than FIFO's hourly release (measured: median 8.5 h vs 7.2 h); hourly
    re-planning, a repair of the plan in force, closes most of that gap (README, the demo)."""
    plan_seconds: float = 2.0
    release_hours: float = 24.0
    """Work orders planned to start within this many hours are released to the floor (the
    twin starts them early when their machine is free)."""
    step_minutes: float = 60.0
    telemetry_minutes: float = 5.0
    bus: str = "inprocess"
    start: datetime = START
    record_twin: bool = False
    """Keep every plan sent to the twin and every step (``DemoResult.twin_trace``) so the
    twin's part can be replayed; for tests and short runs (it holds all plans)."""
    opening_stock_days: float = 3.0
    """The plant starts with the expected use of every purchased material over its lead
    time plus this many days on hand (the same for both planners; negative: starts short)."""
    reorder: ReorderPolicy = field(default_factory=ReorderPolicy)
    """The baseline's reorder-point policy (safety and cover days of average use)."""
    demand_sensing: bool = False
    """OpenFab's autopilot adds forecasts and safety stock from the order history to the
    open orders (it needs a few days of history; before that, the open orders alone)."""

    def __post_init__(self) -> None:
        if not -1000 < self.opening_stock_days < 1000:
            raise InvalidInput(
                "invalid demo configuration",
                [
                    Problem(
                        "opening_stock_days",
                        f"must be within -1000..1000, got {self.opening_stock_days}",
                    )
                ],
            )


@dataclass(frozen=True)
class OperationSpan:
    machine: str
    start: datetime
    end: datetime
    product: str


@dataclass(frozen=True)
class TwinStep:
    """A plan submitted to the twin (``plan``) or an advance to minute ``minute``."""

    minute: float
    plan: ProductionPlan | None = None


@dataclass
class DemoResult:
    config: DemoConfig
    kpis: Kpis
    outcomes: list[OrderOutcome]
    oee_by_center: dict[str, float]
    energy: list[tuple[datetime, float, float]] = field(default_factory=list)
    """(time, plant kWh, of it solar kWh) per energy period."""
    spans: list[OperationSpan] = field(default_factory=list)
    events: int = 0
    telemetry: int = 0
    telemetry_written: int = 0
    plans: int = 0
    plan_seconds: float = 0.0
    downtimes: int = 0
    floor_messages: int = 0
    """Shop-floor messages the plant sent through the gateway (over ``config.bus``)."""
    refused: int = 0
    audit_events: int = 0
    audit_ok: bool = False
    serials: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    twin_run: TwinRun | None = None
    twin_digest: str = ""
    """SHA-256 over every twin event's kind, message id and time, in order."""
    twin_trace: list[TwinStep] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    """Wall seconds per phase of the loop."""
    twin_config: TwinConfig | None = None
    purchases: list[PurchaseOrder] = field(default_factory=list)
    """Every purchase order sent to a supplier (the opening stock is not one)."""
    material_received: dict[str, float] = field(default_factory=dict)
    material_issued: dict[str, float] = field(default_factory=dict)
    material_on_hand: dict[str, float] = field(default_factory=dict)
    """The platform's books per material: goods received, issued to orders, on hand."""


@dataclass
class _Shop:
    """The brands' customers and products, and each order's story so far."""

    admin: Actor
    admins: dict[str, Actor]
    customers: list[tuple[Actor, str]]
    definitions: dict[tuple[str, str], ProductDefinition]
    outcomes: dict[str, OrderOutcome] = field(default_factory=dict)
    tenants: dict[str, str] = field(default_factory=dict)


def run_demo(
    platform: Platform,
    config: DemoConfig | None = None,
    *,
    progress: Callable[[float], None] = lambda _: None,
) -> DemoResult:
    """Run the plant for ``config.days`` of simulated time; ``progress`` gets simulated days."""
    config = config or DemoConfig()
    clock = SimulatedClock(config.start)
    wall = time.perf_counter()
    with running_on(clock):
        loop = _Loop(platform, config, clock)
        try:
            loop.run(progress)
        finally:
            loop.line.close()
            loop.floor.line.close()
        result = loop.result()
    result.wall_seconds = time.perf_counter() - wall
    return result


class _Loop:
    def __init__(self, platform: Platform, config: DemoConfig, clock: SimulatedClock) -> None:
        self.platform, self.config, self.clock = platform, config, clock
        self.rng = random.Random(config.seed)
        self.shop = _setup(platform)
        centers = platform.catalog.reference().work_centers.values()
        self.machines = {c.code: machine_ids(c) for c in centers}
        self.layout = sample_layout()
        self.paths = {m: info.path for m, info in self.layout.machines.items()}
        materials = platform.materials
        materials.install_sample_suppliers(STORES)
        self.sources = load_sources(materials)
        self.twin_config = twin_config(config, frozenset(self.sources.preferred))
        self.twin = Twin(self.layout, seed=config.seed, config=self.twin_config, sink=self._sink)
        run = f"{self.twin_config.run_id}-{uuid.uuid4().hex[:6]}"
        units = {m: info.unit for m, info in platform.catalog.reference().materials.items()}
        self.floor = PlantFloor(
            open_floor_line(config.bus, platform.gateway, run),
            platform.execution,
            {m: EquipmentPath.of(p) for m, p in self.paths.items()},
            EquipmentPath((self.layout.site,)),
            units,
            TWIN,
        )
        self.works: dict[str, Work] = {}
        self.replanner = ReplanningAutopilot(
            platform.planning,
            platform.execution,
            time_limit=config.plan_seconds,
            release_horizon=timedelta(hours=config.release_hours),
        )
        self.fifo = FifoDispatcher(self.machines)
        self.line: TelemetryLine = open_line(config.bus, platform.db)
        self.window: list[TwinEvent] = []
        self.energy: list[tuple[datetime, float, float]] = []
        self.spans: dict[str, tuple[str, datetime, str]] = {}
        self.done_spans: list[OperationSpan] = []
        self.counts = {"events": 0, "telemetry": 0, "plans": 0}
        self.plan_seconds = 0.0
        self.units = {"good": 0, "scrap": 0, "first_pass": 0}
        self.shipped: dict[str, tuple[str, datetime]] = {}
        self.released: set[str] = set()
        self.digest = hashlib.sha256()
        self.trace: list[TwinStep] = []
        self.timings: dict[str, float] = {}
        self.use = expected_use(
            platform.catalog,
            self.shop.customers,
            self.shop.definitions,
            orders_per_day=config.orders_per_day,
            seed=config.seed,
        )
        self.buyer: Buyer = (
            MrpBuyer(self._autopilot(), self.sources, self.floor.platform_orders)
            if config.planner == "openfab"
            else ReorderBuyer(self.use, self.sources, self.floor.card, config.reorder)
        )
        self.purchases: list[PurchaseOrder] = []
        self.stock_value: list[tuple[float, float]] = []

    # -- the loop ------------------------------------------------------------------------------
    def run(self, progress: Callable[[float], None]) -> None:
        cfg = self.config
        end = cfg.start + timedelta(days=cfg.days)
        arrivals = self._arrivals(end)
        step = timedelta(minutes=cfg.step_minutes)
        replan = timedelta(hours=cfg.replan_hours)
        now, next_plan, replan_now = cfg.start, cfg.start, False
        self._open_stock()
        while now < end:
            self.clock.advance_to(now)
            if now >= next_plan or replan_now:
                with self._timed("plan and release"):
                    self._plan(now)
                next_plan, replan_now = now + replan, False
            upto = min(now + step, end)
            with self._timed("customer orders"):
                while arrivals and arrivals[0] < upto:
                    self.clock.advance_to(arrivals.pop(0))
                    self._order()
            with self._timed("twin"):
                self.twin.advance_to(upto)
            self._record(TwinStep(self.twin.now))
            self.clock.advance_to(upto)
            downs = self._feed()
            replan_now = bool(downs) and cfg.planner == "openfab"
            self.stock_value.append(
                ((upto - now).total_seconds(), self.floor.card.value(self.sources))
            )
            with self._timed("shipping"):
                self._ship_and_deliver(upto)
            now = upto
            progress((now - cfg.start) / timedelta(days=1))

    def _arrivals(self, end: datetime) -> list[datetime]:
        out: list[datetime] = []
        day = self.config.start
        while day < end:
            share = min(1.0, (end - day) / timedelta(days=1))
            out += [t for t in arrival_times(day, self.config.orders_per_day, self.rng) if t < end]
            day += timedelta(days=1) if share >= 1 else end - day
        return out

    def _order(self) -> None:
        customer, code = self.rng.choice(self.shop.customers)
        definition = self.shop.definitions[(customer.require_tenant(), code)]
        catalog = self.platform.catalog
        try:
            configured = catalog.complete(customer, code, random_choices(definition, self.rng))
        except (Infeasible, InvalidInput):  # the wish broke a rule: the shop shows why
            configured = catalog.complete(customer, code, {})
        quantity = self.rng.choice((1, 1, 1, 2))
        order = self.platform.orders.place(
            customer,
            OrderCreate(product=code, choices=configured.to_dict()["choices"], quantity=quantity),
        )
        self.shop.outcomes[order.id] = OrderOutcome(order.created_at, order.promise_date, quantity)
        self.shop.tenants[order.id] = customer.require_tenant()

    # -- planning --------------------------------------------------------------------------------
    def _plan(self, now: datetime) -> None:
        if self.config.planner == "openfab":
            started = time.perf_counter()
            if self.replanner.replan() is None:  # the autopilot plans, then releases
                return
            self.plan_seconds += time.perf_counter() - started
            self.counts["plans"] += 1
            works = released_work(self.platform.execution, TWIN)
            plan = twin_plan(
                works, minutes=self.twin.minutes, now=self.twin.now, machines=self.machines
            )
        else:
            self._release_fifo()
            works = [
                w
                for w in released_work(self.platform.execution, TWIN)
                if w.number not in self.works
            ]
            plan = self.fifo.plan(works, now=self.twin.now)
        self.works.update((w.number, w) for w in works)
        self.floor.know({w.number: w.last_sequence for w in works})
        with self._timed("purchasing"):
            bought = self.buyer.buy(now, self.twin.now)
        self.purchases += bought
        self.floor.card.ordered(bought)
        self._submit(replace(plan, purchase_orders=tuple(bought)))

    def _submit(self, plan: ProductionPlan) -> None:
        if plan.work_orders or plan.purchase_orders:
            self._record(TwinStep(self.twin.now, plan))
            self.twin.submit(plan)

    def _autopilot(self) -> PurchasingAutopilot:
        demand = self.platform.demand if self.config.demand_sensing else None
        return PurchasingAutopilot(self.platform.materials, LIMITS, demand=demand)

    def _open_stock(self) -> None:
        """The opening stock arrives before anything starts and is booked as received."""
        days = self.config.opening_stock_days
        opening = opening_stock(self.use, self.sources, days=days, minute=self.twin.now)
        self._submit(ProductionPlan(purchase_orders=tuple(opening)))
        self.twin.flush()
        self._feed()

    def _record(self, step: TwinStep) -> None:
        if self.config.record_twin:
            self.trace.append(step)

    def _release_fifo(self) -> None:
        """The baseline has no scheduler: every received order is planned and released as is."""
        for order_id in self.shop.tenants:
            if order_id in self.released:
                continue
            transition = OrderTransition(status=OrderStatus.PLANNED)
            self.platform.orders.transition(FIFO_PLANNER, order_id, transition)
            self.platform.execution.release_order(FIFO_PLANNER, order_id)
            self.released.add(order_id)

    # -- the twin's events -------------------------------------------------------------------
    def _sink(self, events: Sequence[TwinEvent], /) -> None:
        self.window.extend(events)

    def _feed(self) -> list[Any]:
        events, self.window = self.window, []
        self.counts["events"] += len(events)
        digest(self.digest, events)
        telemetry: list[Reading] = []
        for event in events:
            if isinstance(event, TelemetryBatch):
                telemetry += readings(event, self.paths)
            elif isinstance(event, EnergySample) and event.machine is None:
                self.energy.append((event.time, event.consumed_kwh, event.solar_kwh))
                telemetry += readings(event, self.paths)  # the plant's energy, stored
            elif isinstance(event, OperationStarted):
                self.spans[event.operation] = (event.machine, event.time, event.code)
            elif isinstance(event, OperationFinished):
                self._span(event)
            elif isinstance(event, UnitProduced):
                good = event.disposition == "good"
                self.units["good" if good else "scrap"] += 1
                self.units["first_pass"] += good
        self.counts["telemetry"] += len(telemetry)
        with self._timed("telemetry"):
            if telemetry:
                self.line.send(telemetry)
        work = [e for e in events if not isinstance(e, TelemetryBatch | EnergySample)]
        with self._timed("shop-floor messages"):
            return self.floor.feed(work)

    @contextmanager
    def _timed(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[phase] = self.timings.get(phase, 0.0) + time.perf_counter() - started

    def _span(self, event: OperationFinished) -> None:
        started = self.spans.pop(event.operation, None)
        if started is not None and len(self.done_spans) < MAX_SPANS:
            machine, start, _ = started
            product = self.works[event.work_order].product if event.work_order in self.works else ""
            self.done_spans.append(OperationSpan(machine, start, event.time, product))

    # -- shipping ------------------------------------------------------------------------------
    def _ship_and_deliver(self, now: datetime) -> None:
        """Complete orders leave the plant when their last unit is done; the carrier
        delivers ``SHIPPING_DAYS`` later."""
        execution = self.platform.execution
        by_tenant: dict[str, list[tuple[str, str, datetime]]] = defaultdict(list)
        for order_id, tenant, done in self._inspected():
            by_tenant[tenant].append(("ship", order_id, done))
        for order_id, (tenant, shipped) in self.shipped.items():
            if shipped + SHIPPING <= now and self.shop.outcomes[order_id].delivered is None:
                by_tenant[tenant].append(("deliver", order_id, shipped + SHIPPING))
        for tenant, moves in sorted(by_tenant.items()):
            with execution.floor(TWIN, tenant_id=tenant) as floor:
                for kind, order_id, at in moves:
                    data = OrderShipment(message_id=f"{kind}-{order_id}", at=at)
                    if kind == "ship" and floor.ship(order_id, data) is not None:
                        self.shipped[order_id] = (tenant, at)
                        self._note(order_id, shipped=at)
                    elif kind == "deliver" and floor.deliver(order_id, data) is not None:
                        self._note(order_id, delivered=at)

    def _note(
        self, order_id: str, *, shipped: datetime | None = None, delivered: datetime | None = None
    ) -> None:
        outcome = self.shop.outcomes.get(order_id)
        if outcome is not None:
            shipped, delivered = shipped or outcome.shipped, delivered or outcome.delivered
            self.shop.outcomes[order_id] = replace(outcome, shipped=shipped, delivered=delivered)

    def _inspected(self) -> list[tuple[str, str, datetime]]:
        """Orders with all units good and inspected: (id, tenant, when the last finished)."""
        due = self.platform.execution.shipments_due(TWIN)
        return [(d.order_id, d.tenant_id, d.ready_at or self.clock.now()) for d in due]

    # -- the end -------------------------------------------------------------------------------
    def result(self) -> DemoResult:
        cfg = self.config
        end = cfg.start + timedelta(days=cfg.days)
        stats = self.line.settle()
        oee = self.platform.execution.oee(self.shop.admin, start=cfg.start, end=end, now=end)
        by_center: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for m in oee.machines:
            by_center[m.machine.rpartition("-")[0]].append((m.oee, m.planned_seconds))
        run = self.twin.snapshot()
        production = Production(
            units_started=run.units_started,
            units_good=self.units["good"],
            units_scrapped=self.units["scrap"],
            first_pass_units=self.units["first_pass"],
            energy_kwh=run.energy_kwh,
            solar_kwh=run.solar_kwh,
            purchase_orders=len(self.purchases),
            average_inventory_value=time_average(self.stock_value),
            material_shortages=run.material_shortages,
            material_blocked_hours=run.material_blocked_minutes / 60,
        )
        outcomes = list(self.shop.outcomes.values())
        plant = oee.plant.oee if oee.plant else None
        kpis = compute(outcomes, production, end=end, shipping=SHIPPING, oee=plant)
        audit = self.platform.audit.verify(self.shop.admin)
        return DemoResult(
            config=cfg,
            kpis=kpis,
            outcomes=outcomes,
            oee_by_center={c: _weighted(v) for c, v in sorted(by_center.items())},
            energy=self.energy,
            spans=self.done_spans,
            events=self.counts["events"],
            telemetry=self.counts["telemetry"],
            telemetry_written=stats.written,
            plans=self.counts["plans"],
            plan_seconds=self.plan_seconds,
            downtimes=self.floor.stats.downtimes,
            floor_messages=self.floor.stats.messages,
            refused=self.floor.stats.refused,
            audit_events=audit.checked,
            audit_ok=audit.ok,
            serials=self._shipped_serials(),
            twin_run=run,
            twin_digest=self.digest.hexdigest(),
            twin_trace=self.trace,
            timings=dict(self.timings),
            twin_config=self.twin_config,
            purchases=list(self.purchases),
            material_received=_floats(self.floor.card.received),
            material_issued=_floats(self.floor.card.issued),
            material_on_hand=_floats(self.floor.card.on_hand),
        )

    def _shipped_serials(self) -> list[str]:
        units = self.platform.execution.list_units(TWIN, status=UnitStatus.SHIPPED, limit=5)
        return [u.serial for u in units.data]


def digest(hasher: Any, events: Sequence[TwinEvent]) -> None:
    for event in events:
        hasher.update(f"{event.kind}|{event.message_id}|{event.time.isoformat()}\n".encode())


def twin_config(config: DemoConfig, purchased: frozenset[str]) -> TwinConfig:
    """The demo's twin: message ids carry the planner, seed and start (two runs into one
    database or bus never collide); only materials no supplier sells are auto-stocked; a
    free machine starts its next operation early (both planners' plans are followed as a
    sequence per machine, as a dispatcher would)."""
    return TwinConfig(
        origin=config.start,
        start_early=True,
        run_id=f"{config.planner}-{default_run_id(config.seed, config.start)}",
        auto_stock=True,
        purchased=purchased,
        telemetry_period=config.telemetry_minutes,
    )


def replay_twin(
    config: DemoConfig, trace: Sequence[TwinStep], *, twin: TwinConfig | None = None
) -> tuple[str, TwinRun]:
    """Run the demo's twin part again from its recorded plans (and ``twin``, the run's twin
    configuration): the same digest and run summary prove the twin deterministic."""
    hasher = hashlib.sha256()
    twin_settings = twin or twin_config(config, frozenset())
    replayed = Twin(
        sample_layout(),
        seed=config.seed,
        config=twin_settings,
        sink=lambda events: digest(hasher, events),
    )
    for step in trace:
        if step.plan is not None:
            replayed.submit(step.plan)
        else:
            replayed.advance(step.minute)
    replayed.flush()
    return hasher.hexdigest(), replayed.snapshot()


def _floats(books: Mapping[str, Decimal]) -> dict[str, float]:
    return {m: float(q) for m, q in sorted(books.items())}


def _weighted(values: list[tuple[float, float]]) -> float:
    total = sum(w for _, w in values)
    if total <= 0:
        return sum(v for v, _ in values) / len(values) if values else 0.0
    return sum(v * w for v, w in values) / total


def _setup(platform: Platform) -> _Shop:
    customers: list[tuple[Actor, str]] = []
    definitions: dict[tuple[str, str], ProductDefinition] = {}
    admins: dict[str, Actor] = {}
    ensure_plant_staff(platform)
    for tenant_id, name, products in BRANDS:
        admin, *people = ensure_tenant(platform, tenant_id, name)
        admins[tenant_id] = admin
        platform.catalog.install_sample_products(admin)
        for code in products:
            definitions[(tenant_id, code)] = platform.catalog.handle(
                admin, code
            ).configurator.definition
            customers += [(p, code) for p in people]
    return _Shop(next(iter(admins.values())), admins, customers, definitions)
