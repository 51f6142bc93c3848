"""The ``openfab demo`` command's body: progress bar, KPI tables, the HTML report."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from openfab.demo.kpis import compare
from openfab.demo.report import LABELS, fmt, write_report
from openfab.demo.run import DemoConfig, DemoResult, run_demo
from openfab.platform import Platform


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
    table = Table(title=f"OpenFab demo — {result.config.days:g} simulated days")
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
    table.add_row("wall time", f"{result.wall_seconds:.0f} s")
    for phase, seconds in sorted(result.timings.items(), key=lambda kv: -kv[1]):
        table.add_row(f"  {phase}", f"{seconds:.0f} s")
    return table


def compare_table(baseline: DemoResult, openfab: DemoResult) -> Table:
    table = Table(
        title="OpenFab vs a non-AI baseline (FIFO dispatch, reorder-point purchasing), "
        "same orders, same seeds"
    )
    for column in ("measure", "baseline", "OpenFab", "change"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    changes = compare(baseline.kpis, openfab.kpis)
    before, after = baseline.kpis.as_dict(), openfab.kpis.as_dict()
    for name in before:
        change = changes[name]
        shown = "–" if change is None else f"{change:+.1f} %"
        table.add_row(LABELS[name], fmt(name, before[name]), fmt(name, after[name]), shown)
    return table


def demo(
    console: Console,
    open_platform: Callable[[str | None], Platform],
    *,
    db: str | None,
    config: DemoConfig,
    report: Path,
    compare_runs: bool,
) -> None:
    """One run (or, with ``compare_runs``, the baseline and OpenFab, each on a fresh SQLite
    database so both start from the same empty plant)."""
    if not compare_runs:
        platform = open_platform(db)
        try:
            result = run_with_progress(console, platform, config, "simulating")
        finally:
            platform.close()
        console.print(kpi_table(result))
        console.print(f"report: {write_report(result, report)}")
        return
    results = {}
    with tempfile.TemporaryDirectory(prefix="openfab-demo-") as folder:
        for planner in ("fifo", "openfab"):
            platform = open_platform(f"sqlite:///{folder}/{planner}.db")
            try:
                run = replace(config, planner=planner)
                results[planner] = run_with_progress(console, platform, run, planner)
            finally:
                platform.close()
    console.print(compare_table(results["fifo"], results["openfab"]))
    console.print(f"report: {write_report(results['openfab'], report)}")
