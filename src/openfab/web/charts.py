"""Server-drawn SVG charts for the pages.

The Gantt chart reuses the planner's :class:`~openfab.planning.gantt.Bar` and its order
colours, and adds what a live page needs: every machine as a row (idle ones too), shaded
maintenance and breakdown windows, a now-line, a time axis, and a viewBox so the chart
scales to the screen (a tablet scrolls it sideways).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape as _escape

from markupsafe import Markup

from openfab.identity.actor import Actor
from openfab.planning.gantt import Bar, colour
from openfab.planning.schemas import GanttPublic
from openfab.platform import Platform
from openfab.store.types import utcnow

ROW, LABEL, WIDTH, AXIS = 26, 170, 1100, 28
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


def escape(text: str) -> str:
    """Escaped for XML, control characters dropped (XML 1.0 forbids them)."""
    return _escape(text.translate(_CONTROL))


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
