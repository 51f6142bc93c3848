"""A customer's plan chart: one order's operations, machines by their names, over the
order's own time window (the plant's clock is drawn only when it falls inside it).

The plant chart's drawing (:func:`~openfab.web.charts.gantt_svg`) is reused; what differs
is what a customer should read: "Sheet-metal press line 3", not ``sheet_metal_press-3``,
and a window from the first operation to the last, not from "now" to a far plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from markupsafe import Markup

from openfab.identity.actor import Actor
from openfab.planning.gantt import Bar
from openfab.planning.schemas import GanttBar
from openfab.platform import Platform
from openfab.store.types import utcnow
from openfab.web.charts import gantt_svg


def machine_name(machine: str, centers: Mapping[str, str], text: Callable[[str], str]) -> str:
    """``sheet_metal_press-3`` → ``Sheet-metal press line 3`` (translated); a machine of an
    unknown work center keeps its code."""
    center, sep, number = machine.rpartition("-")
    if sep and center in centers:
        return f"{text(centers[center])} {number}"
    return machine


def order_window(bars: list[Bar], now: datetime) -> datetime | None:
    """``now`` when it lies within the order's operations (padded a tenth of their span
    each side), else ``None``: a clock far off must not stretch the chart to a year."""
    if not bars:
        return None
    first, last = min(b.start for b in bars), max(b.end for b in bars)
    pad = max((last - first) / 10, timedelta(minutes=30))
    return now if first - pad <= now <= last + pad else None


def order_chart(
    platform: Platform,
    actor: Actor,
    order_number: str,
    *,
    title: str,
    text: Callable[[str], str] = str,
    label_now: str = "now",
) -> Markup:
    plan = platform.planning.gantt(actor, by="order")
    planned: list[GanttBar] = [b for row in plan.rows if row.key == order_number for b in row.bars]
    if not planned:
        return Markup("")
    centers = {c.code: c.name for c in platform.catalog.reference().work_centers.values()}
    bars = []
    for b in sorted(planned, key=lambda b: b.start_at):
        name = machine_name(b.machine, centers, text)
        span = f"{b.start_at:%m-%d %H:%M}–{b.end_at:%m-%d %H:%M} UTC"
        bars.append(Bar(name, b.start_at, b.end_at, order_number, order_number, f"{name}: {span}"))
    rows = list(dict.fromkeys(b.row for b in bars))  # the routing's order
    now = order_window(bars, utcnow())
    return gantt_svg(bars, rows=rows, now=now, title=title, label_now=label_now)
