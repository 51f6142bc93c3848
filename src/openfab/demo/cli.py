"""The ``openfab demo`` command's body: progress bar, KPI tables, the HTML report."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from openfab.demo.brands import BRANDS, DEMO_PASSWORD, PLANT_STAFF
from openfab.demo.field import FieldSummary, after_shipping
from openfab.demo.kpis import compare_seeds
from openfab.demo.report import (
    LABELS,
    comparison_cells,
    fmt,
    lost_hours,
    phase_seconds,
    write_comparison,
    write_report,
)
from openfab.demo.run import PARTS, DemoConfig, DemoResult, Part, arm_name, run_demo
from openfab.identity.actor import PLANT
from openfab.platform import Platform

HEADLINE = (
    "order_to_ship_median_h",
    "order_to_ship_p95_h",
    "on_time_delivery",
    "orders_shipped",
    "setup_hours",
    "energy_per_good_unit_kwh",
    "energy_per_defect_free_unit_kwh",
    "average_inventory_value",
    "material_shortages",
    "unplanned_downtime_h",
)
"""The KPIs of the per-part table (each part's share of the gain)."""


def run_with_progress(
    console: Console, platform: Platform, config: DemoConfig, label: str
) -> DemoResult:
    columns = (
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        TextColumn("day {task.completed:.1f} of {task.total:g}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(label, total=config.days)
        return run_demo(platform, config, progress=lambda d: bar.update(task, completed=d))


def kpi_table(result: DemoResult) -> Table:
    cfg = result.config
    table = Table(title=f"OpenFab demo — {cfg.days:g} simulated days, {cfg.plant} plant")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in result.kpis.as_dict().items():
        table.add_row(LABELS[name], fmt(name, value))
    table.add_row("events from the twin", f"{result.events:,}")
    table.add_row(
        "telemetry readings (stored)", f"{result.telemetry:,} ({result.telemetry_written:,})"
    )
    table.add_row("planner runs", f"{result.plans} ({result.plan_seconds:.0f} s solving)")
    table.add_row("machine breakdowns", str(result.downtimes))
    table.add_row("shop-floor messages refused", str(result.refused))
    audit = "[green]verified intact[/]" if result.audit_ok else "[red]BROKEN[/]"
    table.add_row("audit chain", f"{result.audit_events:,} events, {audit}")
    table.add_row("serials to trace", ", ".join(result.serials[:3]))
    table.add_row("simulated", f"{cfg.start:%Y-%m-%d %H:%M} – {cfg.end:%Y-%m-%d %H:%M} UTC")
    table.add_row("wall time", f"{result.wall_seconds:.0f} s")
    for phase, seconds in sorted(result.timings.items(), key=lambda kv: -kv[1]):
        table.add_row(f"  {phase}", f"{seconds:.0f} s")
    return table


def field_table(field: FieldSummary) -> Table:
    """After shipping: passports, the packs' first field reports, returns recycled."""
    table = Table(title="After shipping: passports, field reports, end of life")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row(
        "units shipped / passports issued", f"{field.shipped:,} / {field.passports_issued:,}"
    )
    table.add_row("battery passports checked / complete", f"{field.checked} / {field.complete}")
    for problem in field.incomplete[:3]:
        table.add_row("  incomplete", problem)
    if field.example:
        table.add_row("example passport", f"openfab passport show {field.example}")
    table.add_row("field reports applied / refused", f"{field.reports:,} / {field.reports_refused}")
    if field.soh:
        mean = sum(s for s, _, _ in field.soh) / len(field.soh)
        width = sum(h - lo for _, lo, h in field.soh) / len(field.soh)
        table.add_row(
            "state of health, packs reporting", f"{mean:.1%} (90 % interval ±{width / 2:.1%})"
        )
    if field.returned:
        table.add_row("packs returned and recycled", str(len(field.returned)))
        for element, rates in sorted(field.recovery.items()):
            table.add_row(f"  {element} recovered", f"{sum(rates) / len(rates):.0%}")
        overall = sum(field.overall_recovery) / len(field.overall_recovery)
        table.add_row("  key metals overall (target 95 %)", f"{overall:.1%}")
        table.add_row("  lots back in stock", ", ".join(sorted(set(field.lots))[:3]))
    return table


def compare_table(baseline: Sequence[DemoResult], openfab: Sequence[DemoResult]) -> Table:
    """Each KPI: both arms' means over seeds, the change, and its spread over seeds."""
    seeds = len(baseline)
    table = Table(
        title=f"OpenFab vs a non-AI baseline (FIFO dispatch, fixed quoted lead times, "
        f"reorder points, machines left idling): same orders and machine fates, "
        f"mean of {seeds} seed{'s' if seeds > 1 else ''}"
    )
    for column in ("measure", "baseline", "OpenFab", "change", "spread over seeds"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for label, before, [(after, change, spread)] in comparison_cells(
        {"baseline": baseline, "openfab": openfab}
    ):
        table.add_row(label, before, after, change, f"{spread} %" if spread else "")
    for arm, results in (("baseline", baseline), ("OpenFab", openfab)):
        table.add_row(f"operation-hours lost ({arm})", lost_hours(results), "", "", "")
    return table


def parts_table(runs: dict[str, list[DemoResult]]) -> Table:
    """Change against the baseline of each arm that switches one part on, and of OpenFab."""
    table = Table(title="Each part's share: change against the baseline (mean over seeds)")
    table.add_column("measure")
    arms = [a for a in runs if a != "baseline"]
    for arm in arms:
        table.add_column(arm, justify="right")
    base = [r.kpis for r in runs["baseline"]]
    changes = {arm: compare_seeds(base, [r.kpis for r in runs[arm]]) for arm in arms}
    for name in HEADLINE:
        cells = [changes[arm][name].change for arm in arms]
        table.add_row(LABELS[name], *("–" if c is None else f"{c:+.1f} %" for c in cells))
    return table


def speed_table(runs: dict[str, list[DemoResult]]) -> Table:
    """Wall seconds by phase, per arm (mean over seeds)."""
    table = Table(title="Wall time by phase (s, mean over seeds)")
    table.add_column("phase")
    for arm in runs:
        table.add_column(arm, justify="right")
    for phase, seconds in phase_seconds(runs):
        label = "[bold]wall" if phase == "wall" else phase
        table.add_row(label, *(f"{s:.0f}" for s in seconds))
    return table


def sign_in(console: Console) -> None:
    """Who to sign in as in ``openfab serve`` after the demo."""
    brand = BRANDS[0][0]
    staff = [f"{handle}@{PLANT}.example.com" for handle, _ in PLANT_STAFF]
    console.print(
        "Run [bold]openfab serve[/] and sign in at http://127.0.0.1:8000 "
        f"(password [bold]{DEMO_PASSWORD}[/]) as the plant's planner "
        f"[bold]{staff[0]}[/] (also {', '.join(staff[1:])}), a brand's admin "
        f"[bold]admin@{brand}.example.com[/] or its customer customer1@{brand}.example.com."
    )


def demo(
    console: Console,
    open_platform: Callable[[str | None], Platform],
    *,
    db: str | None,
    config: DemoConfig,
    report: Path,
    compare_runs: bool,
    seeds: int = 1,
    each_part: bool = False,
) -> None:
    """One run on ``db``, ending now; or, with ``compare_runs``, the baseline and OpenFab
    (and with ``each_part`` one arm per part) on ``seeds`` seeds, each run on a fresh SQLite
    database so every arm starts from the same empty plant at the same moment."""
    config = config.ends_now()
    if not compare_runs:
        platform = open_platform(db)
        try:
            result = run_with_progress(console, platform, config, "simulating")
            with console.status("passports, field reports and returns"):
                field = after_shipping(
                    platform, now=config.start + timedelta(days=config.days), seed=config.seed
                )
        finally:
            platform.close()
        console.print(kpi_table(result))
        console.print(field_table(field))
        console.print(f"report: {write_report(result, report)}")
        sign_in(console)
        return
    arms: list[frozenset[Part]] = [frozenset()]
    arms += [frozenset({p}) for p in PARTS] if each_part else []
    arms.append(frozenset(PARTS))
    runs: dict[str, list[DemoResult]] = {arm_name(a): [] for a in arms}
    with tempfile.TemporaryDirectory(prefix="openfab-demo-") as folder:
        for seed in range(config.seed, config.seed + seeds):
            for ai in arms:
                name = arm_name(ai)
                platform = open_platform(f"sqlite:///{folder}/{name}-{seed}.db")
                try:
                    run = replace(config, ai=ai, seed=seed)
                    runs[name].append(run_with_progress(console, platform, run, f"{name} {seed}"))
                finally:
                    platform.close()
    console.print(compare_table(runs["baseline"], runs["openfab"]))
    if each_part:
        console.print(parts_table(runs))
    console.print(speed_table(runs))
    console.print(f"report: {write_comparison(runs, report)}")
