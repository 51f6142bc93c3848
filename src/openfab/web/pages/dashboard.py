"""The factory dashboard: KPI tiles, the plan as a Gantt chart, machines, the autopilot's
decisions, purchase orders and the event log, kept live by server-sent events."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from openfab.errors import NotFound, OpenFabError
from openfab.identity.actor import SCHEDULERS, STAFF, Actor
from openfab.platform import Platform
from openfab.web import dashboard_data as data
from openfab.web.pages.workbench import gantt_view
from openfab.web.registry import (
    Kpi,
    KpiValue,
    Panel,
    WebPage,
    kpis,
    panel,
    panels_for,
    register_kpi,
    register_page,
    register_panel,
)
from openfab.web.render import WebRoute, redirect, render, render_fragment, staff_only
from openfab.web.session import require_actor

router = APIRouter(route_class=WebRoute, include_in_schema=False)
STREAM_SECONDS = 300.0  # the browser reconnects (EventSource does) after this
POLL_SECONDS = 1.0


def staff(request: Request) -> Actor:
    actor = require_actor(request)
    staff_only(actor)
    return actor


StaffDep = Annotated[Actor, Depends(staff)]


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


@contextmanager
def shared_reads() -> Iterator[None]:
    """Tiles and panels of one rendering that read the same rows read them once."""
    if data.TILE_READS.get() is not None:
        yield
        return
    token = data.TILE_READS.set({})
    try:
        yield
    finally:
        data.TILE_READS.reset(token)


def kpi_values(platform: Platform, actor: Actor) -> list[tuple[Kpi, KpiValue]]:
    values = []
    with shared_reads():
        for kpi in kpis():
            try:
                value = kpi.compute(platform, actor)
            except OpenFabError:
                value = KpiValue(None, hint="kpi.hint.unavailable")
            values.append((kpi, value))
    return values


def panel_html(request: Request, platform: Platform, actor: Actor, item: Panel) -> Any:
    context: Mapping[str, Any] = item.context(platform, actor)
    return render_fragment(item.template, request, panel=item, **context)


@router.get("/dashboard")
def dashboard(request: Request, actor: StaffDep) -> Response:
    platform = _platform(request)
    with shared_reads():
        sections = [(p, panel_html(request, platform, actor, p)) for p in panels_for(actor)]
        return render(
            request,
            "dashboard/index.html",
            kpis=kpi_values(platform, actor),
            links=kpi_links(platform),
            sections=sections,
            last_seq=data.last_seq(platform),
        )


@router.get("/dashboard/kpis")
def kpi_tiles(request: Request, actor: StaffDep) -> Response:
    platform = _platform(request)
    return render(
        request, "dashboard/_kpis.html", kpis=kpi_values(platform, actor), links=kpi_links(platform)
    )


@router.get("/dashboard/panels/{key}")
def panel_fragment(request: Request, actor: StaffDep, key: str) -> Response:
    item = panel(key)
    if item is None or not (item.roles & actor.roles):
        raise NotFound(f"no dashboard panel {key!r}")
    html = panel_html(request, _platform(request), actor, item)
    return render(request, "dashboard/_panel_body.html", body=html)


@router.post("/dashboard/plan")
def plan_now(request: Request, actor: StaffDep) -> Response:
    """Planners re-plan every open order now (the autopilot also does it by itself)."""
    _platform(request).planning.plan(actor, trigger=f"requested by {actor.name}", time_limit=10)
    return redirect(request, "/dashboard#panel-gantt")


@router.get("/dashboard/events")
def event_log(
    request: Request, actor: StaffDep, type: str = "", entity: str = "", limit: int = 100
) -> Response:
    events = data.recent_events(
        _platform(request),
        actor,
        type_prefix=type.strip()[:64] or None,
        entity_id=entity.strip()[:64] or None,
        limit=min(max(limit, 1), 500),
    )
    template = (
        "dashboard/_event_rows.html"
        if request.headers.get("HX-Request")
        else "dashboard/events.html"
    )
    return render(request, template, events=events, type=type, entity=entity)


@router.get("/dashboard/audit")
def audit_check(request: Request, actor: StaffDep) -> Response:
    result = _platform(request).audit.verify(actor)
    return render(request, "dashboard/_audit.html", result=result)


@router.get("/dashboard/stream")
async def stream(request: Request, actor: StaffDep, after: int = -1) -> StreamingResponse:
    """Server-sent events: each new event (the tenant's, and the plant's schedule and machine
    events) as it commits, by polling the log by sequence number."""
    platform = _platform(request)
    resume = request.headers.get("last-event-id", "")
    start = int(resume) if resume.isdigit() else after
    if start < 0:
        start = await run_in_threadpool(data.last_seq, platform)
    return StreamingResponse(
        _events(request, platform, actor, start),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(
    request: Request, platform: Platform, actor: Actor, after: int
) -> AsyncIterator[str]:
    deadline = time.monotonic() + STREAM_SECONDS
    quiet = 0.0
    yield "retry: 2000\n\n"
    while time.monotonic() < deadline and not await request.is_disconnected():
        events = await run_in_threadpool(data.events_after, platform, actor, after)
        for event in events:
            after = event.seq
            body = {
                "seq": event.seq,
                "type": event.type,
                "entity": event.entity_id,
                "summary": event.summary,
                "at": f"{event.occurred_at:%H:%M:%S}",
            }
            yield f"id: {event.seq}\nevent: openfab\ndata: {json.dumps(body)}\n\n"
        quiet = 0.0 if events else quiet + POLL_SECONDS
        if quiet >= 15:
            yield ": keep-alive\n\n"
            quiet = 0.0
        await asyncio.sleep(POLL_SECONDS)


# -- panels --------------------------------------------------------------------------------
def gantt_context(platform: Platform, actor: Actor) -> dict[str, Any]:
    """The planner's Gantt over its default window (now − 2 h … now + 48 h), one row per
    work center; the full page (/factory/gantt) zooms, filters and opens work centers."""
    return {
        "view_for": lambda t: gantt_view(
            platform,
            actor,
            {},
            title=t("gantt.title"),
            label_now=t("gantt.now"),
            busy=t("wb.gantt.busy"),
        ),
        "can_plan": actor.is_plant and bool(actor.roles & set(SCHEDULERS)),
    }


def machines_context(platform: Platform, actor: Actor) -> dict[str, Any]:
    states = data.machine_states(platform)
    return {"machines": states, "centers": data.by_work_center(platform, states)}


def decisions_context(platform: Platform, actor: Actor) -> dict[str, Any]:
    """Each decision with its causes in words and the reader's promises it moved."""
    return {"decisions": data.explained(platform, actor)}


def kpi_links(platform: Platform) -> dict[str, str]:
    """Where each tile leads: the orders behind it, the machines, the units."""
    day = data.plant_window(platform).end.date().isoformat()
    return {
        "orders_today": f"/factory/orders?placed_from={day}&placed_to={day}",
        "order_to_ship": "/factory/orders?status=Shipped",
        "on_time": "/factory/orders?late=yes",
        "oee": "/dashboard#panel-machines",
        "first_pass_yield": "/factory/units",
    }


def events_context(platform: Platform, actor: Actor) -> dict[str, Any]:
    return {"events": data.recent_events(platform, actor, limit=15)}


def nothing(platform: Platform, actor: Actor) -> dict[str, Any]:
    return {}


register_panel(
    Panel("gantt", "panel.gantt", "dashboard/panel_gantt.html", gantt_context, order=10, wide=True)
)
register_panel(
    Panel("machines", "panel.machines", "dashboard/panel_machines.html", machines_context, order=20)
)
register_panel(
    Panel(
        "decisions",
        "panel.decisions",
        "dashboard/panel_decisions.html",
        decisions_context,
        order=30,
    )
)
register_panel(
    Panel(
        "purchase_orders",
        "panel.purchase_orders",
        "dashboard/panel_placeholder.html",
        nothing,
        order=40,
        live=False,
    )
)
register_panel(
    Panel(
        "events", "panel.events", "dashboard/panel_events.html", events_context, order=50, wide=True
    )
)

register_kpi(Kpi("orders_today", "kpi.orders_today", data.orders_today, order=10))
register_kpi(Kpi("order_to_ship", "kpi.order_to_ship", data.order_to_ship, order=20))
register_kpi(Kpi("on_time", "kpi.on_time", data.on_time, order=30))
register_kpi(Kpi("oee", "kpi.oee", data.not_yet("kpi.hint.execution"), order=40))
register_kpi(
    Kpi("first_pass_yield", "kpi.first_pass_yield", data.not_yet("kpi.hint.quality"), order=50)
)
register_kpi(Kpi("energy", "kpi.energy", data.not_yet("kpi.hint.twin"), order=60))
register_kpi(Kpi("solar_share", "kpi.solar_share", data.not_yet("kpi.hint.twin"), order=70))

register_page(
    WebPage(
        "dashboard", "/dashboard", "nav.dashboard", router, roles=STAFF, area="factory", order=50
    )
)
register_page(
    WebPage(
        "events", "/dashboard/events", "nav.events", None, roles=STAFF, area="factory", order=60
    )
)
