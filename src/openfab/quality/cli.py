"""``openfab inspect install``: make a trained model the plant's inline inspector; and
``openfab quality causes``: the likely causes of recent defects, as the API gives them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from openfab.commands import DbOption, handled
from openfab.errors import InvalidInput, Problem
from openfab.identity.actor import Actor
from openfab.quality.inspect_cli import inspect_app

quality_app = typer.Typer(help="Quality: root causes of recent defects.", no_args_is_help=True)
console = Console()
ACTOR = Actor.system("cli")


def _platform(db: str | None) -> Any:
    from openfab.platform import Platform

    return Platform.open(db)


@inspect_app.command("install")
@handled
def install(
    model: Annotated[Path, typer.Argument(help="A model file from `openfab inspect train`.")],
    name: Annotated[str, typer.Option(help="What the plant calls this model.")] = "",
    product: Annotated[
        str, typer.Option(help="The product it inspects (default: every product).")
    ] = "",
    db: DbOption = None,
) -> None:
    """Install MODEL as the active inline inspector (for PRODUCT, or for every product)."""
    if not model.is_file():
        raise InvalidInput(f"no model file {model}", [Problem(str(model), "no such file")])
    platform = _platform(db)
    try:
        done = platform.quality.install_model(
            ACTOR, model.read_bytes(), name=name or model.stem, product=product
        )
    finally:
        platform.close()
    console.print(
        f"Installed {done.name} for {done.product or 'every product'} "
        f"(limit {done.threshold:.3g}, trained on {done.trained_on} images)."
    )


@quality_app.command("causes")
@handled
def causes(
    days: Annotated[float, typer.Option(min=0.01, max=366, help="The window.")] = 7.0,
    db: DbOption = None,
) -> None:
    """Likely causes of the defects among the units finished over the last DAYS."""
    platform = _platform(db)
    try:
        report = platform.quality.causes(ACTOR, days=days)
    finally:
        platform.close()
    console.print(report.summary)
    for cause in report.causes:
        console.print(f"{cause.rank}. [{cause.confidence}] {cause.sentence}")
    for sentence in report.dismissed:
        console.print(f"   dismissed: {sentence}")
