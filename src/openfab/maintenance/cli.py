"""``openfab rul``: train a remaining-useful-life model on run-to-failure units (C-MAPSS CSV
layout) and predict the RUL, with a 90 % interval, at the last cycle of each test unit."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from openfab.commands import handled
from openfab.errors import InvalidInput

rul_app = typer.Typer(
    help="Remaining useful life from run-to-failure histories (C-MAPSS CSV layout).",
    no_args_is_help=True,
)
console = Console(stderr=True)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not a text file"
        raise InvalidInput(f"cannot read {path}: {reason}") from None


@rul_app.command("train")
@handled
def train_command(
    train_file: Annotated[
        Path, typer.Argument(help="Full lives: last cycle = failure.", metavar="TRAIN.csv")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Model file to write.")],
    method: Annotated[
        str, typer.Option(help="gbm, similarity, ensemble, mean_life or linear.")
    ] = "gbm",
    cap: Annotated[float, typer.Option(help="RUL cap in cycles (piecewise-linear target).")] = 125,
    seed: Annotated[int, typer.Option(help="Random seed (calibration split, boosting).")] = 0,
) -> None:
    """Learn from full lives; write a versioned model file."""
    from openfab.maintenance.cmapss import read_cmapss
    from openfab.maintenance.rul import RulModel, RulOptions

    fleet = read_cmapss(_read(train_file), source=str(train_file))
    options = RulOptions(method=method, cap=cap, seed=seed)  # type: ignore[arg-type]
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("reading", total=None)
        model = RulModel(options).fit(
            fleet, progress=lambda stage: bar.update(task, description=stage)
        )
    model.save(output)
    found = {k: v for k, v in model.cleaning.as_dict().items() if v and k != "rows"}
    console.print(f"[green]trained[/] {method} on {len(fleet)} units -> {output}")
    if found:
        console.print("[dim]cleaned: " + ", ".join(f"{k} {v}" for k, v in found.items()) + "[/]")


@rul_app.command("predict")
@handled
def predict_command(
    model_file: Annotated[Path, typer.Argument(metavar="MODEL")],
    test_file: Annotated[Path, typer.Argument(help="Lives cut short.", metavar="TEST.csv")],
) -> None:
    """Print ``unit,rul,lower,upper`` (a 90 % interval) for the last cycle of each unit."""
    from openfab.maintenance.cmapss import read_cmapss
    from openfab.maintenance.rul import RulModel

    model = RulModel.load(model_file)
    fleet = read_cmapss(_read(test_file), min_cycles=1, source=str(test_file))
    lines = ["unit,rul,lower,upper"]
    for p in model.predict(fleet):
        lines.append(f"{p.unit},{p.rul:.1f},{p.lower:.1f},{p.upper:.1f}")
    sys.stdout.write("\n".join(lines) + "\n")
