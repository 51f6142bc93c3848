"""The ``openfab`` command line: thin, it parses, delegates to services and renders."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table

from openfab.commands import DbOption, errors, handled
from openfab.connect import cli as connect_cli
from openfab.connect import opcua_cli
from openfab.errors import (
    InvalidInput,
    NotFound,
    OpenFabError,
    Problem,
)
from openfab.execution.cli import trace as trace_command
from openfab.lab.cli import lab_app
from openfab.lifecycle.cli import passport_app
from openfab.maintenance.cli import rul_app
from openfab.planning.mrp.cli import mrp_app
from openfab.quality.cli import quality_app
from openfab.quality.inspect_cli import inspect_app
from openfab.runtime import cli as runtime_cli
from openfab.store.tenancy import Scope

app = typer.Typer(help="OpenFab: the open smart-factory platform.", no_args_is_help=True)
audit_app = typer.Typer(help="Check the event log's hash chain.", no_args_is_help=True)
tenant_app = typer.Typer(help="Manage tenants and their users.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
schedule_app = typer.Typer(help="Production scheduling (CP-SAT).", no_args_is_help=True)
app.add_typer(tenant_app, name="tenant")
plant_app = typer.Typer(help="The plant's own staff (separate from the brands' users).")
app.add_typer(plant_app, name="plant")
app.add_typer(schedule_app, name="schedule")
app.add_typer(connect_cli.ingest_app, name="ingest")
app.add_typer(connect_cli.opcua_app, name="opcua")
connect_cli.opcua_app.command("ingest")(handled(opcua_cli.ingest))
app.add_typer(lab_app, name="lab")
app.add_typer(mrp_app, name="mrp")
app.add_typer(runtime_cli.floor_app, name="floor")
app.add_typer(inspect_app, name="inspect")
app.add_typer(quality_app, name="quality")
app.add_typer(passport_app, name="passport")
app.add_typer(rul_app, name="rul")
console = Console()


def _platform(db: str | None) -> Any:
    from openfab.platform import Platform

    return Platform.open(db)


# -- demo ------------------------------------------------------------------------------------
@app.command()
@handled
def demo(
    db: DbOption = None,
    days: Annotated[float, typer.Option(min=0.05, max=60, help="Simulated days.")] = 7,
    orders_per_day: Annotated[
        float | None,
        typer.Option(
            min=1,
            max=5000,
            help="Customer orders a day, varying over the day (default 1000, what the sample "
            "plant is sized for).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed (orders and twin).")] = 7,
    bus: Annotated[
        str, typer.Option(help="Telemetry path: inprocess, mqtt or nats.")
    ] = "inprocess",
    report: Annotated[Path, typer.Option(help="HTML report to write.")] = Path(
        "openfab-demo-report.html"
    ),
    compare: Annotated[
        bool,
        typer.Option(
            help="Compare, same orders and machine fates: the non-AI baseline vs OpenFab, "
            "each run on a fresh SQLite database."
        ),
    ] = False,
    seeds: Annotated[
        int, typer.Option(min=1, max=20, help="With --compare: seeds to run (from --seed).")
    ] = 1,
    each_part: Annotated[
        bool,
        typer.Option(
            help="With --compare: also one arm per part of OpenFab (dispatch, promise, "
            "purchasing, energy) switched on alone, so each part's share shows."
        ),
    ] = False,
    plant: Annotated[
        str,
        typer.Option(
            help="dense: three shifts, bottleneck near 90 % at 1,000 orders a day; "
            "light: the sample plant as shipped, queues stay short."
        ),
    ] = "dense",
    end: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d"],
            help="When the simulated run ends, UTC (default: now).",
        ),
    ] = None,
    plan_seconds: Annotated[
        float | None, typer.Option(min=0.1, max=60, help="Planner time limit (default 0.2 s).")
    ] = None,
) -> None:
    """Run the whole factory on simulated time: orders, planning, twin, MES, shipping, KPIs."""
    from openfab.demo.cli import demo as run
    from openfab.demo.plants import PLANT_NAMES
    from openfab.demo.run import DemoConfig

    if bus not in ("inprocess", "mqtt", "nats"):
        raise typer.BadParameter("bus must be inprocess, mqtt or nats")
    if plant not in PLANT_NAMES:
        raise typer.BadParameter(f"plant must be one of {', '.join(PLANT_NAMES)}")
    config = DemoConfig(  # its defaults unless given
        days=days,
        seed=seed,
        bus=bus,
        plant="light" if plant == "light" else "dense",
        end=end.replace(tzinfo=UTC) if end else None,
    )
    if orders_per_day is not None:
        config = replace(config, orders_per_day=orders_per_day)
    if plan_seconds is not None:
        config = replace(config, plan_seconds=plan_seconds)
    run(
        console,
        _platform,
        db=db,
        config=config,
        report=report,
        compare_runs=compare,
        seeds=seeds,
        each_part=each_part,
    )


# -- configure -------------------------------------------------------------------------------
def _parse_sets(values: list[str]) -> dict[str, Any]:
    """``--set size=l --set extras=ice,display --set shelves=4`` → choices."""
    choices: dict[str, Any] = {}
    bad = []
    for item in values:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            bad.append(item)
            continue
        choices[name.strip()] = _parse_value(raw.strip())
    if bad:
        raise InvalidInput("use --set OPTION=VALUE", [_problem(b) for b in bad])
    return choices


def _problem(item: str) -> Any:
    from openfab.errors import Problem

    return Problem(item, "expected OPTION=VALUE")


def _parse_value(raw: str) -> Any:
    if "," in raw or raw == "":
        return [v for v in raw.split(",") if v]
    for cast in (int, float):
        try:
            return cast(raw)
        except ValueError:
            pass
    return raw


@app.command()
@handled
def configure(
    product: Annotated[str, typer.Argument(help="Product code, e.g. fridge.")],
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="OPTION=VALUE (lists: a,b); repeatable.")
    ] = None,
    complete: Annotated[
        bool, typer.Option("--complete", help="Fill open choices, cheapest.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    file: Annotated[
        Path | None, typer.Option("--file", help="A product definition YAML instead of the sample.")
    ] = None,
) -> None:
    """Validate a configuration: every violated rule (exit 1), or the priced BOM and routing."""
    from openfab.catalog.configurator import Configurator
    from openfab.catalog.definition import parse_product
    from openfab.catalog.sample import load_sample_catalog

    sample = load_sample_catalog()
    if file is not None:
        raw = yaml.safe_load(file.read_text())
    elif product in sample.product_documents:
        raw = sample.product_documents[product]
    else:
        known = ", ".join(sorted(sample.product_documents))
        raise NotFound(f"product {product!r} not found; sample products: {known}")
    definition = parse_product(raw, materials=sample.materials, work_centers=sample.work_centers)
    configurator = Configurator(definition)
    choices = _parse_sets(set_ or [])
    for group in definition.option_groups:  # --set extras=ice_maker: a list of one
        if group.kind == "multi" and isinstance(choices.get(group.code), str):
            choices[group.code] = [choices[group.code]]
    result = configurator.complete(choices) if complete else configurator.configure(choices)
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, default=str) + "\n")
        return
    _render_configured(result)


def _render_configured(result: Any) -> None:
    data = result.to_dict()
    console.print(
        f"[bold]{data.get('product', '')}[/] — price [bold]{data['price']}[/] "
        f"{data.get('currency', '')}, lead time {data['lead_time_days']} days"
    )
    choices = Table(title="configuration")
    choices.add_column("group")
    choices.add_column("choice")
    for group, value in data["choices"].items():
        choices.add_row(group, ", ".join(value) if isinstance(value, list) else str(value))
    bom = Table(title="configured bill of materials")
    for col in ("material", "quantity", "unit"):
        bom.add_column(col)
    for line in data["bom"]:
        bom.add_row(line["material"], str(line["quantity"]), line["unit"])
    routing = Table(title="routing")
    for col in ("#", "operation", "work centers", "setup min", "run min"):
        routing.add_column(col)
    for op in data["routing"]:
        routing.add_row(
            str(op["sequence"]),
            op["name"],
            ", ".join(op["work_centers"]),
            str(op["setup_minutes"]),
            str(op["run_minutes"]),
        )
    for table in (choices, bom, routing):
        console.print(table)


# -- audit -----------------------------------------------------------------------------------
@audit_app.command("verify")
@handled
def audit_verify(db: DbOption = None) -> None:
    """Walk the whole event log; name the first broken entry and exit 1 if any."""
    from openfab.store import verify_chain

    platform = _platform(db)
    with platform.db.unit(Scope.plant(), actor="system:cli", readonly=True) as uow:
        report = verify_chain(uow.session)
    platform.close()
    if report.ok:
        console.print(
            f"[green]audit chain intact[/]: {report.checked} entries, head {report.head_hash[:16]}…"
        )
        return
    broken = report.first_break
    assert broken is not None
    where = f"entry #{broken.seq}" if broken.seq is not None else "end of log"
    errors.print(
        f"[bold red]audit chain BROKEN[/] at {where}: {broken.reason} "
        f"({report.checked} entries verified before it)"
    )
    raise typer.Exit(1)


# -- tenants ---------------------------------------------------------------------------------
@tenant_app.command("create")
@handled
def tenant_create(
    tenant_id: Annotated[str, typer.Argument(help="Slug, e.g. nordic-cold.")],
    name: Annotated[str, typer.Argument(help="Display name.")],
    admin_email: Annotated[str, typer.Option(help="E-mail of the tenant's first admin.")],
    db: DbOption = None,
    samples: Annotated[bool, typer.Option(help="Install the sample catalog.")] = False,
) -> None:
    """Create a tenant and its first admin (the password is asked for, never an argument)."""
    from openfab.identity.actor import BRAND_ROLES, Actor, Role
    from openfab.identity.schemas import TenantCreate, UserCreate

    password = typer.prompt("admin password", hide_input=True, confirmation_prompt=True)
    platform = _platform(db)
    system = Actor.system("cli")
    try:
        tenant = platform.identity.create_tenant(system, TenantCreate(id=tenant_id, name=name))
        user = UserCreate(
            email=admin_email, full_name="Administrator", password=password, roles=[Role.ADMIN]
        )
        admin = platform.identity.create_user(system, user, tenant_id=tenant.id)
        if samples:
            actor = Actor(f"user:{admin.email}", tenant.id, admin.id, BRAND_ROLES)
            platform.catalog.install_sample_products(actor)
    except Exception as exc:  # pydantic validation of the arguments
        if isinstance(exc, OpenFabError):
            raise
        raise InvalidInput(str(exc)) from None
    finally:
        platform.close()
    console.print(f"created tenant [bold]{tenant.id}[/] with admin {admin.email}")


@plant_app.command("add-staff")
@handled
def plant_add_staff(
    email: Annotated[str, typer.Argument(help="E-mail, the sign-in name.")],
    role: Annotated[
        list[str],
        typer.Option(
            "--role",
            help="plant_admin, plant_planner, operator, maintenance, quality or stores "
            "(repeat for several).",
        ),
    ],
    full_name: Annotated[str, typer.Option("--name", help="Display name.")] = "Plant staff",
    db: DbOption = None,
) -> None:
    """Add a member of the plant's staff (the password is asked for, never an argument)."""
    from pydantic import ValidationError

    from openfab.identity.actor import Actor
    from openfab.identity.schemas import UserCreate

    password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        user = UserCreate.model_validate(
            {"email": email, "full_name": full_name, "password": password, "roles": role}
        )
    except ValidationError as exc:
        problems = [Problem(".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]
        raise InvalidInput("invalid staff member", problems) from None
    platform = _platform(db)
    try:
        created = platform.identity.create_user(Actor.system("cli"), user)
    finally:
        platform.close()
    console.print(f"added [bold]{created.email}[/] to the plant's staff ({', '.join(role)})")


# -- schedule --------------------------------------------------------------------------------
@schedule_app.command("solve")
@handled
def schedule_solve(
    file: Annotated[Path, typer.Argument(help="Instance file.", exists=True, dir_okay=False)],
    format: Annotated[str, typer.Option("--format", help="taillard | standard | fjs")] = "standard",
    time_limit: Annotated[float, typer.Option("--time-limit", min=0.1, max=3600)] = 10.0,
    objective: Annotated[str, typer.Option(help="makespan | tardiness | mix")] = "makespan",
    seed: Annotated[int, typer.Option(help="Solver seed (repeatable runs).")] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="Schedule JSON path.")] = None,
) -> None:
    """Solve a standard instance file: print the objective, write the schedule as JSON."""
    from openfab.planning import read_instance, solve

    if format not in ("taillard", "standard", "fjs"):
        raise InvalidInput(f"unknown format {format!r}; use taillard, standard or fjs")
    if objective not in ("makespan", "tardiness", "mix", "lead-time"):
        raise InvalidInput(
            f"unknown objective {objective!r}; use makespan, tardiness, mix or lead-time"
        )
    problem = read_instance(file, format)  # type: ignore[arg-type]
    schedule = solve(problem, time_limit=time_limit, seed=seed, objective=objective)  # type: ignore[arg-type]
    target = out or file.with_suffix(".schedule.json")
    target.write_text(json.dumps(schedule.to_dict(), indent=1, default=str))
    state = "optimal" if schedule.optimal else f"lower bound {schedule.lower_bound}"
    console.print(
        f"makespan [bold]{schedule.makespan}[/] objective {schedule.objective} ({state}); "
        f"{len(schedule.operations)} operations → {target}"
    )


@schedule_app.command("plan")
@handled
def schedule_plan(
    db: DbOption = None,
    time_limit: Annotated[float, typer.Option("--time-limit", min=0.1, max=600)] = 10.0,
    gantt: Annotated[
        Path | None, typer.Option("--gantt", help="Write a Gantt chart (HTML).")
    ] = None,
) -> None:
    """Plan every open order of the plant; update promise dates; optionally draw the Gantt."""
    from openfab.identity.actor import Actor
    from openfab.planning.gantt import Bar, gantt_html
    from openfab.store.types import utcnow

    platform = _platform(db)
    summary = platform.planning.plan(Actor.system("cli"), trigger="cli", time_limit=time_limit)
    run = summary.run
    console.print(
        f"planned {summary.planned_orders} orders, {run.operations} operations; "
        f"makespan {run.makespan_minutes} min, weighted tardiness {run.weighted_tardiness}; "
        f"{summary.promise_changes} promise dates changed ({run.solve_seconds:.1f} s)"
    )
    if gantt is not None:
        bars = [
            Bar(
                r.machine,
                r.start_at,
                r.end_at,
                r.order_number,
                r.order_number,
                f"{r.order_number} op {r.sequence} on {r.machine}: {r.reason}",
            )
            for r in platform.planning.run_operations(Actor.system("cli"), run.id)
        ]
        gantt.write_text(gantt_html(bars, title="OpenFab schedule", now=utcnow()))
        console.print(f"Gantt chart → {gantt}")
    platform.close()


# -- trace -----------------------------------------------------------------------------------
app.command("trace")(handled(trace_command))


# -- the runtime -----------------------------------------------------------------------------
app.command()(runtime_cli.serve)
app.command()(runtime_cli.worker)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
