"""Fixtures for connectivity tests: databases, readings, and private broker processes.

Round trips use the shared Mosquitto (127.0.0.1:1883) and NATS (127.0.0.1:4222). Tests that
restart a broker start a private one on a free port (same binaries, their own persistence
directory), so restarting it cannot disturb any other test running at the same time.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from openfab.connect.ingest import Backoff, TelemetryIngest
from openfab.connect.store import TelemetryStore
from openfab.connect.telemetry import Reading
from openfab.connect.topics import EquipmentPath
from openfab.store import Database
from tests.conftest import BACKENDS, scratch_database

PRESS = EquipmentPath.machine_path("plant1", "stamping", "line1", "press-1")


def make_readings(
    n: int, path: EquipmentPath = PRESS, signal: str = "temperature", *, start: int = 0
) -> list[Reading]:
    t0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    return [
        Reading(uuid.uuid4().hex, path, signal, 20.0 + i * 0.01, t0 + timedelta(seconds=i))
        for i in range(start, start + n)
    ]


@pytest.fixture(scope="session")
def connect_postgres_url(postgres_url: str) -> Iterator[str]:
    """One migrated PostgreSQL database for this package's tests (per xdist worker):
    creating and migrating one per test costs seconds each."""
    with scratch_database("openfab_connect") as url:
        db = Database(url)
        db.migrate()
        db.engine.dispose()
        yield url


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty telemetry store on SQLite (a file per test) and on PostgreSQL (emptied)."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'connect.db'}")
        db.migrate()
    else:
        db = Database(request.getfixturevalue("connect_postgres_url"))
        with db.engine.begin() as conn:
            conn.exec_driver_sql("TRUNCATE telemetry_reading, dead_letter")
    yield db
    db.engine.dispose()


@pytest.fixture
def ingest(database: Database) -> Iterator[TelemetryIngest]:
    started = TelemetryIngest(
        TelemetryStore(database.engine), batch_size=500, backoff=Backoff(first=0.02, most=0.2)
    )
    yield started
    started.stop(timeout=10)


def stored_ids(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return [row[0] for row in conn.exec_driver_sql("SELECT message_id FROM telemetry_reading")]


def dead_letters(db: Database) -> list[tuple[str, str, str]]:
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT code, reason, source FROM dead_letter").all()
        return [(r[0], r[1], r[2]) for r in rows]


def wait_for(predicate: object, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


@dataclass
class BrokerProcess:
    """A private broker: ``restart()`` stops it (SIGTERM, so it saves its state) and starts
    it again on the same port with the same data directory."""

    argv: list[str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT)
        _wait_listening(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(15)
            self.process = None

    def restart(self, down_for: float = 0.5) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()


def _binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if found is None:
        pytest.fail(f"{name} is not installed; the connectivity tests need the real server")
    return found


@pytest.fixture
def private_mosquitto(tmp_path: Path) -> Iterator[BrokerProcess]:
    port = free_port()
    data = tmp_path / "mosquitto"
    data.mkdir()
    conf = tmp_path / "mosquitto.conf"
    # max_queued_messages: Mosquitto's default (1000) drops QoS 1 messages for a consumer that
    # lags behind; a plant's broker is configured not to, and so is this one.
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
        f"persistence_location {data}/\nmax_queued_messages 1000000\n"
        f"user {getpass.getuser()}\n"  # run as root, Mosquitto would drop to a user that
    )  # cannot write its persistence file into our temporary directory
    broker = BrokerProcess([_binary("mosquitto"), "-c", str(conf)], port, tmp_path / "m.log")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def private_nats(tmp_path: Path) -> Iterator[BrokerProcess]:
    port = free_port()
    argv = [
        _binary("nats-server"),
        *("-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(tmp_path / "js")),
    ]
    server = BrokerProcess(argv, port, tmp_path / "nats.log")
    server.start()
    yield server
    server.stop()


@dataclass
class IngestProcess:
    """``openfab ingest …`` as a real process, to kill -9 or SIGTERM like an operator would."""

    argv: list[str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "COLUMNS": "120"}
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "openfab", "ingest", *self.argv],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )

    def kill(self) -> None:
        """kill -9: no handler runs, nothing buffered is flushed."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)
        self.process = None

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM, as a service manager stops it; returns the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        self.process = None
        return code

    def close(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite file that an ingest process and the test both open."""
    db = Database(f"sqlite:///{tmp_path / 'ingest.db'}")
    db.migrate()
    yield db
    db.engine.dispose()


def count_rows(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM telemetry_reading").scalar_one())
