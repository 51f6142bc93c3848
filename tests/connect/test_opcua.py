"""OPC UA: a machine served by OpenFab, and OpenFab ingesting from an OPC UA server."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from asyncua import ua
from asyncua.common.node import Node
from asyncua.crypto import cert_gen
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.server import Server
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from typer.testing import CliRunner

from openfab.commands import handled
from openfab.connect import opcua_cli
from openfab.connect.ingest import TelemetryIngest
from openfab.connect.loop import BackgroundLoop
from openfab.connect.nodemap import parse_node_map
from openfab.connect.opcua import (
    OpcUaIngestSource,
    OpcUaMachineServer,
    OpcUaSecurity,
    path_from_folders,
)
from openfab.connect.telemetry import Reading
from openfab.connect.topics import EquipmentPath
from openfab.errors import InvalidInput
from openfab.store import Database

from .conftest import dead_letters, free_port, stored_ids, wait_for

PATH = EquipmentPath.machine_path("plant1", "stamping", "line1", "press-7")


@pytest.fixture(scope="module")
def machine_server() -> Iterator[OpcUaMachineServer]:
    """One server for the module: asyncua takes seconds to build its address space."""
    server = OpcUaMachineServer(
        PATH, ["temperature", "vibration"], endpoint=f"opc.tcp://127.0.0.1:{free_port()}/openfab/"
    ).start()
    yield server
    server.stop()


def test_subscription_ingests_every_change_with_its_source_time(
    database: Database, ingest: TelemetryIngest, machine_server: OpcUaMachineServer
) -> None:
    source = OpcUaIngestSource(ingest.start(), machine_server.endpoint, period_ms=20).start()
    try:
        wait_for(lambda: ingest.stats.received >= 2, what="the initial values")
        t0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
        sent = []
        for i in range(10):
            reading = Reading(f"r{i}", PATH, "vibration", 1.0 + i, t0 + timedelta(seconds=i))
            machine_server(reading)  # the twin's sink interface
            sent.append(reading)
            wait_for(lambda n=i: source.changes >= 3 + n, what=f"change {i}")
        assert ingest.drain(10)
    finally:
        source.stop()
    with database.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT path, signal, value FROM telemetry_reading WHERE signal = 'vibration' "
            "AND value >= 1 ORDER BY value"
        ).all()
    assert [(r[0], r[1], r[2]) for r in rows] == [(str(PATH), "vibration", r.value) for r in sent]


def test_a_resubscription_stores_nothing_twice(
    database: Database, ingest: TelemetryIngest, machine_server: OpcUaMachineServer
) -> None:
    machine_server.update("temperature", 55.5, datetime(2026, 11, 26, 10, tzinfo=UTC))
    for _ in range(2):  # connect, read the current values, disconnect — twice
        source = OpcUaIngestSource(ingest.start(), machine_server.endpoint).start()
        wait_for(lambda s=source: s.changes >= 2, what="the current values")
        source.stop()
    assert ingest.drain(10)
    assert len(stored_ids(database)) == 2  # temperature and vibration, once each
    assert ingest.stats.duplicates == 2


def test_unknown_signals_are_refused(machine_server: OpcUaMachineServer) -> None:
    with pytest.raises(KeyError):
        machine_server.update("pressure", 1.0)


# -- a third-party-like server: nested folders, text and boolean nodes, node maps ---------------
class PlantServer:
    """An OPC UA server laid out as vendors do: ``Objects/Plant/Line1/Press9/...`` with string
    NodeIds, a numeric signal in tenths, a text state word and a boolean running bit."""

    NS = "urn:example:plant"

    def __init__(self, endpoint: str, *, secured: Path | None = None) -> None:
        self.endpoint = endpoint
        self.secured = secured  # a folder with server.pem/server-key.pem: encrypted + users only
        self.loop = BackgroundLoop("plant-server")
        self.server = Server(user_manager=_Users() if secured else None)
        self.variables: dict[str, Node] = {}
        self.loop.run(self._start(), timeout=60)

    async def _start(self) -> None:
        await self.server.init()
        self.server.set_endpoint(self.endpoint)
        if self.secured is None:
            self.server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        else:
            await self.server.set_application_uri(SERVER_URI)
            await self.server.load_certificate(str(self.secured / "server.pem"))
            await self.server.load_private_key(str(self.secured / "server-key.pem"))
            self.server.set_security_policy([ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt])
            self.server.set_identity_tokens([ua.UserNameIdentityToken])
        idx = await self.server.register_namespace(self.NS)
        folder = self.server.nodes.objects
        for name in ("Plant", "Line1", "Press9"):
            folder = await folder.add_folder(idx, name)
        await folder.add_property(idx, "SerialNumber", "SN-1")  # a property: no signal
        for name, value in (("Temperature", 200.0), ("State", "RUN"), ("Running", True)):
            node_id = f"ns={idx};s=Plant.Line1.Press9.{name}"
            self.variables[name] = await folder.add_variable(node_id, f"{idx}:{name}", value)
        await self.server.start()

    def write(self, name: str, value: Any, at: datetime) -> None:
        data = ua.DataValue(ua.Variant(value), SourceTimestamp=at, ServerTimestamp=at)  # type: ignore[arg-type]
        self.loop.run(self.variables[name].write_value(data), timeout=10)

    def stop(self) -> None:
        self.loop.run(self.server.stop(), timeout=15)
        self.loop.close()


class _Users:
    """The secured server's only user."""

    def get_user(
        self,
        iserver: Any,
        username: str | None = None,
        password: str | None = None,
        certificate: Any = None,
    ) -> User | None:
        return (
            User(role=UserRole.User) if (username, password) == ("integrator", "s3cret") else None
        )


SERVER_URI = "urn:example:plant:server"
CLIENT_URI = "urn:openfab:ingest"
PLANT_MAP = """
nodes:
  - browse_path: Objects/2:Plant/2:Line1/2:Press9/2:Temperature
    equipment: plant1/press-shop/line1/press-9
    signal: temperature
    scale: 0.1
    unit: degC
  - node: ns=2;s=Plant.Line1.Press9.State
    equipment: plant1/press-shop/line1/press-9
    message: machine.state
    states: {RUN: Running, STOP: Idle, FAULT: Down}
  - node: ns=2;s=Plant.Line1.Press9.Running
    equipment: plant1/press-shop/line1/feeder-9
    message: machine.state
    states: {true: Running, false: Idle}
  - node: ns=2;s=Plant.Line1.Press9.Pressure     # the server has no such node
    equipment: plant1/press-shop/line1/press-9
    signal: pressure
  - browse_path: Objects/2:Plant/2:Line2/2:Oven  # nor such a folder
    equipment: plant1/press-shop/line2/oven-1
    signal: temperature
"""
PRESS9 = EquipmentPath.machine_path("plant1", "press-shop", "line1", "press-9")
FEEDER9 = EquipmentPath.machine_path("plant1", "press-shop", "line1", "feeder-9")


class FloorInbox:
    """A floor sink that keeps what it is sent."""

    def __init__(self) -> None:
        self.messages: list[tuple[EquipmentPath, dict[str, Any]]] = []

    def __call__(self, path: EquipmentPath, messages: list[dict[str, Any]]) -> None:
        self.messages.extend((path, m) for m in messages)

    def states(self, path: EquipmentPath) -> list[str]:
        return [m["state"] for p, m in self.messages if p == path]


@pytest.fixture(scope="module")
def plant_server_once() -> Iterator[PlantServer]:
    """One server for the module: asyncua takes seconds to build its address space."""
    server = PlantServer(f"opc.tcp://127.0.0.1:{free_port()}/plant/")
    yield server
    server.stop()


@pytest.fixture
def plant_server(plant_server_once: PlantServer) -> PlantServer:
    """The shared server with its first values back, whatever a test before wrote."""
    now = datetime.now(UTC)
    for name, value in (("Temperature", 200.0), ("State", "RUN"), ("Running", True)):
        plant_server_once.write(name, value, now)
    return plant_server_once


def test_browsing_finds_variables_at_any_depth(
    database: Database, ingest: TelemetryIngest, plant_server: PlantServer
) -> None:
    """Without a node map, folders name the machine and numbers and booleans are readings;
    a text value cannot be one and is dead-lettered, saying how to use it."""
    source = OpcUaIngestSource(ingest.start(), plant_server.endpoint).start()
    try:
        wait_for(lambda: source.changes >= 3, what="the three current values")
        assert ingest.drain(10)
    finally:
        source.stop()
    with database.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT path, signal, value FROM telemetry_reading").all()
    path = "Plant/default/Line1/Press9"
    assert sorted((r[0], r[1], r[2]) for r in rows) == [
        (path, "Running", 1.0),
        (path, "Temperature", 200.0),
    ]
    [(code, reason, origin)] = dead_letters(database)
    assert (code, origin) == ("wrong_type", "opcua")
    assert "'RUN' is no number" in reason and "machine.state" in reason


def test_a_node_map_feeds_readings_and_shop_floor_states(
    database: Database, ingest: TelemetryIngest, plant_server: PlantServer
) -> None:
    """Mapped nodes become scaled readings and machine.state messages; nodes the server lacks
    are reported and the rest run; a state word missing from the map is dead-lettered."""
    inbox = FloorInbox()
    source = OpcUaIngestSource(
        ingest.start(),
        plant_server.endpoint,
        node_map=parse_node_map(PLANT_MAP),
        floor_sink=inbox,
        period_ms=20,
    ).start()
    try:
        assert sorted(str(u.ref) for u in source.unresolved) == [
            "Objects/2:Plant/2:Line2/2:Oven",
            "ns=2;s=Plant.Line1.Press9.Pressure",
        ]
        wait_for(lambda: len(inbox.messages) >= 2, what="the current states")
        at = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
        plant_server.write("State", "FAULT", at)
        plant_server.write("Running", False, at)
        wait_for(lambda: len(inbox.messages) >= 4, what="the new states")
        plant_server.write("State", "WARMUP", at + timedelta(seconds=1))
        wait_for(lambda: source.changes >= 6, what="the unknown state word")
        assert ingest.drain(10)
    finally:
        source.stop()
    with database.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT path, signal, value FROM telemetry_reading").all()
    assert [(r[0], r[1]) for r in rows] == [(str(PRESS9), "temperature")]
    assert rows[0][2] == pytest.approx(20.0)
    assert inbox.states(PRESS9) == ["Running", "Down"]
    assert inbox.states(FEEDER9) == ["Running", "Idle"]
    fault = inbox.messages[-2][1] if inbox.messages[-2][0] == PRESS9 else inbox.messages[-1][1]
    assert fault == {
        "message_id": fault["message_id"],
        "type": "machine.state",
        "at": "2026-11-26T09:30:00+00:00",
        "state": "Down",
        "reason": "FAULT",
    }
    [(code, reason, _)] = dead_letters(database)
    assert code == "unmapped_state" and "'WARMUP' is none of RUN, STOP, FAULT" in reason


def test_a_resubscription_sends_the_same_floor_message_ids(
    ingest: TelemetryIngest, plant_server: PlantServer
) -> None:
    """Message ids come from server, node, source time and value: a consumer that has seen
    a state once recognises it when a reconnect reads it again."""
    plant_server.write("State", "STOP", datetime(2026, 11, 26, 11, tzinfo=UTC))
    ids = []
    for _ in range(2):
        inbox = FloorInbox()
        source = OpcUaIngestSource(
            ingest.start(),
            plant_server.endpoint,
            node_map=parse_node_map(PLANT_MAP),
            floor_sink=inbox,
        ).start()
        wait_for(lambda i=inbox: len(i.messages) >= 2, what="the current states")
        source.stop()
        ids.append(sorted(m["message_id"] for _, m in inbox.messages))
    assert ids[0] == ids[1]


def _certificate(folder: Path, name: str, uri: str, usage: x509.ObjectIdentifier) -> None:
    key = cert_gen.generate_private_key()
    san: list[x509.GeneralName] = [
        x509.UniformResourceIdentifier(uri),
        x509.DNSName(socket.gethostname()),
    ]
    cert = cert_gen.generate_self_signed_app_certificate(key, uri, {}, san, extended=[usage])
    (folder / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / f"{name}-key.pem").write_bytes(cert_gen.dump_private_key_as_pem(key))


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pki")
    _certificate(folder, "server", SERVER_URI, ExtendedKeyUsageOID.SERVER_AUTH)
    _certificate(folder, "client", CLIENT_URI, ExtendedKeyUsageOID.CLIENT_AUTH)
    return folder


def test_a_signed_and_encrypted_connection_with_a_user(
    database: Database, ingest: TelemetryIngest, certificates: Path
) -> None:
    """A server that offers only Basic256Sha256 SignAndEncrypt and only named users: the
    source connects with its certificate and credentials and ingests as usual."""
    server = PlantServer(f"opc.tcp://127.0.0.1:{free_port()}/secure/", secured=certificates)
    security = OpcUaSecurity(
        policy="Basic256Sha256",
        mode="SignAndEncrypt",
        certificate=certificates / "client.pem",
        private_key=certificates / "client-key.pem",
        username="integrator",
        password="s3cret",
    )
    try:
        source = OpcUaIngestSource(ingest.start(), server.endpoint, security=security).start()
        wait_for(lambda: source.changes >= 3, what="the current values over the secure channel")
        source.stop()
        assert ingest.drain(10)
    finally:
        server.stop()
    assert len(stored_ids(database)) == 2


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        # a policy without the client's certificate and key
        ({"policy": "Basic256Sha256"}, "needs a client certificate"),
        # a policy asyncua does not have
        ({"policy": "Basic512"}, "unknown policy"),
        # a mode that is no OPC UA message security mode
        ({"mode": "Encrypt"}, "Sign or SignAndEncrypt"),
        # a password for nobody
        ({"password": "x"}, "needs a username"),
    ],
)
def test_inconsistent_security_options_are_refused(options: dict[str, Any], problem: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        OpcUaSecurity(**options)
    assert problem in str(caught.value)


def test_folder_names_make_an_equipment_path() -> None:
    assert str(path_from_folders(["Press"])) == "opcua/default/default/Press"
    assert str(path_from_folders(["Plant", "Line", "M 1"])) == "Plant/default/Line/M_1"
    assert (
        str(path_from_folders(["Corp", "Plant", "Area", "Line", "M"])) == "Corp/Plant.Area/Line/M"
    )


def _cli() -> typer.Typer:
    """``openfab opcua ingest`` as the platform's CLI registers it."""
    app = typer.Typer()
    app.command("ingest")(handled(opcua_cli.ingest))
    app.command("other")(lambda: None)  # two commands, so "ingest" is a subcommand
    return app


def test_the_cli_ingests_through_a_node_map(plant_server: PlantServer, tmp_path: Path) -> None:
    (tmp_path / "map.yaml").write_text(PLANT_MAP)
    db, floor = f"sqlite:///{tmp_path / 'cli.db'}", tmp_path / "floor.jsonl"
    argv = ["ingest", plant_server.endpoint, "--node-map", str(tmp_path / "map.yaml")]
    argv += ["--db", db, "--floor-out", str(floor), "--duration", "2"]
    result = CliRunner().invoke(_cli(), argv)
    assert result.exit_code == 0, result.output
    assert "not subscribed: ns=2;s=Plant.Line1.Press9.Pressure" in result.output
    lines = [json.loads(line) for line in floor.read_text().splitlines()]
    assert sorted((m["path"], m["state"]) for m in lines) == [
        (str(FEEDER9), "Running"),
        (str(PRESS9), "Running"),
    ]


def test_the_cli_names_every_problem_of_a_node_map(tmp_path: Path) -> None:
    (tmp_path / "map.yaml").write_text("nodes:\n  - node: x\n    equipment: a/b\n    signal: t\n")
    argv = ["ingest", "opc.tcp://127.0.0.1:1", "--node-map", str(tmp_path / "map.yaml")]
    result = CliRunner().invoke(_cli(), argv)
    assert result.exit_code == 1
    assert "nodes[0].node" in result.output and "nodes[0].equipment" in result.output
