"""``openfab opcua ingest``: ingest from a third-party OPC UA server through a node map.

Thin: it builds ``OpcUaSecurity``, a ``NodeMap`` and an ``OpcUaIngestSource`` and shows live
counters. Machine-state messages go through the shop-floor gateway into the MES (committed,
or dead-lettered with the reason); with ``--floor-out FILE|-`` they are written as JSON lines
of the shop-floor contract instead, for another system to post.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from openfab.commands import DbOption
from openfab.connect.topics import EquipmentPath

if TYPE_CHECKING:
    from openfab.connect.ingest import TelemetryIngest

console = Console(stderr=True)


class JsonLinesSink:
    """A floor sink writing one JSON object per message (with its ``path``), thread-safe:
    asyncua calls it from its own loop."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self._lock = threading.Lock()

    def __call__(self, path: EquipmentPath, messages: list[dict[str, Any]]) -> None:
        with self._lock:
            for message in messages:
                self.out.write(json.dumps({"path": str(path), **message}) + "\n")
            self.out.flush()


def ingest(
    endpoint: Annotated[str, typer.Argument(help="e.g. opc.tcp://plc.example:4840")],
    node_map: Annotated[
        Path | None,
        typer.Option("--node-map", help="YAML node map (default: every variable under Objects)."),
    ] = None,
    db: DbOption = None,
    floor_out: Annotated[
        str | None, typer.Option("--floor-out", help="machine.state messages: file, or - ")
    ] = None,
    policy: Annotated[
        str, typer.Option(help="None, Basic256Sha256, Aes128Sha256RsaOaep, Aes256Sha256RsaPss")
    ] = "None",
    mode: Annotated[str, typer.Option(help="Sign or SignAndEncrypt")] = "SignAndEncrypt",
    certificate: Annotated[Path | None, typer.Option(help="Client certificate (PEM/DER).")] = None,
    private_key: Annotated[Path | None, typer.Option(help="Client private key.")] = None,
    server_certificate: Annotated[Path | None, typer.Option(help="Pin the server's.")] = None,
    username: Annotated[str | None, typer.Option(help="User name.")] = None,
    password: Annotated[
        str | None,
        typer.Option(envvar="OPENFAB_OPCUA_PASSWORD", help="Or $OPENFAB_OPCUA_PASSWORD."),
    ] = None,
    period_ms: Annotated[float, typer.Option(min=1)] = 100.0,
    duration: Annotated[float, typer.Option(help="Seconds to run (0: until Ctrl-C).", min=0)] = 0,
) -> None:
    """Subscribe to an OPC UA server's nodes (a node map's, or all) and store each change."""
    from openfab.connect.nodemap import load_node_map
    from openfab.connect.opcua import OpcUaIngestSource, OpcUaSecurity

    security = OpcUaSecurity(
        policy=policy,  # type: ignore[arg-type]  # checked by OpcUaSecurity itself
        mode=mode,  # type: ignore[arg-type]
        certificate=certificate,
        private_key=private_key,
        server_certificate=server_certificate,
        username=username,
        password=password,
    )
    mapped = load_node_map(node_map) if node_map else None
    out = _open(floor_out)
    telemetry = _ingest(db)
    source = OpcUaIngestSource(
        telemetry,
        endpoint,
        node_map=mapped,
        floor_sink=JsonLinesSink(out) if out else _gateway_sink(db),
        security=security,
        period_ms=period_ms,
    ).start()
    for missing in source.unresolved:
        console.print(f"[yellow]not subscribed:[/] {missing}")
    try:
        _wait(duration)
    finally:
        source.stop()
        telemetry.stop()
        if out is not None and out is not _stdout():
            out.close()
    stats = telemetry.stats
    console.print(
        f"{source.changes:,} changes: {stats.written:,} readings written, "
        f"{source.floor_messages:,} machine states, {stats.dead_lettered:,} dead letters"
    )


def _gateway_sink(db: str | None) -> Callable[[EquipmentPath, list[dict[str, Any]]], None]:
    """Machine states into the MES through the shop-floor gateway (committed, dead-lettered
    with the reason when they cannot be applied)."""
    from openfab.platform import Platform

    gateway = Platform.open(db).gateway

    def sink(path: EquipmentPath, messages: list[dict[str, Any]]) -> None:
        gateway.receive(path, messages, transport="opcua")

    return sink


def _wait(duration: float) -> None:
    end = time.monotonic() + duration if duration else math.inf
    try:
        while time.monotonic() < end:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass


def _stdout() -> IO[str]:
    return sys.stdout


def _open(target: str | None) -> IO[str] | None:
    if target is None:
        return None
    if target == "-":
        return _stdout()
    return Path(target).open("a", encoding="utf-8")


def _ingest(db: str | None) -> TelemetryIngest:
    from openfab.connect.ingest import TelemetryIngest
    from openfab.connect.store import TelemetryStore
    from openfab.settings import get_settings
    from openfab.store import Database

    database = Database(db or get_settings().database_url)
    database.migrate()
    return TelemetryIngest(TelemetryStore(database.engine)).start()
