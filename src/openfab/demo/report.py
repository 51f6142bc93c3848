"""The demo's HTML reports (matplotlib charts inlined as SVG): one run's KPI table, orders and
shipments per day, OEE per work center, energy against solar and a Gantt excerpt; and the
comparison's: KPIs of every arm over seeds, lead-time distributions, Gantt excerpts of both
arms, energy against solar by hour of the day, and where each arm lost time."""

from __future__ import annotations

import html
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from openfab.demo.kpis import HOUR, Kpis, compare_seeds, mean_by_key
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
    "energy_per_good_unit_kwh": "energy per good unit (kWh)",
    "solar_share": "solar share",
    "promised_days_mean": "promised lead time, mean (days)",
    "express_to_ship_median_h": "express order-to-ship, median (h)",
    "setup_hours": "setup hours",
    "purchase_orders": "purchase orders",
    "average_inventory_value": "inventory value on hand, average",
    "material_shortages": "material shortages",
    "material_blocked_hours": "hours blocked for material",
    "defects_made_per_1000": "units made defective per 1,000",
    "escaped_defects_per_1000": "defects escaped per 1,000 units",
    "false_rejects_per_1000": "good units rejected per 1,000",
    "machine_breakdowns": "machine breakdowns",
    "maintenance_stops": "maintenance stops (all causes)",
    "unplanned_downtime_h": "unplanned downtime (machine-hours)",
    "energy_per_defect_free_unit_kwh": "energy per defect-free unit shipped (kWh)",
    "to_ship_before_floor_h": "order-to-ship, mean: ordered to first start (h)",
    "to_ship_working_h": "order-to-ship, mean: on a machine (h)",
    "to_ship_between_steps_h": "order-to-ship, mean: between steps (h)",
    "to_ship_after_floor_h": "order-to-ship, mean: finished to shipped (h)",
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
<p>{cfg.orders_per_day:g} orders a day from three brands' customers, arm: {cfg.arm},
{cfg.plant} plant, seed {cfg.seed}, telemetry over {cfg.bus},
{cfg.start:%Y-%m-%d %H:%M} to {cfg.end:%Y-%m-%d %H:%M} UTC.</p>
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


def lead_time_chart(runs: Mapping[str, Sequence[DemoResult]]) -> str:
    """Order-to-ship hours of every shipped order, all seeds, one histogram per arm."""
    fig, ax = plt.subplots(figsize=(8, 3.2))
    hours = {
        arm: [
            (o.shipped - o.placed).total_seconds() / HOUR
            for r in results
            for o in r.outcomes
            if o.shipped
        ]
        for arm, results in runs.items()
    }
    top = max((max(h) for h in hours.values() if h), default=1.0)
    bins = [top * i / 40 for i in range(41)]
    for arm, values in hours.items():
        ax.hist(values, bins=bins, histtype="step", lw=1.4, label=arm, density=True)
    ax.set_xlabel("order-to-ship (h)")
    ax.set_ylabel("share of orders")
    ax.legend()
    return _svg(fig)


def solar_chart(runs: Mapping[str, Sequence[DemoResult]]) -> str:
    """Mean plant power and solar power by hour of the day, per arm (all seeds)."""
    fig, ax = plt.subplots(figsize=(8, 3.2))
    for k, (arm, results) in enumerate(runs.items()):
        plant, solar = _by_hour(results)
        ax.plot(range(24), plant, color=f"C{k}", label=f"{arm}: plant kWh")
        ax.plot(range(24), solar, color=f"C{k}", ls="--", label=f"{arm}: of it solar")
    ax.set_xlabel("hour of the day (UTC)")
    ax.set_ylabel("kWh per energy period")
    ax.legend(fontsize=7)
    return _svg(fig)


def _by_hour(results: Sequence[DemoResult]) -> tuple[list[float], list[float]]:
    plant, solar, count = [0.0] * 24, [0.0] * 24, [0] * 24
    for result in results:
        for moment, consumed, of_solar in result.energy:
            plant[moment.hour] += consumed
            solar[moment.hour] += of_solar
            count[moment.hour] += 1
    return (
        [p / c if c else 0.0 for p, c in zip(plant, count, strict=True)],
        [s / c if c else 0.0 for s, c in zip(solar, count, strict=True)],
    )


def lost_time_chart(runs: Mapping[str, Sequence[DemoResult]]) -> str:
    """Operation-hours lost by cause, per arm (mean over seeds)."""
    causes = sorted({c for rs in runs.values() for r in rs for c in r.lost_hours})
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(causes) + 1.2))
    height = 0.8 / max(1, len(runs))
    for k, (arm, results) in enumerate(runs.items()):
        mean = mean_by_key([r.lost_hours for r in results])
        means = [mean.get(c, 0.0) for c in causes]
        ax.barh([i + k * height for i in range(len(causes))], means, height=height, label=arm)
    ax.set_yticks([i + 0.4 - height / 2 for i in range(len(causes))], causes)
    ax.set_xlabel("operation-hours")
    ax.legend()
    return _svg(fig)


Cell = tuple[str, str, str]
"""An arm's KPI as shown: its value, the change against the baseline, the spread over seeds."""


def comparison_cells(
    runs: Mapping[str, Sequence[DemoResult]],
) -> list[tuple[str, str, list[Cell]]]:
    """Per KPI: its label, the baseline's mean over seeds and each other arm's cell (in the
    order of ``runs``), formatted once for the terminal, the HTML report and the benchmark."""
    arms = [a for a in runs if a != "baseline"]
    base = [r.kpis for r in runs["baseline"]]
    rows = {a: compare_seeds(base, [r.kpis for r in runs[a]]) for a in arms}
    out = []
    for name in base[0].as_dict():
        cells = []
        for a in arms:
            row = rows[a][name]
            change = "–" if row.change is None else f"{row.change:+.1f} %"
            several = len(base) > 1 and row.low is not None and row.high is not None
            spread = f"{row.low:+.1f} … {row.high:+.1f}" if several else ""
            cells.append((fmt(name, row.arm), change, spread))
        out.append((LABELS[name], fmt(name, rows[arms[0]][name].baseline), cells))
    return out


def lost_hours(results: Sequence[DemoResult]) -> str:
    """Operation-hours lost by cause, mean over seeds, largest first."""
    lost = mean_by_key([r.lost_hours for r in results])
    return ", ".join(f"{cause} {hours:,.0f}" for cause, hours in lost.items())


def phase_seconds(runs: Mapping[str, Sequence[DemoResult]]) -> list[tuple[str, list[float]]]:
    """Wall seconds per phase, one mean over seeds per arm, then the whole run's ("wall")."""
    means = {arm: mean_by_key([r.timings for r in rs]) for arm, rs in runs.items()}
    phases = sorted({p for m in means.values() for p in m})
    rows = [(phase, [means[arm].get(phase, 0.0) for arm in runs]) for phase in phases]
    walls = [sum(r.wall_seconds for r in rs) / len(rs) for rs in runs.values()]
    return [*rows, ("wall", walls)]


def comparison_rows(runs: Mapping[str, Sequence[DemoResult]]) -> str:
    arms = [a for a in runs if a != "baseline"]
    head = "<tr><th>measure</th><th>baseline</th>" + "".join(
        f"<th>{html.escape(a)}</th><th>change (spread over seeds)</th>" for a in arms
    )
    body = []
    for label, baseline, cells in comparison_cells(runs):
        tds = [f"<td>{html.escape(label)}</td>", f"<td>{baseline}</td>"]
        for value, change, spread in cells:
            tds += [f"<td>{value}</td>", f"<td>{change}{f' ({spread})' if spread else ''}</td>"]
        body.append("<tr>" + "".join(tds) + "</tr>")
    return head + "</tr>" + "".join(body)


def render_comparison(runs: Mapping[str, Sequence[DemoResult]]) -> str:
    first = runs["openfab"][0]
    cfg = first.config
    seeds = ", ".join(str(r.config.seed) for r in runs["openfab"])
    both = {"baseline": runs["baseline"], "openfab": runs["openfab"]}
    gantts = "".join(
        f"<h3>{html.escape(arm)}</h3>{gantt_chart(rs[0].spans, rs[0].config.start)}"
        for arm, rs in both.items()
    )
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>OpenFab vs the baseline</title>
<style>body{{font-family:sans-serif;max-width:70rem;margin:2rem auto}}
td,th{{padding:2px 10px;text-align:right}} td:first-child{{text-align:left}}
tr:nth-child(even){{background:#f3f3f3}}</style></head><body>
<h1>OpenFab vs a non-AI baseline — {cfg.days:g} simulated days, {cfg.plant} plant</h1>
<p>{cfg.orders_per_day:g} orders a day, seeds {seeds}; each arm saw the same orders and the
same machine fates. Baseline: first come first served onto the earliest free machine, fixed
quoted lead times, reorder points, machines left idling.</p>
<h2>Key figures (mean over seeds)</h2><table>{comparison_rows(runs)}</table>
<h2>Order-to-ship distribution</h2>{lead_time_chart(both)}
<h2>Where each arm lost time</h2>{lost_time_chart(both)}
<h2>Energy against solar by hour of the day</h2>{solar_chart(both)}
<h2>Gantt excerpts (as built, first seed)</h2>{gantts}
</body></html>
"""


def write_comparison(runs: Mapping[str, Sequence[DemoResult]], path: Path) -> Path:
    path.write_text(render_comparison(runs), encoding="utf-8")
    return path
