"""OPC UA (asyncua): expose a machine as a server, and ingest from any server by subscription.

``OpcUaMachineServer`` publishes one machine's signals as variables
``Objects/{machine}/{signal}`` (Double, with source timestamps) and an ``EquipmentPath``
property, updated live — the twin feeds it like a PLC would. ``OpcUaIngestSource`` connects to
any OPC UA server, subscribes to every variable under ``Objects`` (or the nodes given), and
turns each data change into a reading. Its message id is derived from the server, node, source
timestamp and value, so a re-subscription after a reconnect stores nothing twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.node import Node
from asyncua.server.server import Server

from openfab.connect.ingest import TelemetryIngest, as_reading
from openfab.connect.loop import BackgroundLoop
from openfab.connect.store import DeadLetter
from openfab.connect.telemetry import Reading
from openfab.connect.topics import EquipmentPath

log = logging.getLogger(__name__)
NAMESPACE = "urn:openfab:equipment"
PATH_PROPERTY = "EquipmentPath"
_NOT_LEVEL = re.compile(r"[^A-Za-z0-9_.\-]")


class OpcUaMachineServer:
    """One machine as an OPC UA server; ``update`` (or calling it with a reading) sets a
    signal's value from any thread."""

    def __init__(
        self,
        path: EquipmentPath,
        signals: Sequence[str],
        *,
        endpoint: str = "opc.tcp://127.0.0.1:4840/openfab/",
    ) -> None:
        self.path = path
        self.signals = list(signals)
        self.endpoint = endpoint
        self._loop = BackgroundLoop(f"opcua-server-{path.machine}")
        self._server: Server | None = None
        self._variables: dict[str, Node] = {}

    def start(self) -> OpcUaMachineServer:
        self._loop.run(self._start(), timeout=60)
        return self

    async def _start(self) -> None:
        server = Server()
        await server.init()
        server.set_endpoint(self.endpoint)
        server.set_server_name(f"OpenFab machine {self.path}")
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        idx = await server.register_namespace(NAMESPACE)
        machine = await server.nodes.objects.add_object(idx, self.path.machine)
        await machine.add_property(idx, PATH_PROPERTY, str(self.path))
        for signal in self.signals:
            self._variables[signal] = await machine.add_variable(idx, signal, 0.0)
        await server.start()
        self._server = server

    def update(self, signal: str, value: float, timestamp: datetime | None = None) -> None:
        """Set ``signal`` to ``value`` at ``timestamp`` (default: now)."""
        if signal not in self._variables:
            raise KeyError(f"machine {self.path} has no signal {signal!r}")
        self._loop.run(self._write(signal, value, timestamp or datetime.now(UTC)), timeout=10)

    async def _write(self, signal: str, value: float, timestamp: datetime) -> None:
        data = ua.DataValue(
            ua.Variant(float(value), ua.VariantType.Double),
            SourceTimestamp=timestamp.astimezone(UTC),  # type: ignore[arg-type]
            ServerTimestamp=datetime.now(UTC),  # type: ignore[arg-type]
        )
        await self._variables[signal].write_value(data)

    def __call__(self, reading: Any) -> None:
        """A twin sink: readings of this machine update their variable; others are ignored."""
        r = reading if isinstance(reading, Reading) else as_reading(reading)
        if r.path == self.path and r.signal in self._variables:
            self.update(r.signal, r.value, r.timestamp)

    def stop(self) -> None:
        if self._server is not None:
            self._loop.run(self._server.stop(), timeout=15)
            self._server = None
        self._loop.close()


class _Changes:
    """asyncua subscription handler: each data change becomes a reading (or a dead letter)."""

    def __init__(self, source: OpcUaIngestSource) -> None:
        self.source = source

    def datachange_notification(self, node: Node, val: Any, data: Any) -> None:
        self.source.on_change(node, val, data.monitored_item.Value)


class OpcUaIngestSource:
    """Subscribes to an OPC UA server's variables and feeds the ingest; reconnects with
    backoff when the server goes away."""

    def __init__(
        self,
        ingest: TelemetryIngest,
        endpoint: str,
        *,
        path: EquipmentPath | None = None,
        period_ms: float = 100.0,
    ) -> None:
        self.ingest = ingest
        self.endpoint = endpoint
        self.path = path
        self.period_ms = period_ms
        self.changes = 0
        self.subscribed = asyncio.Event()
        self._signals: dict[str, tuple[EquipmentPath, str]] = {}
        self._loop = BackgroundLoop("opcua-client")
        self._stop = asyncio.Event()
        self._task: Any = None

    def start(self, *, wait: float | None = 30.0) -> OpcUaIngestSource:
        self._task = asyncio.run_coroutine_threadsafe(self._supervise(), self._loop.loop)
        if wait is not None:
            self._loop.run(asyncio.wait_for(self.subscribed.wait(), wait), timeout=wait + 1)
        return self

    async def _supervise(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                async with Client(self.endpoint, timeout=5) as client:
                    await self._subscribe(client)
                    delay = 0.5
                    while not self._stop.is_set():
                        await asyncio.sleep(1.0)
                        await client.check_connection()
            except Exception as exc:  # server away: retry, never crash the source
                log.warning("OPC UA %s: %s; reconnecting in %.1fs", self.endpoint, exc, delay)
                self.subscribed.clear()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _subscribe(self, client: Client) -> None:
        nodes = await self._variables(client)
        subscription = await client.create_subscription(self.period_ms, _Changes(self))
        if nodes:
            await subscription.subscribe_data_change(nodes)
        self.subscribed.set()

    async def _variables(self, client: Client) -> list[Node]:
        """Every variable under Objects (but the Server object), with its equipment path."""
        found: list[Node] = []
        for obj in await client.nodes.objects.get_children():
            if obj.nodeid.NamespaceIndex == 0:
                continue  # the standard Server object
            path = await self._path_of(obj)
            for child in await obj.get_children(nodeclassmask=ua.NodeClass.Variable):
                name = (await child.read_browse_name()).Name
                if name == PATH_PROPERTY:
                    continue
                self._signals[child.nodeid.to_string()] = (path, _NOT_LEVEL.sub("_", name))
                found.append(child)
        return found

    async def _path_of(self, obj: Node) -> EquipmentPath:
        if self.path is not None:
            return self.path
        for child in await obj.get_children(nodeclassmask=ua.NodeClass.Variable):
            if (await child.read_browse_name()).Name == PATH_PROPERTY:
                return EquipmentPath.parse(str(await child.read_value()))
        name = _NOT_LEVEL.sub("_", (await obj.read_browse_name()).Name)
        return EquipmentPath.machine_path("opcua", "default", "default", name)

    def on_change(self, node: Node, value: Any, data: ua.DataValue) -> None:
        self.changes += 1
        key = node.nodeid.to_string()
        path, signal = self._signals[key]
        ts = data.SourceTimestamp or data.ServerTimestamp or datetime.now(UTC)
        ts = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
        if isinstance(value, bool | int | float) and math.isfinite(float(value)):
            digest = hashlib.sha1(f"{self.endpoint}|{key}|{ts.isoformat()}|{value!r}".encode())
            reading = Reading(f"opcua-{digest.hexdigest()[:32]}", path, signal, float(value), ts)
            self.ingest.submit([reading])
            return
        reason = f"{path}/{signal}: value {value!r} is not a finite number"
        self.ingest.dead_letter(
            [DeadLetter.of("opcua", key, "wrong_type", reason, repr(value).encode())]
        )

    def stop(self) -> None:
        self._loop.loop.call_soon_threadsafe(self._stop.set)
        if self._task is not None:
            try:
                self._task.result(15)
            except Exception:
                log.debug("OPC UA client ended with an error", exc_info=True)
        self._loop.close()
