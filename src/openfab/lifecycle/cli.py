"""``openfab passport show SERIAL [--json]``: a unit's battery passport."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from openfab.commands import handled
from openfab.lifecycle.passport import to_aas
from openfab.lifecycle.schemas import Passport

passport_app = typer.Typer(help="Battery passports of finished units.", no_args_is_help=True)
console = Console()


@passport_app.command("show")
@handled
def show(
    serial: Annotated[str, typer.Argument(help="Serial number, e.g. VP-EB-000012.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="AAS-aligned JSON (IDTA 02035 submodels).")
    ] = False,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL (default: $OPENFAB_DATABASE_URL or openfab.db)."),
    ] = None,
    tenant: Annotated[
        str | None, typer.Option("--tenant", help="The brand, when a serial is ambiguous.")
    ] = None,
) -> None:
    """Print a unit's full passport (issued on first read once the unit is finished)."""
    from openfab.identity.actor import Actor
    from openfab.platform import Platform

    platform = Platform.open(db)
    try:
        passport = platform.lifecycle.passport(Actor.system("cli"), serial, tenant=tenant)
    finally:
        platform.close()
    if as_json:
        typer.echo(json.dumps(to_aas(passport), indent=2, ensure_ascii=False))
        return
    console.print(summary(passport))


def summary(passport: Passport) -> Table:
    table = Table(title=f"Battery passport {passport.serial} ({passport.id})", show_header=False)
    identity, carbon, perf = passport.identity, passport.carbon_footprint, passport.performance
    if identity:
        table.add_row("model", f"{identity.model_name} rev {identity.design_revision}")
        table.add_row(
            "made",
            f"{identity.manufacturer}, {identity.manufacturing_place}, "
            f"{identity.manufacturing_date:%Y-%m-%d}"
            if identity.manufacturing_date
            else identity.manufacturer,
        )
        table.add_row("status", identity.status)
    if perf:
        table.add_row(
            "rating",
            f"{perf.nominal_voltage_v} V, {perf.rated_capacity_ah} Ah, "
            f"{perf.rated_energy_wh} Wh, {perf.internal_resistance_mohm} mOhm "
            f"({perf.internal_resistance_source})",
        )
    if carbon:
        table.add_row(
            "carbon",
            f"{carbon.total_kg_co2e} kg CO2e ({carbon.per_kwh_kg_co2e} per kWh;"
            f" solar {carbon.solar_share:.0%})",
        )
    if passport.recycled_content:
        shares = ", ".join(f"{k} {v:.0%}" for k, v in passport.recycled_content.shares.items())
        table.add_row("recycled", shares)
    if passport.health and passport.health.state_of_health is not None:
        h = passport.health
        table.add_row(
            "health",
            f"SOH {h.state_of_health:.1%} ({h.lower:.1%}-{h.upper:.1%}), {h.cycles} cycles",
        )
    if passport.missing:
        table.add_row("[red]missing[/]", "; ".join(passport.missing))
    return table
