"""``openfab lab``: ask/tell by hand, one virtual cell, and a whole campaign on it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from openfab.commands import handled
from openfab.errors import InvalidInput, Problem

lab_app = typer.Typer(
    help="The AI lab: Bayesian optimization of recipes and cell designs.", no_args_is_help=True
)
console = Console(stderr=True)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None


@lab_app.command("suggest")
@handled
def suggest_command(
    study_file: Annotated[Path, typer.Argument(help="Study YAML.", metavar="STUDY.yaml")],
    results_file: Annotated[
        Path, typer.Argument(help="Results so far (CSV).", metavar="RESULTS.csv")
    ],
    n: Annotated[int, typer.Option("-n", "--n", min=1, max=100, help="Designs to suggest.")] = 4,
    seed: Annotated[int, typer.Option(help="Random seed (same inputs, same suggestions).")] = 0,
) -> None:
    """Print the next designs to run as CSV (header: the parameter names)."""
    import torch

    from openfab.lab.experiments import designs_csv, read_results_csv
    from openfab.lab.optimizer import Optimizer
    from openfab.lab.study import load_study

    torch.set_num_threads(1)
    study = load_study(study_file)
    experiments = read_results_csv(study, _read(results_file))
    suggestion = Optimizer(study, seed=seed).suggest(experiments, n)
    console.print(f"[dim]{suggestion.strategy}; {len(experiments)} experiments so far[/]")
    sys.stdout.write(designs_csv(study, suggestion.designs))


@lab_app.command("model")
@handled
def model_command(
    study_file: Annotated[Path, typer.Argument(metavar="STUDY.yaml")],
    results_file: Annotated[Path, typer.Argument(metavar="RESULTS.csv")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Per property: the surrogate, its cross-validated accuracy and which parameters matter."""
    from openfab.lab.experiments import read_results_csv
    from openfab.lab.modelling import property_reports
    from openfab.lab.study import load_study

    study = load_study(study_file)
    reports = property_reports(study, read_results_csv(study, _read(results_file)), seed=seed)
    out = Console()
    for rep in reports:
        table = Table(title=f"{rep.prop}: {rep.kind}, {rep.points} points")
        table.add_column("parameter")
        table.add_column("importance", justify="right")
        for name, share in sorted(rep.importance.items(), key=lambda kv: -kv[1]):
            table.add_row(name, f"{share:.1%}")
        out.print(table)
        if rep.accuracy is not None:
            acc = rep.accuracy
            out.print(
                f"  {acc.folds}-fold CV: R² {acc.r2:.3f}, RMSE {acc.rmse:.4g}, "
                f"90 % interval coverage {acc.coverage90:.0%}"
            )


def _parse_sets(values: list[str]) -> dict[str, float]:
    """``--set pos_thickness=60 ...`` → a design; bad syntax and bad values named together."""
    from openfab.lab.cell import full_design

    design: dict[str, float] = {}
    bad: list[Problem] = []
    for item in values:
        name, sep, raw = item.partition("=")
        try:
            if not sep:
                raise ValueError(item)
            design[name.strip()] = float(raw)
        except ValueError:
            bad.append(Problem(item, "expected NAME=NUMBER"))
    try:
        full_design(design)
    except InvalidInput as exc:
        bad.extend(exc.problems)
    if bad:
        raise InvalidInput("invalid cell design", bad)
    return design


@lab_app.command("cell")
@handled
def cell_command(
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="NAME=VALUE (µm, mol/m³ as listed).")
    ] = None,
    model: Annotated[str, typer.Option(help="DFN | SPMe | SPM")] = "DFN",
    rate: Annotated[float, typer.Option(min=0.1, max=6.0, help="Charge C-rate.")] = 2.0,
    cache: Annotated[Path | None, typer.Option(help="Cache folder for evaluations.")] = None,
) -> None:
    """Evaluate one cell design on the virtual cell (PyBaMM, Chen2020)."""
    from openfab.lab.cell import CELL_VARIABLES, VirtualCell

    if model not in ("DFN", "SPMe", "SPM"):
        raise InvalidInput(f"unknown model {model!r}; use DFN, SPMe or SPM")
    cell = VirtualCell(model=model, charge_rate=rate, cache_dir=cache)  # type: ignore[arg-type]
    result = cell.evaluate(_parse_sets(set_ or []))
    out = Console()
    table = Table(title=f"virtual cell ({model}, {rate:g}C charge)")
    table.add_column("design variable")
    table.add_column("value", justify="right")
    for var in CELL_VARIABLES:
        table.add_row(
            f"{var.name} [{var.unit}]" if var.unit else var.name, f"{result.design[var.name]:g}"
        )
    out.print(table)
    if result.failed:
        console.print(f"[bold red]failed experiment:[/] {result.reason}")
        raise typer.Exit(1)
    measured = Table(title="measured")
    measured.add_column("property")
    measured.add_column("value", justify="right")
    measured.add_row("energy density", f"{result.wh_per_kg:.1f} Wh/kg")
    measured.add_row("volumetric energy", f"{result.wh_per_l:.1f} Wh/L")
    measured.add_row("capacity", f"{result.capacity_ah:.3f} A.h")
    measured.add_row(f"fast-charge acceptance ({rate:g}C)", f"{result.fast_charge_acceptance:.1%}")
    margin = result.plating_margin_v
    style = "green" if margin >= 0 else "red"
    measured.add_row("lithium-plating margin", f"[{style}]{margin * 1000:.1f} mV[/]")
    out.print(measured)


@lab_app.command("demo")
@handled
def demo_command(
    budget: Annotated[int, typer.Option(min=4, max=500, help="Cell evaluations in all.")] = 32,
    batch: Annotated[int, typer.Option(min=1, max=16, help="Designs per round.")] = 4,
    model: Annotated[str, typer.Option(help="DFN | SPMe | SPM")] = "DFN",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    out: Annotated[Path, typer.Option(help="Folder for results.csv and the plots.")] = Path(
        "lab-demo"
    ),
) -> None:
    """Optimize the virtual cell (energy density vs 2C fast charge, plating margin >= 0):
    a progress bar per evaluation, then the Pareto front and plots."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from openfab.lab.campaign import run_campaign

    if model not in ("DFN", "SPMe", "SPM"):
        raise InvalidInput(f"unknown model {model!r}; use DFN, SPMe or SPM")
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("evaluating cell designs", total=budget)
        summary = run_campaign(
            budget=budget,
            batch=batch,
            model=model,  # type: ignore[arg-type]
            seed=seed,
            out=out,
            progress=lambda done, note: bar.update(task, completed=done, description=note),
        )
    table = Table(title=f"Pareto front after {summary.evaluations} virtual experiments")
    for col in (
        "energy density Wh/kg",
        "fast charge (2C)",
        "plating margin mV",
        "pos µm",
        "neg µm",
    ):
        table.add_column(col, justify="right")
    for exp in summary.front:
        r, d = exp.results, exp.design
        table.add_row(
            f"{r['energy_density']:.1f}",
            f"{r['fast_charge']:.1%}",
            f"{r['plating_margin'] * 1000:.1f}",
            f"{float(d['pos_thickness']):.0f}",
            f"{float(d['neg_thickness']):.0f}",
        )
    Console().print(table)
    Console().print(
        f"{summary.failed} failed runs, {summary.infeasible} broke the plating margin; "
        f"hypervolume {summary.hypervolume:.3f}; files in {out}/: "
        + ", ".join(p.name for p in summary.files)
    )
