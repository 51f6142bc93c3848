"""The demo's HTML report: the KPI table and charts (matplotlib, inlined as SVG) of orders
and shipments per day, OEE per work center, energy against solar, and a Gantt excerpt."""

from __future__ import annotations

import html
import io
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from openfab.demo.kpis import Kpis
from openfab.demo.run import DemoResult, OperationSpan

GANTT_MACHINES = 24
GANTT_HOURS = 24
LABELS = {
    "orders": "orders placed",
    "orders_shipped": "orders shipped",
    "units_started": "units started",
    "units_good": "units good",
    "units_scrapped": "units scrapped",
    "order_to_ship_median_h": "order-to-ship, median (h)",
    "order_to_ship_p95_h": "order-to-ship, p95 (h)",
    "on_time_delivery": "on-time delivery",
    "oee": "OEE (plant)",
    "first_pass_yield": "first-pass yield",
    "energy_kwh": "energy (kWh)",
    "energy_per_unit_kwh": "energy per unit (kWh)",
    "solar_share": "solar share",
    "purchase_orders": "purchase orders",
    "average_inventory_value": "inventory value on hand, average",
    "material_shortages": "material shortages",
    "material_blocked_hours": "hours blocked for material",
}
PERCENT = frozenset({"on_time_delivery", "oee", "first_pass_yield", "solar_share"})


def fmt(name: str, value: float | None) -> str:
    """A KPI as people read it: ratios in percent, counts whole, the rest to one decimal."""
    if value is None:
        return "–"
    if name in PERCENT:
        return f"{value * 100:.1f} %"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.1f}"


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def orders_chart(result: DemoResult) -> str:
    start = result.config.start
    days = max(1, int(-(-result.config.days // 1)))
    placed = Counter((o.placed - start).days for o in result.outcomes)
    shipped = Counter((o.shipped - start).days for o in result.outcomes if o.shipped)
    fig, ax = plt.subplots(figsize=(7, 3))
    x = list(range(days))
    ax.bar([i - 0.2 for i in x], [placed[i] for i in x], width=0.4, label="placed")
    ax.bar([i + 0.2 for i in x], [shipped[i] for i in x], width=0.4, label="shipped")
    ax.set_xlabel("day")
    ax.set_ylabel("orders")
    ax.legend()
    return _svg(fig)


def oee_chart(result: DemoResult) -> str:
    centers = list(result.oee_by_center)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.barh(centers, [result.oee_by_center[c] * 100 for c in centers])
    ax.set_xlabel("OEE (%)")
    return _svg(fig)


def energy_chart(result: DemoResult) -> str:
    fig, ax = plt.subplots(figsize=(7, 3))
    if result.energy:
        hours = [(t - result.config.start).total_seconds() / 3600 for t, _, _ in result.energy]
        ax.plot(hours, [c for _, c, _ in result.energy], label="plant kWh", lw=0.8)
        ax.fill_between(hours, [s for _, _, s in result.energy], label="of it solar", alpha=0.5)
        ax.legend()
    ax.set_ylabel("kWh per period")
    ax.set_xlabel("hours from the start")
    return _svg(fig)


def gantt_chart(spans: Sequence[OperationSpan], start: datetime) -> str:
    """The busiest machines over one day in the middle of the run."""
    if not spans:
        return "<p>No operation ran.</p>"
    middle = min(s.start for s in spans) + (max(s.end for s in spans) - start) / 2
    window = (middle - timedelta(hours=GANTT_HOURS / 2), middle + timedelta(hours=GANTT_HOURS / 2))
    chosen = [s for s in spans if s.end > window[0] and s.start < window[1]]
    busiest = [m for m, _ in Counter(s.machine for s in chosen).most_common(GANTT_MACHINES)]
    rows = sorted(busiest)
    products = sorted({s.product for s in chosen})
    colors = {p: f"C{i % 10}" for i, p in enumerate(products)}
    fig, ax = plt.subplots(figsize=(9, 0.3 * len(rows) + 1))
    for s in chosen:
        if s.machine in rows:
            left = (max(s.start, window[0]) - window[0]).total_seconds() / 3600
            width = (min(s.end, window[1]) - max(s.start, window[0])).total_seconds() / 3600
            ax.barh(rows.index(s.machine), width, left=left, color=colors[s.product], height=0.8)
    ax.set_yticks(range(len(rows)), rows, fontsize=7)
    ax.set_xlabel(f"hours from {window[0]:%Y-%m-%d %H:%M} UTC")
    handles = [Rectangle((0, 0), 1, 1, color=colors[p]) for p in products]
    ax.legend(handles, products, fontsize=7, loc="upper right")
    return _svg(fig)


def kpi_rows(kpis: Kpis) -> str:
    return "".join(
        f"<tr><td>{html.escape(LABELS[k])}</td><td>{fmt(k, v)}</td></tr>"
        for k, v in kpis.as_dict().items()
    )


def render(result: DemoResult) -> str:
    cfg = result.config
    counts = {
        "events from the twin": f"{result.events:,}",
        "telemetry readings (written)": f"{result.telemetry:,} ({result.telemetry_written:,})",
        "planner runs": f"{result.plans} ({result.plan_seconds:.0f} s solving)",
        "machine breakdowns": str(result.downtimes),
        "shop-floor messages refused": str(result.refused),
        "audit chain": f"{result.audit_events:,} events, {_intact(result.audit_ok)}",
        "wall time": f"{result.wall_seconds:.0f} s",
    }
    for phase, seconds in sorted(result.timings.items(), key=lambda kv: -kv[1]):
        counts[f"&nbsp;&nbsp;{html.escape(phase)}"] = f"{seconds:.0f} s"
    extra = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in counts.items())
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>OpenFab demo report</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto}}
td{{padding:2px 12px}} tr:nth-child(even){{background:#f3f3f3}}</style></head><body>
<h1>OpenFab demo — {cfg.days:g} simulated days</h1>
<p>{cfg.orders_per_day:g} orders a day from three brands' customers, planner: {cfg.planner},
seed {cfg.seed}, telemetry over {cfg.bus}, starting {cfg.start:%Y-%m-%d}.</p>
<h2>Key figures</h2><table>{kpi_rows(result.kpis)}{extra}</table>
<h2>Orders and shipments per day</h2>{orders_chart(result)}
<h2>OEE per work center</h2>{oee_chart(result)}
<h2>Energy and solar</h2>{energy_chart(result)}
<h2>Gantt excerpt (as built)</h2>{gantt_chart(result.spans, cfg.start)}
<p>Serials to trace: {", ".join(html.escape(s) for s in result.serials)}
(<code>openfab trace SERIAL</code>).</p>
</body></html>
"""


def _intact(ok: bool) -> str:
    return "verified intact" if ok else "BROKEN"


def write_report(result: DemoResult, path: Path) -> Path:
    path.write_text(render(result), encoding="utf-8")
    return path
