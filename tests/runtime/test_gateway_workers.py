"""The gateway as ``openfab worker gateway`` processes fed by a plain paho client: killed with
-9 mid-stream and restarted it loses and duplicates nothing; two copies share the messages and
apply each once. Counted in the database: one machine-state row per message."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import create_engine, func, select

from openfab.execution.orm import MachineStateRow
from openfab.gateway.equipment import EquipmentDirectory
from openfab.platform import Platform
from openfab.settings import Settings
from tests.conftest import make_tenant

# One at a time: they share the plant's machine topics on the one local broker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("floor-broker")]
MACHINES = 10
PER_MACHINE = 60
"""Mosquitto keeps at most 1,000 queued messages per client by default (max_queued_messages)
and drops the rest, so the test stays below it; a plant raises it (docs/integrators.md)."""


class Plant:
    """A database with the sample plant, and worker processes of one installation."""

    def __init__(self, tmp_path: Path) -> None:
        self.url = f"sqlite:///{tmp_path / 'plant.db'}"
        platform = Platform.open(self.url, settings=Settings(database_url=self.url))
        make_tenant(platform)  # the sample products define the machines
        platform.close()
        self.tmp = tmp_path
        self.db = create_engine(self.url)
        self.name = f"test-{uuid.uuid4().hex[:8]}"
        self.workers: list[subprocess.Popen[bytes]] = []
        paths = EquipmentDirectory.load().paths
        self.machines = [paths[m] for m in sorted(paths)[:MACHINES]]

    def start_worker(self, instance: str) -> subprocess.Popen[bytes]:
        env = os.environ | {
            "OPENFAB_DATABASE_URL": self.url,
            "OPENFAB_CLIENT_NAME": self.name,
            "OPENFAB_INSTANCE": instance,
        }
        path = self.tmp / f"worker-{instance}.log"
        seen = path.read_text().count("running on") if path.exists() else 0
        command = [sys.executable, "-m", "openfab", "worker", "gateway", "--bus", "mqtt"]
        with path.open("ab") as log:
            process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(process)
        deadline = time.monotonic() + 60
        while path.read_text().count("running on") == seen:  # connected
            assert process.poll() is None and time.monotonic() < deadline, path.read_text()
            time.sleep(0.1)
        time.sleep(1)  # subscribed (from here the persistent session keeps what is sent)
        return process

    def publish(self, start: int, count: int, *, pace: float = 0.0) -> None:
        """``count`` machine-state messages per machine, one message per payload; ``pace``
        seconds between rounds of the machines (a plant sends over time)."""
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{self.name}-plc")
        client.connect("127.0.0.1", 1883)
        client.loop_start()
        at = datetime(2026, 3, 2, tzinfo=UTC)
        infos = []
        for n in range(start, start + count):
            for path in self.machines:
                body = {
                    "message_id": f"{self.name}-{n}",  # every machine numbers alike
                    "type": "machine.state",
                    "at": (at + timedelta(seconds=n)).isoformat(),
                    "state": "Running" if n % 2 else "Idle",
                    "reason": self.name,
                }
                topic = f"openfab/{path}/$floor"
                infos.append(client.publish(topic, json.dumps(body), qos=1))
            time.sleep(pace)
        for info in infos:
            info.wait_for_publish(30)
        client.loop_stop()
        client.disconnect()

    def stored(self) -> int:
        with self.db.connect() as conn:
            count = conn.scalar(
                select(func.count())
                .select_from(MachineStateRow.__table__)
                .where(MachineStateRow.__table__.c.reason == self.name)
            )
        return int(count or 0)

    def wait_for(self, expected: int, timeout: float = 90) -> int:
        deadline = time.monotonic() + timeout
        stored = self.stored()
        while stored < expected and time.monotonic() < deadline:
            time.sleep(0.5)
            stored = self.stored()
        time.sleep(2)  # anything more would be a duplicate
        return self.stored()

    def stop(self) -> None:
        self.db.dispose()
        for process in self.workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.workers:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def plant(tmp_path: Path) -> Iterator[Plant]:
    running = Plant(tmp_path)
    yield running
    running.stop()


def test_kill_9_of_the_gateway_mid_stream_loses_and_duplicates_nothing(plant: Plant) -> None:
    worker = plant.start_worker("one")
    sender = threading.Thread(target=plant.publish, args=(0, PER_MACHINE), kwargs={"pace": 0.05})
    sender.start()
    deadline = time.monotonic() + 30
    while plant.stored() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)  # mid-stream: some applied, some in flight, some queued
    worker.wait(10)
    sender.join()
    partial = plant.stored()
    assert 0 < partial < MACHINES * PER_MACHINE
    plant.publish(PER_MACHINE, 20)  # the plant goes on while the gateway is down
    plant.start_worker("one")  # the same session resumes
    total = MACHINES * (PER_MACHINE + 20)
    assert plant.wait_for(total) == total


def test_two_copies_of_the_gateway_apply_each_message_once(plant: Plant) -> None:
    first, second = plant.start_worker("a"), plant.start_worker("b")
    plant.publish(0, PER_MACHINE)
    total = MACHINES * PER_MACHINE
    assert plant.wait_for(total) == total
    assert first.poll() is None and second.poll() is None  # neither evicted the other
    logs = [(plant.tmp / f"worker-{i}.log").read_text() for i in ("a", "b")]
    assert all("Traceback" not in log for log in logs)
