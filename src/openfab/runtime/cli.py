"""``openfab serve``, ``openfab worker NAME`` and ``openfab floor …``: the runtime's edges.

Both long-running commands stop cleanly on SIGTERM (what service managers send) and SIGINT:
sources stop taking messages, what was taken is committed and acknowledged, then they exit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from openfab.commands import DbOption, handled
from openfab.identity.actor import Actor
from openfab.runtime.workers import WORKERS
from openfab.settings import BusKind, get_settings

floor_app = typer.Typer(help="The shop-floor gateway: dead letters, replay.", no_args_is_help=True)
console = Console()
BusOption = Annotated[
    str | None,
    typer.Option("--bus", help="inprocess | mqtt | nats (default: OPENFAB_BUS or inprocess)."),
]
PLANT = Actor.system("cli")


def _bus(value: str | None) -> BusKind:
    chosen = value or get_settings().bus
    if chosen not in ("inprocess", "mqtt", "nats"):
        raise typer.BadParameter("bus must be inprocess, mqtt or nats", param_hint="--bus")
    return chosen  # type: ignore[return-value]


def _platform(db: str | None) -> Any:
    from openfab.platform import Platform

    return Platform.open(db)


@handled
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    bus: BusOption = None,
    db: DbOption = None,
    web_workers: Annotated[
        int,
        typer.Option(
            "--web-workers",
            min=1,
            max=64,
            help="Processes serving the API and web (the runtime's workers run once, beside them).",
        ),
    ] = 1,
) -> None:
    """Run OpenFab: the REST API and web (OpenAPI docs at /docs), the shop-floor gateway,
    the event relay and the autopilots, in one process (or with ``--web-workers N``, the
    API in N processes and the workers once in their supervisor)."""
    import uvicorn

    from openfab.api.app import create_app

    chosen = _bus(bus)
    platform = _platform(db)  # migrates, once, before any web process starts
    if web_workers == 1:
        uvicorn.run(create_app(platform, bus=chosen), host=host, port=port)
        return
    from openfab.runtime.workers import Runtime

    platform.identity.secret()  # stored once here, not raced for by the web processes
    if db is not None:
        os.environ["OPENFAB_DATABASE_URL"] = db  # the web processes open it from the settings
    runtime = Runtime(platform, bus=chosen).start()
    try:
        _serve_processes(host, port, web_workers)
    finally:
        runtime.stop()
        platform.close()


def _serve_processes(host: str, port: int, processes: int) -> None:
    """``uvicorn.run(..., workers=N)``, except for the listening socket: uvicorn binds it
    with protocol 0, so asyncio never sets TCP_NODELAY on the accepted connections and every
    keep-alive request after the first waits ~40 ms for a delayed ACK (Kludex/uvicorn#3149)."""
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    app = "openfab.api.app:create_app"
    config = uvicorn.Config(app, factory=True, host=host, port=port, workers=processes)
    bound = config.bind_socket()
    listener = socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, bound.detach())
    listener.set_inheritable(True)
    try:
        supervisor = Multiprocess(config, sockets=[listener])
    except TypeError:  # older uvicorn: the supervisor is handed its target
        target = uvicorn.Server(config).run
        supervisor = Multiprocess(config, target=target, sockets=[listener])  # type: ignore[call-arg]
    with contextlib.suppress(KeyboardInterrupt):
        supervisor.run()


@handled
def worker(
    name: Annotated[str, typer.Argument(help=f"One of: {', '.join(WORKERS)}.")],
    bus: BusOption = None,
    db: DbOption = None,
) -> None:
    """Run one worker in this process (scale-out: start it on several machines; relay
    workers elect one active copy, gateway copies share the messages)."""
    from openfab.runtime.workers import Runtime

    if name not in WORKERS:
        raise typer.BadParameter(f"choose one of {', '.join(WORKERS)}", param_hint="NAME")
    chosen = _bus(bus)
    platform = _platform(db)
    runtime = Runtime(platform, bus=chosen, workers=[name]).start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    console.print(f"worker [bold]{name}[/] running on {chosen}; SIGTERM or Ctrl-C stops it")
    stop.wait()
    runtime.stop()
    platform.close()
    console.print(f"worker {name} stopped")


@floor_app.command("dead-letters")
@handled
def dead_letters(
    all_: Annotated[bool, typer.Option("--all", help="Replayed ones too.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    db: DbOption = None,
) -> None:
    """Shop-floor messages that could not be applied, newest first, with the reason."""
    letters = _platform(db).gateway.dead_letters(
        PLANT, status=None if all_ else "Open", limit=limit
    )
    table = Table(title=f"{letters.count} dead letters")
    for column in ("id", "received", "sender", "message", "code", "reason", "status"):
        table.add_column(column)
    for d in letters.data:
        table.add_row(
            d.id,
            f"{d.received_at:%Y-%m-%d %H:%M:%S}",
            d.sender,
            f"{d.type or '?'} {d.message_id or ''}",
            d.code,
            d.reason,
            d.status,
        )
    console.print(table)


@floor_app.command("replay")
@handled
def replay(
    letter: Annotated[str, typer.Argument(help="The dead letter's id.")],
    db: DbOption = None,
) -> None:
    """Apply a dead letter again, after its cause was fixed."""
    result = _platform(db).gateway.replay(PLANT, letter)
    if result.dead_lettered:
        for problem in result.problems:
            console.print(f"[red]still refused[/] ({problem.code}): {problem.reason}")
        raise typer.Exit(1)
    console.print(f"applied {result.applied}, duplicates {result.duplicates}")


@floor_app.command("schema")
def schema() -> None:
    """Print the shop-floor message contract as JSON Schema (the published file is
    docs/contracts/floor-v1.schema.json)."""
    import json

    from openfab.gateway.contract import json_schema

    typer.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))
