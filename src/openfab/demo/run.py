"""The whole loop on simulated time: customers order, the planner plans and buys, the MES
releases, the twin builds, the MES and the stores record, orders ship and arrive.

The run ends now (or at ``DemoConfig.end``), so the plant a later ``openfab serve`` shows is
live. The plant opens with stock for each material's lead time plus a few days
(``opening_stock_days``). Each step of ``step_minutes``: re-plan and release (and buy, once a
shift or after a shortage), place the orders that arrive during the step, advance the twin to
the step's end and feed its events to the MES, the stores (receipts and issues) and the
telemetry ingest, then ship what is complete and deliver what the carrier has brought.
``DemoConfig.ai`` says which of OpenFab's parts run (``PARTS``); the others run as a plant
without them does, so ``--compare`` can measure each part's share. See
:mod:`openfab.demo.purchasing` for who buys what.
"""

from __future__ import annotations

import gc
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
from openfab.autopilot.quality import QualityAutopilot
from openfab.autopilot.replanning import ReplanningAutopilot
from openfab.catalog.definition import ProductDefinition
from openfab.clock import SimulatedClock, running_on
from openfab.connect.telemetry import Reading
from openfab.connect.topics import EquipmentPath
from openfab.demo.arrivals import arrival_times
from openfab.demo.brands import BRANDS, ensure_plant_staff, ensure_tenant, random_choices
from openfab.demo.floor_line import open_floor_line
from openfab.demo.inspection import (
    InspectionPractice,
    MachineAdapters,
    install_inspection_model,
    judge,
)
from openfab.demo.kpis import (
    Kpis,
    OrderOutcome,
    Production,
    busy_hours,
    compute,
    time_average,
)
from openfab.demo.machines import PlantFloor
from openfab.demo.plans import Work, released_work, setup_family, twin_plan
from openfab.demo.plants import PlantName, install_plant, plant_centers, plant_layout
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
from openfab.demo.upkeep import PredictiveUpkeep, PreventiveUpkeep, Upkeep, spare_kit_use
from openfab.errors import Infeasible, InvalidInput, Problem
from openfab.execution.schemas import OrderShipment
from openfab.execution.states import UnitStatus
from openfab.identity.actor import Actor
from openfab.orders.promise import SHIPPING_DAYS, PromisePolicy
from openfab.orders.schemas import OrderCreate, OrderTransition
from openfab.orders.states import OrderStatus
from openfab.planning.mrp.reorder_point import ReorderPolicy
from openfab.planning.shopfloor import machine_ids
from openfab.platform import Platform
from openfab.quality.worker import InspectionWorker
from openfab.store.relay import Relay
from openfab.twin import (
    EnergySample,
    MaintenanceWindow,
    MaterialShortage,
    OperationFinished,
    OperationStarted,
    ProductionPlan,
    PurchaseOrder,
    TelemetryBatch,
    Twin,
    TwinConfig,
    TwinEvent,
    TwinRun,
    default_run_id,
)

log = logging.getLogger(__name__)
Part = Literal["dispatch", "promise", "purchasing", "energy", "quality", "maintenance"]
PARTS: tuple[Part, ...] = ("dispatch", "promise", "purchasing", "energy", "quality", "maintenance")
"""OpenFab's parts that replace a non-AI practice of the baseline plant, one for one:
``dispatch`` the CP-SAT plan, re-planned on events, guiding the floor (vs first come first
served onto the earliest free machine); ``promise`` capacity-based delivery dates (vs fixed
quoted lead times); ``purchasing`` MRP with demand sensing once a shift or on a shortage (vs
reorder points); ``energy`` idle machines to standby (vs left idling); ``quality`` every
unit's scan inspected inline by the vision model (vs a person sampling one unit in ten at
the end of the line); ``maintenance`` predictive maintenance booked into the plan under a
service ceiling of the same 90 running hours (vs a stop every 90 running hours;
:mod:`openfab.demo.upkeep`)."""
SHIPPING = timedelta(days=SHIPPING_DAYS)
TWIN = Actor.system("twin")
PLANNER = Actor.system("demo-planner")
FIFO_PLANNER = Actor.system("fifo-planner")
"""The baseline plant's planner: releases every order as it comes."""
MAX_SPANS = 200_000
SPC_WATCH = timedelta(hours=4)
"""How often the demo looks for SPC signals (the worker does it as units finish)."""
DEFAULT_ORDERS_PER_DAY = 1000.0
"""What the sample plant (about 160 machines) is sized for."""
LIMITS = PurchasingLimits(
    max_value_per_order=Decimal(1_000_000),
    max_value_per_round=Decimal(100_000_000),
    horizon_days=1,
)
"""The demo's autopilot may place any order a supplier takes (no planner to approve), and
releases what is due before MRP runs again (a week ahead would buy stock early)."""


def arm_name(ai: frozenset[Part]) -> str:
    """``openfab`` (every part), ``baseline`` (none) or the parts switched on."""
    if ai == frozenset(PARTS):
        return "openfab"
    return "+".join(p for p in PARTS if p in ai) or "baseline"


def this_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


@dataclass(frozen=True)
class DemoConfig:
    days: float = 7.0
    orders_per_day: float = DEFAULT_ORDERS_PER_DAY
    seed: int = 7
    ai: frozenset[Part] = frozenset(PARTS)
    """OpenFab's parts that run; the others run as the non-AI baseline does (``PARTS``)."""
    plant: PlantName = "dense"
    end: datetime | None = None
    """When the simulated run ends (None: now, so ``openfab serve`` afterwards shows the plant
    as it stands); it starts ``days`` before."""
    plan_seconds: float = 0.2
    """The planner's time limit per re-plan (a repair of the plan in force; the floor
    dispatches from it, so a good plan now beats a perfect one later: over two days 0.5 s
    gave the same lead times as 1 s, median 2.94 h vs 2.97 h, p95 5.79 h vs 5.85 h; over a
    day 0.2 s the same as 0.5 s, median 2.76 h vs 2.75 h, p95 4.42 h vs 4.37 h, setups
    182 h vs 191 h, with the planning phase 15 s instead of 21 s)."""
    release_hours: float = 24.0
    """Work orders planned to start within this many hours are released to the floor."""
    step_minutes: float = 60.0
    """The loop's step: orders placed in a step are planned and released at its end."""
    telemetry_minutes: float = 5.0
    bus: str = "inprocess"
    record_twin: bool = False
    """Keep every plan sent to the twin and every step (``DemoResult.twin_trace``) so the
    twin's part can be replayed; for tests and short runs (it holds all plans)."""
    opening_stock_days: float = 3.0
    """The plant starts with the expected use of every purchased material over its lead
    time plus this many days on hand (the same for both arms; negative: starts short)."""
    reorder: ReorderPolicy = field(default_factory=ReorderPolicy)
    """The baseline's reorder-point policy (safety and cover days of average use)."""
    mrp_hours: float = 8.0
    """MRP runs once a shift, and at the next step after a material shortage."""
    express_share: float = 0.1
    """Share of customers who pay for express delivery (a shorter promise)."""
    standby_minutes: float = 30.0
    family_window: float = 120.0
    """With the dispatch part: a free machine prefers an operation of its own setup family
    among those the plan starts within this many minutes of the most urgent one."""
    """With the energy part: a machine with no work for this long goes to standby."""

    def __post_init__(self) -> None:
        problems = []
        if not -1000 < self.opening_stock_days < 1000:
            problems.append(
                Problem(
                    "opening_stock_days",
                    f"must be within -1000..1000, got {self.opening_stock_days}",
                )
            )
        if unknown := sorted(set(self.ai) - set(PARTS)):
            problems.append(Problem("ai", f"unknown parts {unknown}; known: {list(PARTS)}"))
        if not 0 <= self.express_share <= 1:
            problems.append(Problem("express_share", f"must be 0..1, got {self.express_share}"))
        if self.end is not None and self.end.tzinfo is None:
            problems.append(Problem("end", "needs a time zone"))
        if problems:
            raise InvalidInput("invalid demo configuration", problems)

    @property
    def start(self) -> datetime:
        return (self.end or this_minute()) - timedelta(days=self.days)

    @property
    def arm(self) -> str:
        return arm_name(self.ai)

    def ends_now(self) -> DemoConfig:
        """This configuration with its end fixed (now, unless given)."""
        return self if self.end is not None else replace(self, end=this_minute())


@dataclass(frozen=True)
class OperationSpan:
    machine: str
    start: datetime
    end: datetime
    product: str


@dataclass(frozen=True)
class TwinStep:
    """A plan submitted to the twin (``plan``), setpoints a machine adapter applied
    (``setpoints``: machine, parameter, value) or an advance to minute ``minute``."""

    minute: float
    plan: ProductionPlan | None = None
    setpoints: tuple[tuple[str, str, float], ...] = ()


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
    lost_hours: dict[str, float] = field(default_factory=dict)
    """Operation-hours lost, by cause (waiting for a machine, material, setup, breakdown)."""
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
    config = (config or DemoConfig()).ends_now()
    clock = SimulatedClock(config.start)
    wall = time.perf_counter()
    with running_on(clock), few_collections():
        loop = _Loop(platform, config, clock)
        try:
            loop.run(progress)
        finally:
            loop.line.close()
            loop.floor.line.close()
            for relay in loop.loop_relays:
                relay.close()
        result = loop.result()
    result.wall_seconds = time.perf_counter() - wall
    return result


@contextmanager
def few_collections() -> Iterator[None]:
    """Fewer garbage collections while the loop runs: it allocates millions of short-lived
    objects (ORM rows, messages, events) and few cycles, so the collector's default
    thresholds spent about a third of the shop-floor phase scanning live objects (measured
    on a recorded day-1 batch: 1.20 s → 0.91 s)."""
    before = gc.get_threshold()
    gc.collect()
    gc.freeze()  # what exists now (the catalog, the services) is never scanned again
    gc.set_threshold(50_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


class _Loop:
    def __init__(self, platform: Platform, config: DemoConfig, clock: SimulatedClock) -> None:
        self.platform, self.config, self.clock = platform, config, clock
        self.rng = random.Random(config.seed)
        self.shop = _setup(platform)
        centers = install_plant(platform.catalog, config.plant)
        self.machines = {c.code: machine_ids(c) for c in centers.values()}
        self.layout = plant_layout(centers)
        self.ai = config.ai
        self.paths = {m: info.path for m, info in self.layout.machines.items()}
        materials = platform.materials
        materials.install_sample_suppliers(STORES)
        self.sources = load_sources(materials)
        self.twin_config = twin_config(config, frozenset(self.sources.preferred))
        self.twin = Twin(self.layout, seed=config.seed, config=self.twin_config, sink=self._sink)
        run = f"{self.twin_config.run_id}-{uuid.uuid4().hex[:6]}"
        units = {m: info.unit for m, info in platform.catalog.reference().materials.items()}
        self.practice = InspectionPractice(inline="quality" in config.ai, seed=config.seed)
        if self.practice.inline:
            install_inspection_model(platform, self.twin_config.scan_size, seed=config.seed)
        self.inspection = InspectionWorker(platform.quality, platform.spc)
        pilot = QualityAutopilot(
            platform.quality, platform.spc, platform.planning, platform.materials
        )
        self.adapters = MachineAdapters()
        self.loop_relays = (
            Relay(platform.db, pilot, start="end", batch_size=10_000),
            Relay(platform.db, self.adapters, start="end", batch_size=10_000),
        )
        self.next_watch = config.start
        self.floor = PlantFloor(
            open_floor_line(config.bus, platform.gateway, run),
            platform.execution,
            {m: EquipmentPath.of(p) for m, p in self.paths.items()},
            EquipmentPath((self.layout.site,)),
            units,
            TWIN,
            self.practice,
        )
        self.works: dict[str, Work] = {}
        self.replanner = ReplanningAutopilot(
            platform.planning,
            platform.execution,
            time_limit=config.plan_seconds,
            release_horizon=timedelta(hours=config.release_hours),
        )
        self.line: TelemetryLine = open_line(config.bus, platform.db)
        self.window: list[TwinEvent] = []
        self.energy: list[tuple[datetime, float, float]] = []
        self.spans: dict[str, tuple[str, datetime, str]] = {}
        self.done_spans: list[OperationSpan] = []
        self.order_spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
        """Each order's operations as they ran (start, finish)."""
        self.counts = {"events": 0, "telemetry": 0, "plans": 0}
        self.plan_seconds = 0.0
        self.shipped: dict[str, tuple[str, datetime]] = {}
        self.released: set[str] = set()
        self.families: dict[str, str] = {}
        """Each order's setup family (``product/variant``)."""
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
        self.use.update(spare_kit_use(centers))
        policy = PromisePolicy() if "promise" in config.ai else PromisePolicy.fixed()
        platform.orders.set_promise_policy(policy)
        if "purchasing" in config.ai:  # the planner's expected use: demand sensing's prior
            platform.demand.set_expected_use(PLANNER, {m: round(q, 4) for m, q in self.use.items()})
        self.buyer: Buyer = (
            MrpBuyer(self._autopilot(), self.sources, self.floor.platform_orders)
            if "purchasing" in config.ai
            else ReorderBuyer(self.use, self.sources, self.floor.card, config.reorder)
        )
        self.purchases: list[PurchaseOrder] = []
        self.stock_value: list[tuple[float, float]] = []
        self.short = False
        """A material ran short in the last step: MRP runs at the next one."""
        self.upkeep: Upkeep = (
            PredictiveUpkeep(platform, config.start)
            if "maintenance" in config.ai
            else PreventiveUpkeep()
        )

    # -- the loop ------------------------------------------------------------------------------
    def run(self, progress: Callable[[float], None]) -> None:
        """Step by step: plan and release (and buy when due), take the step's orders, let
        the twin build, feed its messages to the platform, ship."""
        cfg = self.config
        end = cfg.start + timedelta(days=cfg.days)
        arrivals = self._arrivals(end)
        step = timedelta(minutes=cfg.step_minutes)
        mrp = timedelta(hours=cfg.mrp_hours)
        now, next_mrp = cfg.start, cfg.start
        self._open_stock()
        while now < end:
            self.clock.advance_to(now)
            buy = now >= next_mrp or self.short or "purchasing" not in self.ai
            with self._timed("plan and release"):
                self._plan(now, buy=buy)
            if buy and now >= next_mrp:
                next_mrp = now + mrp
            upto = min(now + step, end)
            with self._timed("customer orders"):
                while arrivals and arrivals[0] < upto:
                    self.clock.advance_to(arrivals.pop(0))
                    self._order()
            with self._timed("twin"):
                self.twin.advance_to(upto)
            self._record(TwinStep(self.twin.now))
            self.clock.advance_to(upto)
            self._feed()
            self.stock_value.append(
                ((upto - now).total_seconds(), self.floor.card.value(self.sources))
            )
            with self._timed("shipping"):
                self._ship_and_deliver(upto)
            with self._timed("maintenance"):
                self._maintain()
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
        express = self.rng.random() < self.config.express_share
        choices = configured.to_dict()["choices"]
        order = self.platform.orders.place(
            customer,
            OrderCreate(product=code, choices=choices, quantity=quantity, express=express),
        )
        self.families[order.id] = setup_family(code, choices)
        self.shop.outcomes[order.id] = OrderOutcome(
            order.created_at, order.promise_date, quantity, express=express
        )
        self.shop.tenants[order.id] = customer.require_tenant()

    # -- planning --------------------------------------------------------------------------------
    def _plan(self, now: datetime, *, buy: bool) -> None:
        """OpenFab: the re-planning autopilot repairs the plan (new orders, the floor's
        progress, breakdowns, drift) and releases what is due; every released work order
        goes to the floor with its planned sequence. The baseline releases each new order
        as it is, for the floor to take first come first served."""
        if "dispatch" in self.ai:
            started = time.perf_counter()
            if self.replanner.replan() is not None:  # the autopilot plans, then releases
                self.plan_seconds += time.perf_counter() - started
                self.counts["plans"] += 1
            works = released_work(self.platform.execution, TWIN)
        else:
            self._release_fifo()
            works = [
                w
                for w in released_work(self.platform.execution, TWIN)
                if w.number not in self.works
            ]
        plan = twin_plan(
            works,
            minutes=self.twin.minutes,
            now=self.twin.now,
            machines=self.machines,
            families=self.families,
        )
        self.works.update((w.number, w) for w in works)
        self.floor.know({w.number: w.last_sequence for w in works})
        bought: list[PurchaseOrder] = []
        if buy:
            with self._timed("purchasing"):
                bought = self.buyer.buy(now, self.twin.now)
            self.short = False
        self.purchases += bought
        self.floor.card.ordered(bought)
        self._submit(replace(plan, purchase_orders=tuple(bought)))

    def _submit(self, plan: ProductionPlan) -> None:
        if plan.work_orders or plan.purchase_orders or plan.maintenance:
            self._record(TwinStep(self.twin.now, plan))
            self.twin.submit(plan)

    def _autopilot(self) -> PurchasingAutopilot:
        demand = self.platform.demand  # demand sensing from day one (expected use as prior)
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

    def _feed(self) -> None:
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
            elif isinstance(event, MaterialShortage):
                self.short = True
        self.counts["telemetry"] += len(telemetry)
        with self._timed("telemetry"):
            if telemetry:
                self.line.send(telemetry)
        work = [e for e in events if not isinstance(e, TelemetryBatch | EnergySample)]
        with self._timed("shop-floor messages"):
            self.floor.feed(work)
        if self.practice.inline:
            with self._timed("inspection"):
                self.inspection.inspect()
            with self._timed("quality loop"):
                self._close_quality_loop()

    def _close_quality_loop(self) -> None:
        """SPC once every ``SPC_WATCH`` of plant time, then the quality autopilot decides
        and the machines' adapters apply its setpoints and stops to the twin."""
        now = self.clock.now()
        if now >= self.next_watch:
            self.platform.spc.watch()
            self.next_watch = now + SPC_WATCH
        for relay in self.loop_relays:
            relay.drain()
        setpoints, stops = self.adapters.take()
        applied = []
        for machine, parameter, value in setpoints:
            if machine in self.paths:
                self.twin.adjust_parameter(machine, parameter, value)
                applied.append((machine, parameter, value))
        if applied:
            self._record(TwinStep(self.twin.now, setpoints=tuple(applied)))
        windows = tuple(
            MaintenanceWindow(machine, self.twin.now, self.twin.now + minutes)
            for machine, minutes in stops
            if machine in self.paths
        )
        self._submit(ProductionPlan(maintenance=windows))

    def _maintain(self) -> None:
        """OpenFab: assess on the cadence, book, and send the crew to the booked windows;
        the baseline: a stop for every machine whose hour meter is due."""
        windows = self.upkeep.windows(self.clock.now(), self.twin)
        known = tuple(w for w in windows if w.machine in self.paths)
        self._submit(ProductionPlan(maintenance=known))

    @contextmanager
    def _timed(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[phase] = self.timings.get(phase, 0.0) + time.perf_counter() - started

    def _span(self, event: OperationFinished) -> None:
        started = self.spans.pop(event.operation, None)
        work = self.works.get(event.work_order)
        if started is not None and work is not None:
            self.order_spans[work.order_id].append((started[1], event.time))
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
                floor.prefetch_orders(  # one read of all their rows, not ~5 per order
                    {order_id for _, order_id, _ in moves},
                    [f"{kind}-{order_id}" for kind, order_id, _ in moves],
                )
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

    def _rejected(self) -> set[str]:
        """Units inspection rejected: by the floor's inspector, or by the platform's verdict."""
        if not self.practice.inline:
            return self.practice.tally.rejected_on_floor
        verdicts = self.platform.quality.verdicts(TWIN)
        return {serial for serial, verdict in verdicts.items() if verdict == "defect"}

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
        judged = judge(self.practice.tally, self._rejected())
        scrapped = self.platform.execution.unit_counts(TWIN).get(UnitStatus.SCRAPPED, 0)
        production = Production(
            units_started=run.units_started,
            # a rejected unit reworked and shipped is good, not scrap (the MES knows which)
            units_good=judged.accepted_good + judged.escaped + max(0, judged.rejected - scrapped),
            units_scrapped=scrapped,
            first_pass_units=judged.accepted_good,
            defective_units=judged.defective,
            escaped_defects=judged.escaped,
            false_rejects=judged.false_rejects,
            energy_kwh=run.energy_kwh,
            solar_kwh=run.solar_kwh,
            purchase_orders=len(self.purchases),
            average_inventory_value=time_average(self.stock_value),
            material_shortages=run.material_shortages,
            material_blocked_hours=run.material_blocked_minutes / 60,
            setup_hours=run.setup_minutes / 60,
            breakdowns=sum(run.failures.values()),
            maintenance_stops=sum(run.maintenances.values()),
            breakdown_hours=sum(run.down_minutes.values()) / 60,
        )
        outcomes = [self._timed_outcome(k, o) for k, o in self.shop.outcomes.items()]
        plant = oee.plant.oee if oee.plant else None
        kpis = compute(outcomes, production, end=end, shipping=SHIPPING, oee=plant)
        self.upkeep.close()
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
            lost_hours={cause: m / 60 for cause, m in sorted(run.lost_minutes.items())},
            twin_config=self.twin_config,
            purchases=list(self.purchases),
            material_received=_floats(self.floor.card.received),
            material_issued=_floats(self.floor.card.issued),
            material_on_hand=_floats(self.floor.card.on_hand),
        )

    def _timed_outcome(self, order_id: str, outcome: OrderOutcome) -> OrderOutcome:
        """The order's outcome with when its operations ran (see :mod:`openfab.demo.kpis`)."""
        spans = self.order_spans.get(order_id)
        if not spans:
            return outcome
        first = min(start for start, _ in spans)
        last = max(end for _, end in spans)
        busy = busy_hours(spans)
        return replace(outcome, first_start=first, last_finish=last, working_hours=busy)

    def _shipped_serials(self) -> list[str]:
        units = self.platform.execution.list_units(TWIN, status=UnitStatus.SHIPPED, limit=5)
        return [u.serial for u in units.data]


def digest(hasher: Any, events: Sequence[TwinEvent]) -> None:
    for event in events:
        hasher.update(f"{event.kind}|{event.message_id}|{event.time.isoformat()}\n".encode())


def twin_config(config: DemoConfig, purchased: frozenset[str]) -> TwinConfig:
    """The demo's twin: message ids carry the arm, seed and start (two runs into one
    database or bus never collide); only materials no supplier sells are auto-stocked. The
    floor dispatches from the plan (OpenFab) or first come first served (the baseline): a
    machine that frees takes the next operation it can run, from any of its work centers."""
    energy = "energy" in config.ai
    return TwinConfig(
        origin=config.start,
        start_early=True,
        run_id=f"{config.arm}-{default_run_id(config.seed, config.start)}",
        auto_stock=True,
        purchased=purchased,
        telemetry_period=config.telemetry_minutes,
        dispatch="plan" if "dispatch" in config.ai else "fifo",
        standby_after=config.standby_minutes if energy else None,
        family_window=config.family_window,
    )


def replay_twin(
    config: DemoConfig, trace: Sequence[TwinStep], *, twin: TwinConfig | None = None
) -> tuple[str, TwinRun]:
    """Run the demo's twin part again from its recorded plans (and ``twin``, the run's twin
    configuration): the same digest and run summary prove the twin deterministic."""
    hasher = hashlib.sha256()
    twin_settings = twin or twin_config(config, frozenset())
    replayed = Twin(
        plant_layout(plant_centers(config.plant)),
        seed=config.seed,
        config=twin_settings,
        sink=lambda events: digest(hasher, events),
    )
    for step in trace:
        for machine, parameter, value in step.setpoints:
            replayed.adjust_parameter(machine, parameter, value)
        if step.plan is not None:
            replayed.submit(step.plan)
        elif not step.setpoints:
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
        platform.catalog.install_sample_products(admin, products)
        for code in products:
            definitions[(tenant_id, code)] = platform.catalog.handle(
                admin, code
            ).configurator.definition
            customers += [(p, code) for p in people]
    return _Shop(next(iter(admins.values())), admins, customers, definitions)
