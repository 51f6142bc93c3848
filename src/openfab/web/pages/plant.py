"""Dashboard tiles and panels fed by the domains that have landed: OEE, first-pass yield and
machine health from shop-floor execution, energy from the twin's stored telemetry, purchase
orders from material planning. Each replaces its placeholder by
registering the same key (see ``registry``); the dashboard module is not touched."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from openfab.errors import OpenFabError
from openfab.execution import reads
from openfab.execution.schemas import OeeReport
from openfab.execution.states import MachineState
from openfab.identity.actor import PLANT_ROLES, Actor
from openfab.platform import Platform
from openfab.web import dashboard_data as data
from openfab.web.pages import dashboard as _placeholders  # noqa: F401  (registered first)
from openfab.web.registry import Kpi, KpiValue, Panel, register_kpi, register_panel

OEE_WINDOW = timedelta(hours=24)
ENERGY_WINDOW = timedelta(days=7)  # units finish in batches: a day is too noisy per unit
OEE_CACHE_SECONDS = 30.0
PO_SHOWN = 12


_oee_cache: dict[int, tuple[float, OeeReport]] = {}


def oee_report(platform: Platform, actor: Actor) -> OeeReport:
    """The plant's OEE report over the last 24 hours, from reported machine states or
    operations. It is plant-wide and moves slowly, and computing it takes about 150 ms with
    a week of data, so one report serves every dashboard (tile and machine health) for
    ``OEE_CACHE_SECONDS``."""
    cached = _oee_cache.get(id(platform))
    if cached is not None and time.monotonic() - cached[0] < OEE_CACHE_SECONDS:
        return cached[1]
    end = data.plant_window(platform).end  # a quiet plant (an ended demo): its last day
    report = platform.execution.oee(actor, start=end - OEE_WINDOW, end=end, now=end)
    _oee_cache[id(platform)] = (time.monotonic(), report)
    return report


def oee(platform: Platform, actor: Actor) -> KpiValue:
    if not actor.is_staff:
        return KpiValue(None, hint="kpi.hint.unavailable")
    plant = oee_report(platform, actor).plant
    if plant is None or (plant.running_seconds <= 0 and plant.total_count == 0):  # no data
        return KpiValue(None, hint="kpi.hint.execution")
    detail = f"A {plant.availability:.0%} · P {plant.performance:.0%} · Q {plant.quality:.0%}"
    note = data.as_of(data.plant_window(platform))
    return KpiValue(f"{plant.oee:.0%}", detail=f"{detail} {note}".strip())


def machine_health(platform: Platform, actor: Actor) -> dict[str, float]:
    """Machine → share of the last 24 hours it was not broken down (``Down``; planned
    maintenance is upkeep, not ill health), from the same report as the OEE tile. Time
    before a machine's first report counts as healthy: unknown is not broken."""
    report = oee_report(platform, actor)
    window = (report.end - report.start).total_seconds()
    return {
        m.machine: max(0.0, 1.0 - m.seconds.get(MachineState.DOWN.value, 0.0) / window)
        for m in report.machines
    }


def machines(platform: Platform, actor: Actor) -> dict[str, Any]:
    """The machines panel: execution's reported states (the plan's where none was
    reported), with each machine's health."""
    try:
        health = machine_health(platform, actor)
    except OpenFabError:
        health = {}
    window = data.plant_window(platform)
    states = data.machine_states(platform, window.end, health=health)
    stale = {s.machine for s in states if data.stale(s, window.end)}
    return {
        "machines": states,
        "centers": data.by_work_center(platform, states),
        "stale": stale,
        "window": window,
    }


def first_pass_yield(platform: Platform, actor: Actor) -> KpiValue:
    """Units of the tenant finished in the last 24 hours that passed every step the first
    time (no rework, no scrap), from the shop floor's serial units."""
    if not actor.is_staff:
        return KpiValue(None, hint="kpi.hint.unavailable")
    since = data.plant_window(platform).end - OEE_WINDOW
    with platform.db.unit(actor.scope, actor=actor.name, readonly=True) as u:
        total, good = reads.first_pass(u, since)
    if not total:
        return KpiValue(None, hint="kpi.hint.execution")
    return KpiValue(f"{good / total:.1%}", detail=f"{good} / {total}")


_energy_cache: dict[int, tuple[float, data.PlantEnergy | None]] = {}


def _energy(platform: Platform) -> data.PlantEnergy | None:
    """The last week of the plant's energy, cached like OEE (both tiles read it, and it
    scans the telemetry table)."""
    cached = _energy_cache.get(id(platform))
    if cached is not None and time.monotonic() - cached[0] < OEE_CACHE_SECONDS:
        return cached[1]
    totals = data.plant_energy(platform, data.plant_window(platform).end - ENERGY_WINDOW)
    _energy_cache[id(platform)] = (time.monotonic(), totals)
    return totals


def energy_per_unit(platform: Platform, actor: Actor) -> KpiValue:
    """kWh the plant consumed in the last week per good unit it finished meanwhile."""
    if not actor.is_staff:
        return KpiValue(None, hint="kpi.hint.unavailable")
    totals = _energy(platform)
    if totals is None:
        return KpiValue(None, hint="kpi.hint.twin")
    if not totals.good_units:
        return KpiValue(_kwh(totals.consumed_kwh), hint="kpi.hint.no_units")
    detail = f"{_kwh(totals.consumed_kwh)} / {totals.good_units:,}"
    return KpiValue(_kwh(totals.consumed_kwh / totals.good_units), detail=detail)


def _kwh(value: float) -> str:
    """Short enough for a tile: ``158.1 kWh``, ``4.82 MWh``."""
    return f"{value / 1000:,.2f} MWh" if value >= 1000 else f"{value:,.1f} kWh"


def solar_share(platform: Platform, actor: Actor) -> KpiValue:
    """The share of the last week's consumption the rooftop solar supplied."""
    if not actor.is_staff:
        return KpiValue(None, hint="kpi.hint.unavailable")
    totals = _energy(platform)
    if totals is None or totals.consumed_kwh <= 0:
        return KpiValue(None, hint="kpi.hint.twin")
    detail = f"{_kwh(totals.solar_kwh)} / {_kwh(totals.consumed_kwh)}"
    return KpiValue(f"{totals.solar_kwh / totals.consumed_kwh:.1%}", detail=detail)


def purchase_orders(platform: Platform, actor: Actor) -> dict[str, Any]:
    """Open purchase orders first; with none, when material planning last ran (so an empty
    panel says "nothing to buy", not "not running")."""
    try:
        orders = platform.materials.purchase_orders(actor).data
    except OpenFabError:
        return {"orders": None, "count": 0, "last_run": None}
    open_first = sorted(orders, key=lambda o: (o.status in ("Received", "Cancelled"), o.due_date))
    last_run = None
    if not orders:
        try:
            last_run = platform.materials.material_plan(actor).run
        except OpenFabError:
            last_run = None
    return {"orders": open_first[:PO_SHOWN], "count": len(orders), "last_run": last_run}


register_panel(
    Panel("machines", "panel.machines", "dashboard/panel_machines.html", machines, order=20)
)
register_kpi(Kpi("oee", "kpi.oee", oee, order=40))
register_kpi(Kpi("first_pass_yield", "kpi.first_pass_yield", first_pass_yield, order=50))
register_kpi(Kpi("energy", "kpi.energy", energy_per_unit, order=60))
register_kpi(Kpi("solar_share", "kpi.solar_share", solar_share, order=70))
register_panel(
    Panel(
        "purchase_orders",
        "panel.purchase_orders",
        "dashboard/panel_purchase_orders.html",
        purchase_orders,
        roles=PLANT_ROLES,
        order=40,
    )
)
