"""Dashboard tiles and panels fed by the domains that have landed: OEE from shop-floor
execution, purchase orders from material planning. Each replaces its placeholder by
registering the same key (see ``registry``); the dashboard module is not touched."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select

from openfab.errors import OpenFabError
from openfab.execution.orm import SerialUnitRow
from openfab.execution.states import UnitStatus
from openfab.identity.actor import Actor, Role
from openfab.platform import Platform
from openfab.store.types import utcnow
from openfab.web.registry import Kpi, KpiValue, Panel, register_kpi, register_panel

OEE_WINDOW = timedelta(hours=24)
OEE_CACHE_SECONDS = 30.0
PO_SHOWN = 12


_oee_cache: dict[int, tuple[float, KpiValue]] = {}


def oee(platform: Platform, actor: Actor) -> KpiValue:
    """The plant's OEE over the last 24 hours, from reported machine states or operations.
    It is plant-wide and moves slowly, and computing it takes about 150 ms with a week of
    data, so one value serves every dashboard for ``OEE_CACHE_SECONDS``."""
    if not actor.is_staff:
        return KpiValue(None, hint="kpi.hint.unavailable")
    cached = _oee_cache.get(id(platform))
    if cached is not None and time.monotonic() - cached[0] < OEE_CACHE_SECONDS:
        return cached[1]
    value = _oee(platform, actor)
    _oee_cache[id(platform)] = (time.monotonic(), value)
    return value


def _oee(platform: Platform, actor: Actor) -> KpiValue:
    end = utcnow()
    report = platform.execution.oee(actor, start=end - OEE_WINDOW, end=end, now=end)
    plant = report.plant
    if plant is None or (plant.running_seconds <= 0 and plant.total_count == 0):  # no data
        return KpiValue(None, hint="kpi.hint.execution")
    detail = f"A {plant.availability:.0%} · P {plant.performance:.0%} · Q {plant.quality:.0%}"
    return KpiValue(f"{plant.oee:.0%}", detail=detail)


def first_pass_yield(platform: Platform, actor: Actor) -> KpiValue:
    """Units of the tenant finished in the last 24 hours that passed every step the first
    time (no rework, no scrap), from the shop floor's serial units."""
    if not actor.is_staff:
        return KpiValue(None, hint="kpi.hint.unavailable")
    since = utcnow() - OEE_WINDOW
    finished = or_(
        SerialUnitRow.completed_at >= since,
        and_(SerialUnitRow.status == UnitStatus.SCRAPPED, SerialUnitRow.created_at >= since),
    )
    with platform.db.unit(tenant_id=actor.require_tenant(), actor=actor.name, readonly=True) as u:
        total, good = u.session.execute(
            select(
                func.count(),
                func.count().filter(
                    SerialUnitRow.first_pass.is_(True),
                    SerialUnitRow.status != UnitStatus.SCRAPPED,
                ),
            )
            .select_from(SerialUnitRow)  # explicit: the tenant filter needs the entity
            .where(finished)
        ).one()
    if not total:
        return KpiValue(None, hint="kpi.hint.execution")
    return KpiValue(f"{good / total:.1%}", detail=f"{good} / {total}")


def purchase_orders(platform: Platform, actor: Actor) -> dict[str, Any]:
    try:
        orders = platform.materials.purchase_orders(actor).data
    except OpenFabError:
        return {"orders": None, "count": 0}
    open_first = sorted(orders, key=lambda o: (o.status in ("Received", "Cancelled"), o.due_date))
    return {"orders": open_first[:PO_SHOWN], "count": len(orders)}


register_kpi(Kpi("oee", "kpi.oee", oee, order=40))
register_kpi(Kpi("first_pass_yield", "kpi.first_pass_yield", first_pass_yield, order=50))
register_panel(
    Panel(
        "purchase_orders",
        "panel.purchase_orders",
        "dashboard/panel_purchase_orders.html",
        purchase_orders,
        roles=frozenset({Role.OPERATOR, Role.PLANNER, Role.ADMIN}),
        order=40,
    )
)
