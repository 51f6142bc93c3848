"""``openfab trace SERIAL``: a unit's full genealogy as a tree."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.tree import Tree

from openfab.execution.schemas import Genealogy, GenealogyStep

console = Console()


def genealogy_tree(genealogy: Genealogy) -> Tree:
    """Unit → operations → machine, parameters, lots and tests, in production order."""
    unit = genealogy.unit
    flags = [] if unit.first_pass else ["[yellow]not first-pass[/]"]
    if unit.scrapped_at_sequence is not None:
        flags.append(f"[red]scrapped at {unit.scrapped_at_sequence}: {unit.scrap_reason}[/]")
    root = Tree(
        f"[bold]{unit.serial}[/] {unit.product_code} — {unit.status} "
        f"(order {genealogy.order_number}, work order {genealogy.work_order}) " + " ".join(flags)
    )
    for step in genealogy.steps:
        _step(root.add(_step_label(step)), step)
    return root


def _step_label(step: GenealogyStep) -> str:
    when = (
        f"{step.started_at:%Y-%m-%d %H:%M} → {step.finished_at:%H:%M}"
        if step.started_at and step.finished_at
        else "running"
    )
    outcome = ", ".join(step.outcomes) or "in process"
    return (
        f"[bold]{step.sequence}[/] {step.name} on [cyan]{step.machine}[/] "
        f"({when}, shift {step.shift}) — {outcome}"
    )


def _step(node: Tree, step: GenealogyStep) -> None:
    if step.parameters:
        params = ", ".join(f"{k}={v}" for k, v in sorted(step.parameters.items()))
        node.add(f"parameters: {params}")
    if step.measurements:
        values = ", ".join(f"{k}={v}" for k, v in sorted(step.measurements.items()))
        node.add(f"measurements: {values}")
    for reason in step.reasons:
        node.add(f"[yellow]note:[/] {reason}")
    for lot in step.materials:
        node.add(f"lot [green]{lot.lot}[/] of {lot.material}: {lot.quantity:g} {lot.unit}")
    for test in step.inspections:
        verdict = "[green]pass[/]" if test.passed else "[red]fail[/]"
        limits = _limits(test.low, test.high)
        node.add(f"test {test.characteristic} = {test.value}{limits}: {verdict}")


def _limits(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f" in [{low:g}, {high:g}]"
    if high is not None:
        return f" ≤ {high:g}"
    return f" ≥ {low:g}" if low is not None else ""


def trace(
    serial: Annotated[str, typer.Argument(help="Serial number, e.g. NC-FR-000123.")],
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL (default: $OPENFAB_DATABASE_URL or openfab.db)."),
    ] = None,
    tenant: Annotated[
        str | None, typer.Option("--tenant", help="The tenant, when a serial is ambiguous.")
    ] = None,
) -> None:
    """Print a unit's full genealogy: operations, machines, lots, parameters, shift, tests."""
    from openfab.platform import Platform

    platform = Platform.open(db)
    try:
        genealogy = platform.execution.trace(serial, tenant_id=tenant)
    finally:
        platform.close()
    console.print(genealogy_tree(genealogy))
