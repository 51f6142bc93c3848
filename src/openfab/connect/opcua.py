"""OPC UA (asyncua): expose a machine as a server, and ingest from any server by subscription.

``OpcUaMachineServer`` publishes one machine's signals as variables
``Objects/{machine}/{signal}`` (Double, with source timestamps) and an ``EquipmentPath``
property, updated live — the twin feeds it like a PLC would. ``OpcUaIngestSource`` connects to
any OPC UA server (optionally signed/encrypted and as a user, see ``OpcUaSecurity``) and
subscribes either to every variable at any depth under ``Objects`` or to the nodes of a node map
(``openfab.connect.nodemap``). Numbers and booleans become readings; nodes mapped to
``machine.state`` become shop-floor messages for a ``floor_sink``; anything else is
dead-lettered with its reason. Message ids derive from the server, node, source timestamp and
value, so a re-subscription after a reconnect stores nothing twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast, get_args

from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.node import Node
from asyncua.crypto import security_policies, uacrypto
from asyncua.server.server import Server
from asyncua.ua.attribute_ids import AttributeIds
from asyncua.ua.object_ids import ObjectIds
from asyncua.ua.uaerrors import UaError
from cryptography import x509

from openfab.connect.ingest import TelemetryIngest, as_reading
from openfab.connect.loop import BackgroundLoop
from openfab.connect.nodemap import (
    STATE_MESSAGE,
    MappedNode,
    NodeMap,
    NodeRef,
    SignalTarget,
    StateTarget,
    Target,
    state_key,
)
from openfab.connect.store import DeadLetter
from openfab.connect.telemetry import Reading
from openfab.connect.topics import EquipmentPath, TopicError
from openfab.errors import ProblemCollector

log = logging.getLogger(__name__)
NAMESPACE = "urn:openfab:equipment"
PATH_PROPERTY = "EquipmentPath"
_NOT_LEVEL = re.compile(r"[^A-Za-z0-9_.\-]")
MAX_DEPTH = 16  # folders below Objects; deeper is a loop the visited set missed, or a mistake
FloorSink = Callable[[EquipmentPath, list[dict[str, Any]]], None]
SecurityPolicyName = Literal[
    "None",
    "Basic256Sha256",
    "Aes128Sha256RsaOaep",
    "Aes256Sha256RsaPss",
    "Basic256",
    "Basic128Rsa15",
]
SecurityMode = Literal["Sign", "SignAndEncrypt"]


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


@dataclass(frozen=True)
class OpcUaSecurity:
    """How the client connects: a security policy and mode with the client's certificate and
    private key (the server must trust that certificate), and an optional user. The default
    is what the server offers without security, anonymously."""

    policy: SecurityPolicyName = "None"
    mode: SecurityMode = "SignAndEncrypt"
    certificate: Path | None = None
    private_key: Path | None = None
    private_key_password: str | None = field(default=None, repr=False)
    server_certificate: Path | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        problems = ProblemCollector()
        if self.policy not in get_args(SecurityPolicyName):
            problems.add("policy", f"unknown policy {self.policy!r}")
        if self.mode not in get_args(SecurityMode):
            problems.add("mode", f"mode must be Sign or SignAndEncrypt, not {self.mode!r}")
        if self.policy != "None":
            for name in ("certificate", "private_key"):
                file = getattr(self, name)
                if file is None:
                    problems.add(name, f"policy {self.policy} needs a client {name} file")
                elif not Path(file).is_file():
                    problems.add(name, f"{file} is not a file")
        if self.password is not None and not self.username:
            problems.add("password", "a password needs a username")
        problems.raise_if_any("OPC UA security options are inconsistent")

    @property
    def secured(self) -> bool:
        return self.policy != "None"

    async def apply(self, client: Client) -> None:
        """Configure ``client`` before it connects (asyncua: ``set_user``, ``set_security``)."""
        if self.username:
            client.set_user(self.username)
            client.set_password(self.password or "")
        if not self.secured or self.certificate is None or self.private_key is None:
            return
        uri = _application_uri(await uacrypto.load_certificate(self.certificate))
        if uri:  # servers check the client's application URI against its certificate
            client.application_uri = uri
        await client.set_security(
            getattr(security_policies, f"SecurityPolicy{self.policy}"),
            self.certificate,
            self.private_key,
            self.private_key_password,
            str(self.server_certificate) if self.server_certificate else None,
            getattr(ua.MessageSecurityMode, self.mode),
        )


def _application_uri(cert: x509.Certificate) -> str | None:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return None
    uris = san.value.get_values_for_type(x509.UniformResourceIdentifier)
    return uris[0] if uris else None


@dataclass(frozen=True)
class Unresolved:
    """A node of the node map the server could not give us, and why."""

    ref: NodeRef
    reason: str

    def __str__(self) -> str:
        return f"{self.ref}: {self.reason}"


class _Changes:
    """asyncua subscription handler: each data change becomes a reading, a shop-floor message
    or a dead letter."""

    def __init__(self, source: OpcUaIngestSource) -> None:
        self.source = source

    def datachange_notification(self, node: Node, val: Any, data: Any) -> None:
        self.source.on_change(node, val, data.monitored_item.Value)


class OpcUaIngestSource:
    """Subscribes to an OPC UA server's variables and feeds the ingest (and ``floor_sink``);
    reconnects with backoff when the server goes away.

    Without a ``node_map`` every variable at any depth under ``Objects`` (but the standard
    Server object) is a signal of the machine named by the nearest ``EquipmentPath`` property,
    by ``path``, or by the folders above it. With a ``node_map`` only its nodes are subscribed;
    those the server lacks are logged and listed in ``unresolved``, the others still run.
    """

    def __init__(
        self,
        ingest: TelemetryIngest,
        endpoint: str,
        *,
        path: EquipmentPath | None = None,
        period_ms: float = 100.0,
        node_map: NodeMap | None = None,
        floor_sink: FloorSink | None = None,
        security: OpcUaSecurity | None = None,
    ) -> None:
        self.ingest = ingest
        self.endpoint = endpoint
        self.path = path
        self.period_ms = period_ms
        self.node_map = node_map
        self.floor_sink = floor_sink
        self.security = security or OpcUaSecurity()
        self.changes = 0
        self.floor_messages = 0
        self.unresolved: list[Unresolved] = []
        self.subscribed = asyncio.Event()
        self._targets: dict[str, Target] = {}
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
                client = Client(self.endpoint, timeout=5)
                await self.security.apply(client)
                async with client:
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
        self.unresolved = []  # each connection reports afresh
        if self.node_map is None:
            nodes = await self._browse(client)
        else:
            nodes = await self._resolve(client, self.node_map)
        subscription = await client.create_subscription(self.period_ms, _Changes(self))
        if nodes:
            results = await subscription.subscribe_data_change(nodes)
            self._refused(nodes, results)
        self.subscribed.set()

    def _refused(self, nodes: list[Node], results: list[int | ua.StatusCode]) -> None:
        """Monitored items the server refused (a node that is no value, no access)."""
        for node, result in zip(nodes, results, strict=True):
            if isinstance(result, ua.StatusCode):
                self._unresolved(NodeRef(node.nodeid.to_string()), result.name)

    def _unresolved(self, ref: NodeRef, reason: str) -> None:
        self.unresolved.append(Unresolved(ref, reason))
        log.warning("OPC UA %s: node %s not subscribed: %s", self.endpoint, ref, reason)

    # -- a node map --------------------------------------------------------------------------
    async def _resolve(self, client: Client, node_map: NodeMap) -> list[Node]:
        """The node map's nodes the server has as variables; the rest go to ``unresolved``."""
        found: list[tuple[MappedNode, Node]] = []
        for mapped in node_map.nodes:
            node = await self._find(client, mapped.ref)
            if node is not None:
                found.append((mapped, node))
        classes = await client.read_attributes([n for _, n in found], AttributeIds.NodeClass)
        return [
            node
            for (mapped, node), data in zip(found, classes, strict=True)
            if self._is_variable(mapped, node, data)
        ]

    def _is_variable(self, mapped: MappedNode, node: Node, node_class: ua.DataValue) -> bool:
        """Keep a found node as ``mapped``'s target if it is a variable; report it if not."""
        status = node_class.StatusCode or ua.StatusCode()
        if not status.is_good():
            self._unresolved(mapped.ref, f"the server has no such node ({status.name})")
            return False
        if node_class.Value is None or node_class.Value.Value != ua.NodeClass.Variable:
            self._unresolved(mapped.ref, "the node is no variable")
            return False
        self._targets[node.nodeid.to_string()] = mapped.target
        return True

    async def _find(self, client: Client, ref: NodeRef) -> Node | None:
        try:
            if ref.node_id is not None:
                return client.get_node(ref.node_id)
            return await client.nodes.objects.get_child(list(ref.browse_path))
        except (UaError, ValueError) as exc:
            self._unresolved(ref, f"not found ({type(exc).__name__}: {exc})")
            return None

    # -- browsing ----------------------------------------------------------------------------
    async def _browse(self, client: Client) -> list[Node]:
        """Every variable at any depth under Objects (but the Server object), with its equipment
        path; each folder is visited once, however many references lead to it."""
        found: list[Node] = []
        visited: set[str] = set()
        stack: list[tuple[Node, tuple[str, ...], EquipmentPath | None]] = []
        for ref in await _children(client.nodes.objects):
            if ref.NodeId.NamespaceIndex != 0 and ref.NodeClass == ua.NodeClass.Object:
                stack.append((client.get_node(ref.NodeId), (ref.BrowseName.Name,), None))
        while stack:
            obj, names, declared = stack.pop()
            key = obj.nodeid.to_string()
            if key in visited or len(names) > MAX_DEPTH:
                continue
            visited.add(key)
            refs = await _children(obj)
            declared = await self._declared(client, refs) or declared
            path = declared or self._folder_path(names)
            for ref in refs:
                if ref.NodeClass == ua.NodeClass.Object:
                    child = client.get_node(ref.NodeId)
                    stack.append((child, (*names, ref.BrowseName.Name), declared))
                elif not _is_property(ref) and path is not None:
                    found.extend(self._signal(client, ref, path))
        return found

    def _signal(
        self, client: Client, ref: ua.ReferenceDescription, path: EquipmentPath
    ) -> list[Node]:
        signal = _NOT_LEVEL.sub("_", ref.BrowseName.Name)[:64]
        if not signal:
            return []
        self._targets[ref.NodeId.to_string()] = SignalTarget(path, signal)
        return [client.get_node(ref.NodeId)]

    async def _declared(
        self, client: Client, refs: list[ua.ReferenceDescription]
    ) -> EquipmentPath | None:
        """``path`` if given, else the folder's ``EquipmentPath`` property (which then holds
        for the folders below it too, as OpenFab's own servers publish it)."""
        if self.path is not None:
            return self.path
        for ref in refs:
            if ref.BrowseName.Name == PATH_PROPERTY and _is_property(ref):
                return EquipmentPath.parse(str(await client.get_node(ref.NodeId).read_value()))
        return None

    def _folder_path(self, names: tuple[str, ...]) -> EquipmentPath | None:
        try:
            return path_from_folders(names)
        except TopicError as exc:
            log.warning("OPC UA %s: folder %s skipped: %s", self.endpoint, "/".join(names), exc)
            return None

    # -- data changes ------------------------------------------------------------------------
    def on_change(self, node: Node, value: Any, data: ua.DataValue) -> None:
        self.changes += 1
        key = node.nodeid.to_string()
        target = self._targets.get(key)
        ts = _source_time(data)
        if isinstance(target, StateTarget):
            self._state(key, target, value, ts)
        elif isinstance(target, SignalTarget):
            self._reading(key, target, value, ts)

    def _message_id(self, key: str, ts: datetime, value: Any) -> str:
        """The same change read twice (a re-subscription) gets the same id."""
        digest = hashlib.sha1(f"{self.endpoint}|{key}|{ts.isoformat()}|{value!r}".encode())
        return f"opcua-{digest.hexdigest()[:32]}"

    def _reading(self, key: str, target: SignalTarget, value: Any, ts: datetime) -> None:
        if isinstance(value, bool | int | float) and math.isfinite(float(value)):
            converted = target.convert(float(value))
            if math.isfinite(converted):
                message_id = self._message_id(key, ts, value)
                self.ingest.submit([Reading(message_id, target.path, target.signal, converted, ts)])
                return
        what = f"{target.path}/{target.signal} ({key})"
        if isinstance(value, str):
            reason = f"{what}: text {value!r} is no number; map the node to {STATE_MESSAGE}"
        else:
            reason = f"{what}: value {value!r} is not a finite number"
        self._dead(key, "wrong_type", reason, value)

    def _state(self, key: str, target: StateTarget, value: Any, ts: datetime) -> None:
        state = target.state_of(value)
        what = f"{target.path} {STATE_MESSAGE} ({key})"
        if state is None:
            known = ", ".join(target.states)
            self._dead(key, "unmapped_state", f"{what}: {value!r} is none of {known}", value)
            return
        if self.floor_sink is None:
            self._dead(key, "no_floor_sink", f"{what}: no floor sink to send it to", value)
            return
        message = {
            "message_id": self._message_id(key, ts, value),
            "type": STATE_MESSAGE,
            "at": ts.isoformat(),
            "state": state.value,
            "reason": (state_key(value) or "")[:200],
        }
        try:
            self.floor_sink(target.path, [message])
            self.floor_messages += 1
        except Exception as exc:  # the sink's failure must not end the subscription
            log.exception("OPC UA %s: floor sink refused %s", self.endpoint, message)
            self._dead(key, "sink_failed", f"{what}: floor sink failed: {exc}", value)

    def _dead(self, key: str, code: str, reason: str, value: Any) -> None:
        self.ingest.dead_letter([DeadLetter.of("opcua", key, code, reason, repr(value).encode())])

    def stop(self) -> None:
        self._loop.loop.call_soon_threadsafe(self._stop.set)
        if self._task is not None:
            try:
                self._task.result(15)
            except Exception:
                log.debug("OPC UA client ended with an error", exc_info=True)
        self._loop.close()


def _is_property(ref: ua.ReferenceDescription) -> bool:
    """A HasProperty child describes its parent (units, ranges), it is no signal."""
    kind = ref.ReferenceTypeId
    return bool(kind.NamespaceIndex == 0 and kind.Identifier == ObjectIds.HasProperty)


async def _children(node: Node) -> list[ua.ReferenceDescription]:
    """Objects and variables one hierarchical reference below ``node``, in one round trip."""
    return await node.get_references(
        refs=ObjectIds.HierarchicalReferences,
        direction=ua.BrowseDirection.Forward,
        nodeclassmask=cast(ua.NodeClass, ua.NodeClass.Object | ua.NodeClass.Variable),  # a mask
        includesubtypes=True,
    )


def path_from_folders(names: Sequence[str]) -> EquipmentPath:
    """Folder names under Objects → an equipment path, when no ``EquipmentPath`` names one.

    Four levels are site/area/line/machine; fewer are padded (``Press`` →
    ``opcua/default/default/Press``, ``Plant/Line/Machine`` → ``Plant/default/Line/Machine``);
    more keep the first as site, the last two as line and machine, and join the rest into the
    area with dots (``Corp/Plant/Area/Line/M`` → ``Corp/Plant.Area/Line/M``).
    """
    levels = [_NOT_LEVEL.sub("_", n) for n in names]
    if len(levels) == 1:
        levels = ["opcua", "default", "default", *levels]
    elif len(levels) == 2:
        levels = ["opcua", "default", *levels]
    elif len(levels) == 3:
        levels = [levels[0], "default", *levels[1:]]
    elif len(levels) > 4:
        levels = [levels[0], ".".join(levels[1:-2]), *levels[-2:]]
    return EquipmentPath(tuple(levels))


def _source_time(data: ua.DataValue) -> datetime:
    ts = data.SourceTimestamp or data.ServerTimestamp or datetime.now(UTC)
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
