"""The planner's workbench: find orders, work orders, units and purchase orders (filters
kept in the URL, so a search can be bookmarked and shared), the staff's record of one
order, and the plan as a Gantt chart a planner can read at any zoom and act on.

Everything comes through the services, so a brand's staff see their brand's orders and
customers, and the plant's staff every brand's orders but no brand's customers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Request, Response
from markupsafe import Markup

from openfab.errors import InvalidInput, OpenFabError, Problem
from openfab.execution.states import UnitStatus, WorkOrderStatus
from openfab.identity.actor import SCHEDULERS, STAFF, STOCK_KEEPERS, Actor
from openfab.orders.search import OrderQuery
from openfab.orders.states import OrderStatus
from openfab.planning.mrp.schemas import PurchaseStatus
from openfab.planning.schemas import GanttWindow
from openfab.planning.shopfloor import work_center_of
from openfab.platform import Platform
from openfab.store.types import utcnow
from openfab.web import dashboard_data as data
from openfab.web.charts import (
    ChartRow,
    PlannerBar,
    Window,
    gantt_svg,
    planner_gantt_svg,
)
from openfab.web.registry import WebPage, register_page
from openfab.web.render import WebRoute, redirect, render, staff_only, translator
from openfab.web.session import require_actor

router = APIRouter(prefix="/factory", route_class=WebRoute, include_in_schema=False)
PAGE = 50
ZOOMS = (("8h", 8), ("1d", 24), ("2d", 50), ("1w", 168))
"""Zoom presets: the window's length in hours (2 d = the default now − 2 h … now + 48 h)."""
DEFAULT_HOURS, DEFAULT_BEFORE = 50, timedelta(hours=2)
MAX_HOURS = 24 * 31


def staff(request: Request) -> Actor:
    actor = require_actor(request)
    staff_only(actor)
    return actor


StaffDep = Annotated[Actor, Depends(staff)]


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def _params(request: Request) -> dict[str, str]:
    return {k: v.strip() for k, v in request.query_params.items() if v.strip()}


def _url(path: str, params: Mapping[str, str], **changes: str | None) -> str:
    merged = {**params, **changes}
    kept = {k: v for k, v in merged.items() if v}
    return f"{path}?{urlencode(kept)}" if kept else path


def _date(field: str, text: str, problems: list[Problem]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(Problem(field, f"not a date (YYYY-MM-DD): {text[:20]!r}"))
        return None


def _choice(field: str, text: str, allowed: Sequence[str], problems: list[Problem]) -> str:
    if text and text not in allowed:
        problems.append(Problem(field, f"one of {', '.join(allowed)}"))
        return ""
    return text


def _page(text: str, problems: list[Problem]) -> int:
    if not text:
        return 1
    if not text.isdigit() or not 1 <= int(text) <= 100_000:
        problems.append(Problem("page", "a page number from 1"))
        return 1
    return int(text)


def _pages(count: int, page: int, path: str, params: Mapping[str, str]) -> dict[str, Any]:
    last = max(1, -(-count // PAGE))
    return {
        "count": count,
        "page": page,
        "last": last,
        "prev": _url(path, params, page=str(page - 1)) if page > 1 else "",
        "next": _url(path, params, page=str(page + 1)) if page < last else "",
    }


# -- orders ----------------------------------------------------------------------------------
def order_query(params: Mapping[str, str]) -> tuple[OrderQuery, int]:
    """The search in the URL as an :class:`OrderQuery`; every bad field named at once."""
    problems: list[Problem] = []
    status = _choice("status", params.get("status", ""), [s.value for s in OrderStatus], problems)
    late_text = _choice("late", params.get("late", ""), ("yes", "no"), problems)
    placed_from = _date("placed_from", params.get("placed_from", ""), problems)
    placed_to = _date("placed_to", params.get("placed_to", ""), problems)
    page = _page(params.get("page", ""), problems)
    if problems:
        raise InvalidInput("invalid order search", problems)
    query = OrderQuery(
        q=params.get("q", ""),
        status=(OrderStatus(status),) if status else (),
        product=params.get("product", ""),
        late={"yes": True, "no": False}.get(late_text),
        placed_from=placed_from,
        placed_to=placed_to,
        limit=PAGE,
        offset=(page - 1) * PAGE,
    )
    return query, page


@router.get("/orders")
def orders(request: Request, actor: StaffDep) -> Response:
    platform, params = _platform(request), _params(request)
    query, page = order_query(params)
    found = platform.orders.search(actor, query)
    products = _product_codes(platform, actor)
    return render(
        request,
        "workbench/orders.html",
        found=found.data,
        params=params,
        statuses=[s.value for s in OrderStatus],
        products=products,
        pager=_pages(found.count, page, "/factory/orders", params),
        plant=actor.is_plant,
    )


@router.get("/orders/{ref}")
def order_record(request: Request, actor: StaffDep, ref: str) -> Response:
    platform = _platform(request)
    record = platform.orders.record(actor, ref[:64])
    order = record.order
    t = translator(request)

    def t_step(sequence: str, own: bool) -> str:
        return t("wb.reason.own_step" if own else "wb.reason.other_step", step=sequence)

    work_orders = _safe(lambda: platform.execution.list_work_orders(actor, order=order.id).data)
    details = [
        d
        for d in (
            _safe(lambda n=wo.number: platform.execution.get_work_order(actor, n))
            for wo in (work_orders or [])[:10]
        )
        if d is not None
    ]
    units = _safe(lambda: platform.execution.list_units(actor, order=order.id, limit=200))
    plan = platform.planning.order_plan(actor, order.id)
    bars = [
        b.model_copy(update={"reason": readable_reason(b.reason, order.id, t_step)})
        for row in plan.rows
        for b in row.bars
    ]
    chart = gantt_svg(
        [
            _bar_of(b.machine, b.order_number, b.sequence, b.start_at, b.end_at, b.reason)
            for b in bars
        ],
        rows=list(dict.fromkeys(b.machine for b in bars)),
        now=utcnow(),
        title=t("wb.record.plan"),
        label_now=t("gantt.now"),
    )
    refs = [order.number, *(wo.number for wo in work_orders or [])]
    events = data.events_about(platform, actor, ids=[order.id], refs=refs, limit=60)
    return render(
        request,
        "workbench/order.html",
        record=record,
        order=order,
        work_orders=details,
        units=units.data if units else None,
        plan=plan,
        bars=bars,
        chart=chart,
        events=events,
        gantt_link=_url("/factory/gantt", {}, highlight=order.number, **_window_of(bars)),
        can_move=_can_schedule(actor),
    )


OPERATION_ID = re.compile(
    r"\b([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/(\d+)/\d+\b"
)


def readable_reason(reason: str, order_id: str, step: Callable[[str, bool], str]) -> str:
    """The scheduler's reason with operation ids as steps: this order's "step 30", or
    another order's step (never its id or number: it may be another brand's)."""
    return OPERATION_ID.sub(lambda m: step(m.group(2), m.group(1) == order_id), reason)


def _window_of(bars: Sequence[Any]) -> dict[str, str]:
    """A Gantt window that shows an order's planned operations (from 2 h before its first)."""
    if not bars:
        return {}
    first = min(b.start_at for b in bars) - DEFAULT_BEFORE
    hours = (max(b.end_at for b in bars) - first).total_seconds() / 3600 + 2
    preset = next((h for _, h in ZOOMS if h >= hours), ZOOMS[-1][1])
    return {"start": f"{first:%Y-%m-%dT%H:%M}", "hours": str(preset)}


def _bar_of(
    machine: str, number: str, sequence: int, start: datetime, end: datetime, reason: str
) -> Any:
    from openfab.planning.gantt import Bar

    why = f" · {reason}" if reason else ""
    title = f"{number} · {sequence} · {machine} · {start:%m-%d %H:%M}–{end:%H:%M} UTC{why}"
    return Bar(machine, start, end, number, number, title)


def _product_codes(platform: Platform, actor: Actor) -> list[str]:
    """The brand's product codes for a filter; the plant (which has no catalog of its own)
    types a code instead."""
    found = _safe(lambda: platform.catalog.list_products(actor).data) or []
    return sorted(p.code for p in found)


def _safe(read: Any) -> Any:
    """A read the actor may not be allowed (or that has nothing yet): None instead."""
    try:
        return read()
    except OpenFabError:
        return None


# -- work orders, units, purchase orders ------------------------------------------------------
@router.get("/work-orders")
def work_orders(request: Request, actor: StaffDep) -> Response:
    """Work orders by their number or their sales order's, and status."""
    platform, params = _platform(request), _params(request)
    problems: list[Problem] = []
    allowed = [s.value for s in WorkOrderStatus]
    status = _choice("status", params.get("status", ""), allowed, problems)
    page = _page(params.get("page", ""), problems)
    if problems:
        raise InvalidInput("invalid work order search", problems)
    q = params.get("q", "")[:64]
    rows: list[Any] = []
    count = 0
    exact = _safe(lambda: platform.execution.get_work_order(actor, q)) if q else None
    if exact is not None:
        rows, count = [exact], 1
    else:
        found = platform.execution.list_work_orders(
            actor,
            status=WorkOrderStatus(status) if status else None,
            order=q or None,
            limit=PAGE,
            offset=(page - 1) * PAGE,
        )
        rows, count = found.data, found.count
    return render(
        request,
        "workbench/work_orders.html",
        rows=rows,
        params=params,
        statuses=allowed,
        pager=_pages(count, page, "/factory/work-orders", params),
    )


@router.get("/units")
def units(request: Request, actor: StaffDep) -> Response:
    """Serial units by serial or order number, and status."""
    platform, params = _platform(request), _params(request)
    problems: list[Problem] = []
    allowed = [s.value for s in UnitStatus]
    status = _choice("status", params.get("status", ""), allowed, problems)
    page = _page(params.get("page", ""), problems)
    if problems:
        raise InvalidInput("invalid unit search", problems)
    q = params.get("q", "")[:64]
    exact = _safe(lambda: platform.execution.get_unit(actor, q)) if q else None
    if exact is not None:
        rows, count = [exact], 1
    else:
        found = platform.execution.list_units(
            actor,
            order=q or None,
            status=UnitStatus(status) if status else None,
            limit=PAGE,
            offset=(page - 1) * PAGE,
        )
        rows, count = list(found.data), found.count
    return render(
        request,
        "workbench/units.html",
        rows=rows,
        params=params,
        statuses=allowed,
        pager=_pages(count, page, "/factory/units", params),
    )


@router.get("/units/{serial}")
def unit(request: Request, actor: StaffDep, serial: str) -> Response:
    platform = _platform(request)
    genealogy = platform.execution.genealogy(actor, serial[:64])
    return render(request, "workbench/unit.html", g=genealogy)


@router.get("/purchase-orders")
def purchase_orders(request: Request, actor: StaffDep) -> Response:
    """The plant's purchase orders by number, material or supplier, status and lateness."""
    actor.require_plant(*STOCK_KEEPERS)
    platform, params = _platform(request), _params(request)
    problems: list[Problem] = []
    allowed = [s.value for s in PurchaseStatus]
    status = _choice("status", params.get("status", ""), allowed, problems)
    late = _choice("late", params.get("late", ""), ("yes", "no"), problems)
    if problems:
        raise InvalidInput("invalid purchase order search", problems)
    found = platform.materials.purchase_orders(
        actor, status=PurchaseStatus(status) if status else None
    ).data
    q = params.get("q", "").lower()[:64]
    if q:
        found = [
            po
            for po in found
            if q in po.number.lower() or q in po.material.lower() or q in po.supplier.lower()
        ]
    if late:
        found = [po for po in found if po.late == (late == "yes")]
    found.sort(key=lambda o: (o.status in ("Received", "Cancelled"), o.due_date, o.number))
    return render(
        request,
        "workbench/purchase_orders.html",
        rows=found[:200],
        count=len(found),
        params=params,
        statuses=allowed,
    )


# -- the Gantt -------------------------------------------------------------------------------
@dataclass(frozen=True)
class GanttView:
    """The planner's Gantt as a page shows it: the chart and the links around it."""

    window: GanttWindow
    chart: Markup
    start: datetime
    end: datetime
    hours: int
    zooms: list[tuple[str, str, bool]]
    earlier: str
    later: str
    today: str
    late: list[str]
    at_risk: list[str]
    plan_span: tuple[datetime, datetime] | None
    params: dict[str, str]
    open_all: str


def _window_params(params: Mapping[str, str], now: datetime) -> tuple[datetime, int]:
    problems: list[Problem] = []
    hours = DEFAULT_HOURS
    if params.get("hours"):
        text = params["hours"]
        if not text.isdigit() or not 1 <= int(text) <= MAX_HOURS:
            problems.append(Problem("hours", f"a whole number of hours from 1 to {MAX_HOURS}"))
        else:
            hours = int(text)
    # to the minute: one default window a minute, so the plan's built window is reused
    start = now.replace(second=0, microsecond=0) - DEFAULT_BEFORE
    if params.get("start"):
        try:
            start = datetime.fromisoformat(params["start"])
        except ValueError:
            problems.append(Problem("start", "a moment as YYYY-MM-DDTHH:MM (UTC)"))
        else:
            start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    if problems:
        raise InvalidInput("invalid Gantt window", problems)
    return start, hours


def gantt_view(
    platform: Platform,
    actor: Actor,
    params: Mapping[str, str],
    *,
    title: str,
    label_now: str,
    busy: str = "operations",
    path: str = "/factory/gantt",
) -> GanttView:
    """The plan between ``start`` and ``start + hours`` (default now − 2 h … now + 48 h),
    one summary row per work center (``open`` lists the ones shown machine by machine, or
    ``all``), filtered by order, product and brand, an order's path highlighted."""
    now = utcnow()
    start, hours = _window_params(params, now)
    end = start + timedelta(hours=hours)
    window = platform.planning.window(
        actor,
        start,
        end,
        order=params.get("order", "")[:64],
        product=params.get("product", "")[:64],
        brand=params.get("brand", "")[:64],
    )
    rows = _rows(platform, window, params, path)
    bars = [_planner_bar(b) for b in window.bars]
    windows = [Window(d.machine, d.start_at, d.end_at, d.reason) for d in window.downtime]
    chart = planner_gantt_svg(
        rows,
        bars,
        windows,
        start=start,
        end=end,
        now=now,
        highlight=params.get("highlight", ""),
        title=title,
        label_now=label_now,
        busy=busy,
    )
    shift = timedelta(hours=max(hours // 2, 1))
    here = dict(params)
    zooms = [(label, _url(path, here, hours=str(h)), h == hours) for label, h in ZOOMS]
    fmt = "%Y-%m-%dT%H:%M"
    late = sorted({b.order_number for b in window.bars if b.late})
    at_risk = sorted({b.order_number for b in window.bars if b.at_risk and not b.late})
    return GanttView(
        window=window,
        chart=chart,
        start=start,
        end=end,
        hours=hours,
        zooms=zooms,
        earlier=_url(path, here, start=f"{start - shift:{fmt}}"),
        later=_url(path, here, start=f"{start + shift:{fmt}}"),
        today=_url(path, here, start=None),
        late=late,
        at_risk=at_risk,
        plan_span=platform.planning.plan_span(actor) if not window.bars else None,
        params=here,
        open_all=_url(path, here, open=None if here.get("open") == "all" else "all"),
    )


_DRAWN: dict[tuple[Any, ...], PlannerBar] = {}
DRAWN_MOST = 60_000  # built bars remembered (a few windows of a busy day's plan)


def _planner_bar(b: Any) -> PlannerBar:
    """A window's operation as the chart draws it, remembered by every field it shows (so
    never stale): building the 6,000 titles of a busy window again costs about 50 ms."""
    key = (
        b.order_number,
        b.sequence,
        b.machine,
        b.start_at,
        b.end_at,
        b.product,
        b.reason,
        b.late,
        b.at_risk,
        b.pinned,
    )
    found = _DRAWN.get(key)
    if found is None:
        if len(_DRAWN) >= DRAWN_MOST:
            _DRAWN.clear()
        found = _DRAWN[key] = PlannerBar(
            b.machine,
            b.start_at if b.start_at.tzinfo else b.start_at.replace(tzinfo=UTC),
            b.end_at if b.end_at.tzinfo else b.end_at.replace(tzinfo=UTC),
            b.order_number,
            b.sequence,
            f"{b.order_number} · {b.product} · {b.sequence} · {b.machine} · "
            f"{b.start_at:%m-%d %H:%M}–{b.end_at:%m-%d %H:%M} UTC"
            + (f" · {b.reason}" if b.reason else "")
            + (" · 📌" if b.pinned else ""),
            b.late,
            b.at_risk,
            b.pinned,
        )
    return found


def _rows(
    platform: Platform, window: GanttWindow, params: Mapping[str, str], path: str
) -> list[ChartRow]:
    """A summary row per work center that has work or downtime in the window (all of them
    when nothing is filtered), and its machines when it is open."""
    centers = platform.orders.reference().work_centers
    opened_text = params.get("open", "")
    opened = set(opened_text.split(",")) if opened_text and opened_text != "all" else set()
    every = opened_text == "all"
    busy = {work_center_of(b.machine) for b in window.bars}
    busy |= {work_center_of(d.machine) for d in window.downtime}
    filtered = any(params.get(k) for k in ("order", "product", "brand"))
    by_center: dict[str, list[str]] = {}
    for machine in platform.planning.machines():
        by_center.setdefault(work_center_of(machine), []).append(machine)
    rows = []
    for code, machines in by_center.items():
        if filtered and code not in busy:
            continue
        expanded = every or code in opened
        toggled = (opened - {code}) if expanded else (opened | {code})
        toggle = _url(path, params, open=",".join(sorted(toggled)) if not every else None)
        name = centers[code].name if code in centers else code
        label = f"{name} ({len(machines)})"
        rows.append(ChartRow(f"wc:{code}", label, code, "", expanded, toggle))
        if expanded:
            rows.extend(ChartRow(f"m:{m}", m, code, m) for m in machines)
    return rows


def _can_schedule(actor: Actor) -> bool:
    return actor.is_plant and bool(actor.roles & set(SCHEDULERS))


@router.get("/gantt")
def gantt(request: Request, actor: StaffDep) -> Response:
    platform, params = _platform(request), _params(request)
    t = translator(request)
    view = gantt_view(
        platform,
        actor,
        params,
        title=t("gantt.title"),
        label_now=t("gantt.now"),
        busy=t("wb.gantt.busy"),
    )
    products = _product_codes(platform, actor)
    return render(
        request,
        "workbench/gantt.html",
        view=view,
        params=params,
        products=products,
        plant=actor.is_plant,
        can_move=_can_schedule(actor),
        machines=platform.planning.machines(),
        pins=platform.planning.pins(actor) if actor.is_plant else [],
    )


@router.post("/gantt/move")
def move(
    request: Request,
    actor: StaffDep,
    order: Annotated[str, Form(max_length=64)],
    sequence: Annotated[str, Form(max_length=8)],
    machine: Annotated[str, Form(max_length=64)],
    start: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Move one operation to a machine and a start, then re-plan around it."""
    platform = _platform(request)
    problems = []
    if not sequence.strip().isdigit():
        problems.append(Problem("sequence", "the operation's step number (1, 2, …)"))
    moment: datetime | None = None
    if start.strip():
        try:
            moment = datetime.fromisoformat(start.strip())
        except ValueError:
            problems.append(Problem("start", "a moment as YYYY-MM-DDTHH:MM (UTC)"))
        else:
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    if problems:
        raise InvalidInput("the move is not complete", problems)
    result = platform.planning.move_operation(
        actor, order.strip(), int(sequence), machine.strip(), moment, time_limit=5
    )
    return render(request, "workbench/moved.html", result=result, order=order.strip())


@router.post("/gantt/pins/{pin_id}/release")
def release_pin(
    request: Request, actor: StaffDep, pin_id: Annotated[str, Path(max_length=36)]
) -> Response:
    """Release a planner's pin; the next re-plan places the step freely again."""
    _platform(request).planning.release_pin(actor, pin_id)
    return redirect(request, "/factory/gantt#pins")


register_page(
    WebPage(
        "wb_orders",
        "/factory/orders",
        "nav.wb_orders",
        router,
        roles=STAFF,
        area="factory",
        order=52,
    )
)
register_page(
    WebPage(
        "wb_gantt", "/factory/gantt", "nav.wb_gantt", None, roles=STAFF, area="factory", order=54
    )
)
register_page(
    WebPage(
        "wb_work_orders",
        "/factory/work-orders",
        "nav.wb_work_orders",
        None,
        roles=STAFF,
        area="factory",
        order=56,
        nav=False,
    )
)
