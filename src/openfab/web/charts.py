"""Server-drawn SVG charts for the pages.

The Gantt chart reuses the planner's :class:`~openfab.planning.gantt.Bar` and its order
colours, and adds what a live page needs: every machine as a row (idle ones too), shaded
maintenance and breakdown windows, a now-line, a time axis, and a viewBox so the chart
scales to the screen (a tablet scrolls it sideways).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from html import escape as _escape

from markupsafe import Markup

from openfab.identity.actor import Actor
from openfab.planning.gantt import Bar, colour
from openfab.planning.schemas import GanttPublic
from openfab.planning.shopfloor import work_center_of
from openfab.platform import Platform
from openfab.store.types import utcnow

ROW, LABEL, WIDTH, AXIS = 26, 170, 1100, 28
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


_CONTROL_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def escape(text: str) -> str:
    """Escaped for XML, control characters dropped (XML 1.0 forbids them)."""
    if _CONTROL_CHAR.search(text):
        text = text.translate(_CONTROL)
    return _escape(text)


@dataclass(frozen=True)
class Window:
    """A span a machine cannot work (maintenance or breakdown)."""

    row: str
    start: datetime
    end: datetime
    reason: str


def _ticks(first: datetime, last: datetime) -> list[datetime]:
    span = (last - first).total_seconds()
    step = next((h for h in (1, 2, 3, 6, 12, 24, 48, 72, 168) if span / (h * 3600) <= 10), 336)
    tick = first.replace(minute=0, second=0, microsecond=0)
    ticks = []
    while tick <= last:
        if tick >= first:
            ticks.append(tick)
        tick += timedelta(hours=step)
    return ticks


def gantt_svg(
    bars: Sequence[Bar],
    *,
    rows: Sequence[str] = (),
    windows: Sequence[Window] = (),
    now: datetime | None = None,
    title: str = "Gantt chart",
    label_now: str = "now",
) -> Markup:
    """An accessible SVG (role=img with a title); empty when there is nothing to draw."""
    names = list(dict.fromkeys([*rows, *sorted({b.row for b in bars})]))
    if not names or not (bars or windows):
        return Markup("")
    moments = [b.start for b in bars] + [b.end for b in bars]
    moments += [w.start for w in windows] + [w.end for w in windows]
    if now is not None:
        moments.append(now)
    first, last = min(moments), max(moments)
    span = max((last - first).total_seconds(), 60.0)
    height = ROW * len(names) + AXIS
    index = {name: i for i, name in enumerate(names)}

    def x(moment: datetime) -> float:
        return LABEL + (moment - first).total_seconds() / span * (WIDTH - LABEL - 10)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'class="gantt" role="img" aria-label="{escape(title)}" font-size="12">'
        f"<title>{escape(title)}</title>"
    ]
    for name, i in index.items():
        y = ROW * i
        fill = "#f6f7f9" if i % 2 else "#ffffff"
        parts.append(f'<rect x="0" y="{y}" width="{WIDTH}" height="{ROW}" fill="{fill}"/>')
        parts.append(f'<text x="6" y="{y + 17}" class="row-label">{escape(name)}</text>')
    for tick in _ticks(first, last):
        tx = x(tick)
        if tx > WIDTH - 80:  # its label would be cut off at the right edge
            continue
        parts.append(
            f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="0" y2="{ROW * len(names)}" stroke="#dde1e6"/>'
            f'<text x="{tx + 2:.1f}" y="{ROW * len(names) + 18}" class="tick">'
            f"{tick:%m-%d %H:%M}</text>"
        )
    for w in windows:
        if w.row not in index:
            continue
        left, right = x(w.start), x(w.end)
        parts.append(
            f'<rect x="{left:.1f}" y="{ROW * index[w.row] + 1}" width="{max(right - left, 2):.1f}" '
            f'height="{ROW - 2}" class="window" fill="url(#hatch)">'
            f"<title>{escape(w.reason)}: {w.start:%m-%d %H:%M}–{w.end:%m-%d %H:%M} UTC</title>"
            "</rect>"
        )
    for b in bars:
        left, right = x(b.start), x(b.end)
        parts.append(
            f'<rect x="{left:.1f}" y="{ROW * index[b.row] + 4}"'
            f' width="{max(right - left, 1.5):.1f}" height="{ROW - 8}" rx="2"'
            f' fill="{colour(b.colour_key)}" class="bar"'
            f' data-order="{escape(b.colour_key)}"><title>{escape(b.title)}</title></rect>'
        )
    if now is not None:
        nx = x(now)
        parts.append(
            f'<line x1="{nx:.1f}" x2="{nx:.1f}" y1="0" y2="{ROW * len(names)}" class="now-line" '
            f'stroke="#d0021b" stroke-width="2"><title>{escape(label_now)}</title></line>'
        )
    parts.append(
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fde2e1"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#d0021b" stroke-width="2"/></pattern></defs>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def _bar(machine: str, order_number: str, sequence: int, start: datetime, end: datetime) -> Bar:
    return Bar(
        row=machine,
        start=start,
        end=end,
        label=order_number,
        colour_key=order_number,
        title=f"{order_number} · {sequence} · {machine} · {start:%m-%d %H:%M}–{end:%H:%M} UTC",
    )


@dataclass(frozen=True)
class PlantChart:
    svg: Markup
    shown: int
    hidden: int  # machines with nothing planned and no downtime (left out unless asked)


def plant_gantt(
    platform: Platform,
    actor: Actor,
    *,
    title: str,
    label_now: str,
    every_machine: bool = False,
    plan: GanttPublic | None = None,
) -> PlantChart:
    """The tenant's planned operations and the plant's downtime windows, one row per machine
    in plant order; idle machines are left out unless ``every_machine`` (a plant has many)."""
    from openfab.web.dashboard_data import downtime_windows

    plan = plan or platform.planning.gantt(actor, by="machine")
    bars = [
        _bar(b.machine, b.order_number, b.sequence, b.start_at, b.end_at)
        for row in plan.rows
        for b in row.bars
    ]
    windows = downtime_windows(platform)
    machines = platform.planning.machines()
    used = {b.row for b in bars} | {w.row for w in windows}
    rows = machines if every_machine else [m for m in machines if m in used]
    svg = gantt_svg(
        bars, rows=rows, windows=windows, now=utcnow(), title=title, label_now=label_now
    )
    return PlantChart(svg, len(rows), len(machines) - len(rows))


def order_gantt(platform: Platform, actor: Actor, order_number: str) -> Markup:
    """One order's planned operations, one row per machine it visits."""
    plan = platform.planning.gantt(actor, by="order")
    bars = [
        _bar(b.machine, b.order_number, b.sequence, b.start_at, b.end_at)
        for row in plan.rows
        if row.key == order_number
        for b in row.bars
    ]
    in_order = [b.row for b in sorted(bars, key=lambda b: b.start)]  # the routing's order
    return gantt_svg(bars, rows=list(dict.fromkeys(in_order)), now=utcnow(), title=order_number)


# -- the planner's Gantt -------------------------------------------------------------------
TICK_MINUTES = (15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080)
PLANNER_LABEL = 240  # room for a work center's name
GROUP_ROW = 24


def tick_step(span: timedelta, *, most: int = 12) -> timedelta:
    """The smallest step from ``TICK_MINUTES`` that puts at most ``most`` ticks in ``span``
    (so labels never overlap at any zoom)."""
    minutes = span.total_seconds() / 60
    return timedelta(minutes=next((m for m in TICK_MINUTES if minutes / m <= most), 10080))


def window_ticks(start: datetime, end: datetime) -> list[tuple[datetime, str]]:
    """Ticks on round moments of the step, each labelled by what changes at that zoom:
    the time of day (with the date at midnight and on the first tick), or the date."""
    step = tick_step(end - start)
    base = start.replace(minute=0, second=0, microsecond=0)
    if step >= timedelta(days=1):
        base = base.replace(hour=0)
    tick = base
    ticks: list[tuple[datetime, str]] = []
    while tick <= end:
        if tick >= start:
            daily = step >= timedelta(days=1)
            first_or_midnight = not ticks or (tick.hour == 0 and tick.minute == 0)
            label = (
                f"{tick:%m-%d}"
                if daily
                else (f"{tick:%m-%d %H:%M}" if first_or_midnight else f"{tick:%H:%M}")
            )
            ticks.append((tick, label))
        tick += step
    return ticks


@dataclass(frozen=True)
class PlannerBar:
    """A bar as the planner's chart draws it."""

    machine: str
    start: datetime
    end: datetime
    order_number: str
    sequence: int
    title: str
    late: bool = False
    at_risk: bool = False
    pinned: bool = False


@dataclass(frozen=True)
class ChartRow:
    """A machine row, or a work center's summary row (``machine`` empty) that stands for
    its machines while it is collapsed."""

    key: str
    label: str
    center: str
    machine: str = ""
    expanded: bool = False
    toggle: str = ""  # the link that opens or closes the center


def planner_gantt_svg(
    rows: Sequence[ChartRow],
    bars: Sequence[PlannerBar],
    windows: Sequence[Window],
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    highlight: str = "",
    title: str,
    label_now: str,
    order_link: str = "/factory/orders/",
    busy: str = "operations",
) -> Markup:
    """Rows of machines (or collapsed work centers) over ``[start, end)``; bars clipped to
    the window and linked to their order, late ones outlined red, at-risk ones amber, the
    ``highlight`` order's path drawn over everything else faded; the now-line."""
    if not rows:
        return Markup("")
    span = max((end - start).total_seconds(), 60.0)
    plot = WIDTH - PLANNER_LABEL - 10
    height = ROW * len(rows) + AXIS

    def x(moment: datetime) -> float:
        seconds = min(max((moment - start).total_seconds(), 0.0), span)
        return PLANNER_LABEL + seconds / span * plot

    lane = {r.key: i for i, r in enumerate(rows)}
    of_machine: dict[str, str] = {}
    for r in rows:
        if r.machine:
            of_machine[r.machine] = r.key
    centers = {r.center: r.key for r in rows if not r.machine}
    # the scale, for the page's drag-and-drop (a dropped bar's machine and start)
    scale = (
        f'data-start="{start.isoformat()}" data-span="{span:.0f}" data-left="{PLANNER_LABEL}" '
        f'data-plot="{plot}" data-row="{ROW}"'
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'class="gantt planner" role="group" aria-label="{escape(title)}" font-size="12" '
        f"{scale}><title>{escape(title)}</title>"
    ]
    for r, i in ((r, lane[r.key]) for r in rows):
        y = ROW * i
        fill = "#eef1f5" if not r.machine else ("#f6f7f9" if i % 2 else "#ffffff")
        parts.append(
            f'<rect x="0" y="{y}" width="{WIDTH}" height="{ROW}" fill="{fill}" '
            f'class="lane" data-machine="{escape(r.machine)}" data-center="{escape(r.center)}"/>'
        )
        label = f"{'▾' if r.expanded else '▸'} {r.label}" if not r.machine else f"   {r.label}"
        label = label if len(label) <= 34 else label[:33] + "…"
        text = f'<text x="6" y="{y + 17}" class="row-label">{escape(label)}</text>'
        if r.toggle:
            text = f'<a href="{escape(r.toggle)}" class="row-toggle">{text}</a>'
        parts.append(text)
    bottom = ROW * len(rows)
    for tick, label in window_ticks(start, end):
        tx = x(tick)
        parts.append(f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="0" y2="{bottom}" stroke="#dde1e6"/>')
        if tx <= WIDTH - 70:
            parts.append(f'<text x="{tx + 2:.1f}" y="{bottom + 18}" class="tick">{label}</text>')
    for w in windows:
        key = of_machine.get(w.row) or centers.get(work_center_of(w.row))
        if key is None or w.end <= start or w.start >= end:
            continue
        left, right = x(w.start), x(w.end)
        parts.append(
            f'<rect x="{left:.1f}" y="{ROW * lane[key] + 1}" width="{max(right - left, 2):.1f}" '
            f'height="{ROW - 2}" class="window" fill="url(#hatch)">'
            f"<title>{escape(w.row)} · {escape(w.reason)}: "
            f"{w.start:%m-%d %H:%M}–{w.end:%m-%d %H:%M} UTC</title></rect>"
        )
    ordered = sorted(bars, key=lambda b: b.order_number == highlight)  # highlight on top
    colours: dict[str, str] = {}
    placed = [
        (b, of_machine.get(b.machine) or centers.get(work_center_of(b.machine)))
        for b in ordered
        if not (b.end <= start or b.start >= end)
    ]
    crowded = _crowded(placed, set(centers.values()))
    spans: dict[str, list[list[float]]] = {}
    for b, key in placed:
        if key is None:
            continue
        left, right = x(b.start), x(b.end)
        if key in crowded and not (b.late or b.at_risk or b.order_number == highlight):
            _merge(spans.setdefault(key, []), left, right)  # drawn below as busy spans
            continue
        fill = colours.get(b.order_number) or colours.setdefault(
            b.order_number, colour(b.order_number)
        )
        classes = ["bar"]
        if b.late:
            classes.append("late")
        elif b.at_risk:
            classes.append("at-risk")
        if highlight:
            classes.append("path" if b.order_number == highlight else "faded")
        if b.pinned:
            classes.append("pinned")
        y = ROW * lane[key] + 4
        link, tail = _bar_text(b, order_link)
        parts.append(
            f'{link}<rect x="{left:.1f}" y="{y}" width="{max(right - left, 2):.1f}"'
            f' height="{ROW - 8}" rx="2" fill="{fill}" class="{" ".join(classes)}"{tail}'
        )
        if b.pinned:  # a pin's head at the bar's start
            parts.append(f'<circle cx="{left + 4:.1f}" cy="{y + 4}" r="3.5" class="pin-mark"/>')
    for key, runs in spans.items():
        parts.extend(
            f'<rect x="{a:.1f}" y="{ROW * lane[key] + 6}" width="{max(b - a, 2):.1f}" '
            f'height="{ROW - 12}" class="busy" fill="#8795a6"><title>{int(n)} × {escape(busy)}'
            "</title></rect>"
            for a, b, n in runs
        )
    if start <= now <= end:
        nx = x(now)
        parts.append(
            f'<line x1="{nx:.1f}" x2="{nx:.1f}" y1="0" y2="{bottom}" class="now-line" '
            f'stroke="#d0021b" stroke-width="2"><title>{escape(label_now)}</title></line>'
        )
    parts.append(
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fde2e1"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#d0021b" stroke-width="2"/></pattern></defs>'
        "</svg>"
    )
    return Markup("".join(parts))


@lru_cache(maxsize=65_536)
def _bar_text(b: PlannerBar, order_link: str) -> tuple[str, str]:
    """A bar's link and its attributes after the geometry, escaped once per bar: a week's
    window draws 6,000 bars, and escaping them on every view was half the page's time."""
    link = f'<a href="{escape(order_link + b.order_number)}" class="bar-link">'
    tail = (
        f' data-order="{escape(b.order_number)}" data-sequence="{b.sequence}"'
        f' data-machine="{escape(b.machine)}" data-begin="{b.start.isoformat()}">'
        f"<title>{escape(b.title)}</title></rect></a>"
    )
    return link, tail


CROWDED = 60
"""A closed work center's row with more bars than this in the window shows its busy spans
instead (thousands of overlapping bars draw nothing readable and cost the page seconds);
late, at-risk and highlighted bars stay on top, linked."""


def _crowded(placed: Sequence[tuple[PlannerBar, str | None]], summaries: set[str]) -> set[str]:
    counts: dict[str, int] = {}
    for _, key in placed:
        if key in summaries:
            counts[key] = counts.get(key, 0) + 1
    return {k for k, n in counts.items() if n > CROWDED}


def _merge(runs: list[list[float]], left: float, right: float) -> None:
    """Add ``[left, right]`` to a row's spans (bars arrive in start order), joining it to the
    last span when they touch within a pixel; each span counts its bars."""
    if runs and left <= runs[-1][1] + 1:
        runs[-1][1] = max(runs[-1][1], right)
        runs[-1][2] += 1
    else:
        runs.append([left, right, 1])
