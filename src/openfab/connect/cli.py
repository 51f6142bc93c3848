"""``openfab ingest …`` and ``openfab opcua …``: run a telemetry source or serve a machine.

Thin: each command builds the adapters of ``openfab.connect`` and shows live counters.
Protocol libraries are imported inside the commands so ``openfab --help`` stays fast.

An ingest command ends on SIGTERM (what service managers send) or SIGINT the same way: it
stops taking messages, stores everything buffered, acknowledges it to the broker, and exits 0
(1 if the database would not take the rest, which the broker then delivers again). Broker
credentials and TLS come from the ``OPENFAB_MQTT_*`` / ``OPENFAB_NATS_*`` settings.
"""

from __future__ import annotations

import math
import random
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from openfab.commands import DbOption
from openfab.connect.ingest import IngestStats, TelemetryIngest
from openfab.connect.store import TelemetryStore
from openfab.connect.topics import EquipmentPath, TopicError

ingest_app = typer.Typer(help="Ingest telemetry into the database.", no_args_is_help=True)
opcua_app = typer.Typer(help="OPC UA: serve a machine.", no_args_is_help=True)
console = Console()

DurationOption = Annotated[
    float, typer.Option("--duration", help="Seconds to run (0: until Ctrl-C).", min=0)
]


def _ingest(db: str | None) -> TelemetryIngest:
    from openfab.settings import get_settings
    from openfab.store import Database

    database = Database(db or get_settings().database_url)
    database.migrate()
    return TelemetryIngest(TelemetryStore(database.engine)).start()


def _table(title: str, stats: IngestStats, messages: int) -> Table:
    table = Table(title=title)
    for column in ("messages", "received", "written", "duplicates", "dead letters", "buffered"):
        table.add_column(column, justify="right")
    table.add_row(
        *(
            f"{n:,}"
            for n in (
                messages,
                stats.received,
                stats.written,
                stats.duplicates,
                stats.dead_lettered,
                stats.buffered,
            )
        )
    )
    return table


@contextmanager
def _stop_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT while inside (the handlers before are restored)."""
    stop = threading.Event()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in previous:
        signal.signal(sig, lambda _n, _f: stop.set())
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run(
    title: str,
    ingest: TelemetryIngest,
    messages: Callable[[], int],
    duration: float,
    stop: threading.Event,
    pause: Callable[[], None] = lambda: None,
) -> None:
    """Show counters until ``duration`` passes or ``stop`` is set (a stop signal, caught from
    before the source started: a stop during start-up still stores what was taken), then
    take no more messages (``pause``) and store (and so acknowledge) everything buffered."""
    end = time.monotonic() + duration if duration else math.inf
    with Live(_table(title, ingest.stats, 0), console=console, refresh_per_second=2) as live:
        while not stop.wait(0.5) and time.monotonic() < end:
            live.update(_table(title, ingest.stats, messages()))
        pause()
        stored = ingest.stop()
        live.update(_table(title, ingest.stats, messages()))
    if not stored:
        console.print("[red]the database did not take everything; the broker keeps the rest[/]")
        raise typer.Exit(1)


def _connect_error(exc: ConnectionError) -> typer.Exit:
    console.print(f"[red]error:[/] {exc}")
    return typer.Exit(2)


@ingest_app.command("mqtt")
def ingest_mqtt(
    db: DbOption = None,
    host: Annotated[str | None, typer.Option(help="MQTT broker host [settings].")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="[settings]")] = None,
    topic: Annotated[str, typer.Option(help="Subscription.")] = "openfab/#",
    client_id: Annotated[str, typer.Option(help="Persistent-session id.")] = "openfab-ingest",
    duration: DurationOption = 0.0,
) -> None:
    """Subscribe to the Unified Namespace (QoS 1, persistent session) and store readings;
    each message is acknowledged once stored."""
    from openfab.connect.mqtt import MqttIngestSource, MqttSettings
    from openfab.settings import get_settings

    overrides = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    with _stop_signals() as stop:
        ingest = _ingest(db)
        try:
            settings = MqttSettings.from_settings(get_settings(), **overrides)
            source = MqttIngestSource(ingest, settings, client_id=client_id, topic=topic).start()
        except ConnectionError as exc:
            raise _connect_error(exc) from None
        title = f"MQTT {settings.host}:{settings.port} {topic} → database"
        _run(title, ingest, lambda: source.messages, duration, stop, source.pause)
        source.stop()


@ingest_app.command("nats")
def ingest_nats(
    db: DbOption = None,
    url: Annotated[str | None, typer.Option(help="NATS server(s) [settings].")] = None,
    durable: Annotated[str, typer.Option(help="Durable consumer name.")] = "openfab-ingest",
    from_seq: Annotated[
        int | None, typer.Option("--from-seq", help="Replay from this stream sequence.")
    ] = None,
    ack_wait: Annotated[
        float, typer.Option(min=0.1, help="Seconds before an unacknowledged message comes again.")
    ] = 30.0,
    duration: DurationOption = 0.0,
) -> None:
    """Consume the JetStream telemetry stream (durable; each message acknowledged once
    stored)."""
    from openfab.connect.nats import NatsIngestSource, NatsSettings
    from openfab.settings import get_settings

    with _stop_signals() as stop:
        ingest = _ingest(db)
        try:
            settings = NatsSettings.from_settings(get_settings(), **({"url": url} if url else {}))
            source = NatsIngestSource(
                ingest, settings, durable=durable, from_seq=from_seq, ack_wait=ack_wait
            ).start()
        except ConnectionError as exc:
            raise _connect_error(exc) from None
        title = f"NATS {settings.url} ({durable}) → database"
        _run(title, ingest, lambda: source.messages, duration, stop, source.pause)
        source.stop()


@ingest_app.command("opcua")
def ingest_opcua(
    endpoint: Annotated[str, typer.Argument(help="e.g. opc.tcp://127.0.0.1:4840/openfab/")],
    db: DbOption = None,
    path: Annotated[
        str | None,
        typer.Option(help="Equipment path site/area/line/machine (default: the server's)."),
    ] = None,
    period_ms: Annotated[float, typer.Option(min=1)] = 100.0,
    duration: DurationOption = 0.0,
) -> None:
    """Subscribe to every variable of an OPC UA server and store each change."""
    from openfab.connect.opcua import OpcUaIngestSource

    equipment = _path(path) if path else None
    with _stop_signals() as stop:
        ingest = _ingest(db)
        source = OpcUaIngestSource(ingest, endpoint, path=equipment, period_ms=period_ms).start()
        _run(f"OPC UA {endpoint} → database", ingest, lambda: source.changes, duration, stop)
        source.stop()


@opcua_app.command("serve-machine")
def serve_machine(
    path: Annotated[str, typer.Argument(help="site/area/line/machine")],
    signal: Annotated[
        list[str] | None, typer.Option("--signal", help="Signal name; repeatable.")
    ] = None,
    endpoint: Annotated[str, typer.Option()] = "opc.tcp://127.0.0.1:4840/openfab/",
    interval: Annotated[float, typer.Option(help="Seconds between simulated values.")] = 1.0,
    duration: DurationOption = 0.0,
) -> None:
    """Serve a machine over OPC UA with simulated values (the twin feeds it in a demo)."""
    from openfab.connect.opcua import OpcUaMachineServer

    signals = signal or ["temperature", "vibration", "current"]
    server = OpcUaMachineServer(_path(path), signals, endpoint=endpoint).start()
    console.print(f"serving [bold]{path}[/] at {endpoint}: {', '.join(signals)} (Ctrl-C stops)")
    walk: dict[str, float] = dict.fromkeys(signals, 50.0)
    rng = random.Random(uuid.uuid4().int)
    end = time.monotonic() + duration if duration else math.inf
    try:
        while time.monotonic() < end:
            for name in signals:
                walk[name] += rng.gauss(0, 0.5)
                server.update(name, walk[name], datetime.now(UTC))
            time.sleep(interval)
    except KeyboardInterrupt:
        pass
    server.stop()


def _path(raw: str) -> EquipmentPath:
    try:
        return EquipmentPath.parse(raw)
    except TopicError as exc:
        raise typer.BadParameter(str(exc), param_hint="path") from None
