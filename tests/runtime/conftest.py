"""``openfab serve`` in a process of its own, on a database of its own, and what a plant's
integrator does against it: order over REST, read dispatch lists, report operations."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from openfab.platform import Platform
from openfab.settings import Settings
from tests.conftest import PASSWORD, make_plant_staff, make_tenant

SECRET = "serve-test-secret-not-for-production-0123"
Dispatch = dict[str, dict[str, Any]]
Send = Callable[[str, list[dict[str, Any]]], None]


class Served:
    """A running ``openfab serve``, a signed-in customer of one tenant and the plant's
    planner."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, tenant: str, log: Path):
        self.process, self.log, self.tenant = process, log, tenant
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        self.customer: dict[str, str] = {}
        self.planner: dict[str, str] = {}

    def sign_in(self, email: str) -> dict[str, str]:
        response = self.http.post("/auth/token", data={"username": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def order(self) -> dict[str, Any]:
        choices = self.http.post(
            "/products/fridge/complete", json={"choices": {}}, headers=self.customer
        ).json()["choices"]
        response = self.http.post(
            "/orders", json={"product": "fridge", "choices": choices}, headers=self.customer
        )
        assert response.status_code == 201, response.text
        order: dict[str, Any] = response.json()
        return order

    def status(self, order_id: str) -> str:
        status: str = self.http.get(f"/orders/{order_id}", headers=self.customer).json()["status"]
        return status

    def wait_for_dead_letter(self, timeout: float = 20) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            letters: list[dict[str, Any]] = self.http.get(
                "/floor/dead-letters", headers=self.planner
            ).json()["data"]
            if letters:
                return letters
            time.sleep(0.2)
        raise AssertionError(f"no dead letter; server log:\n{self.log.read_text()[-3000:]}")

    def stop_cleanly(self) -> None:
        """SIGTERM, as a service manager stops it: the workers stop, what was taken is
        committed and acknowledged, and the process ends (uvicorn re-raises the signal
        after its graceful shutdown, so the exit status is -15, not a crash)."""
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(30) in (0, -signal.SIGTERM)
        log = self.log.read_text()
        assert "Application shutdown complete" in log, log[-3000:]
        assert "Traceback" not in log, log[-3000:]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(tmp_path: Path, bus: str) -> Iterator[Served]:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    platform = Platform.open(url, settings=Settings(database_url=url, jwt_secret=SECRET))
    people = make_tenant(platform)
    staff = make_plant_staff(platform)
    platform.close()
    port = _free_port()
    env = os.environ | {
        "OPENFAB_DATABASE_URL": url,
        "OPENFAB_JWT_SECRET": SECRET,
        "OPENFAB_AUTOPILOT_INTERVAL_SECONDS": "0.3",
        "OPENFAB_CLIENT_NAME": f"test-{uuid.uuid4().hex[:8]}",
    }
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "openfab", "serve", "--bus", bus, "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    served = Served(process, port, people.tenant_id, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if served.http.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "openfab serve did not come up"
            time.sleep(0.3)
        served.customer = served.sign_in(people.alice.name.removeprefix("user:"))
        served.planner = served.sign_in(staff.email("planner"))
        yield served
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


@pytest.fixture
def served_mqtt(tmp_path: Path) -> Iterator[Served]:
    yield from serve(tmp_path, "mqtt")


@pytest.fixture
def served_nats(tmp_path: Path) -> Iterator[Served]:
    yield from serve(tmp_path, "nats")


def floor_message(kind: str, work_order: str, operation: int, **extra: Any) -> dict[str, Any]:
    return {
        "message_id": uuid.uuid4().hex[:16],
        "type": kind,
        "at": datetime.now(UTC).isoformat(),
        "work_order": work_order,
        "operation": operation,
        **extra,
    }


def _wait(what: str, check: Callable[[], Any], served: Served, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen; server log:\n{served.log.read_text()[-4000:]}")


def drive_order(served: Served, dispatch: Dispatch, send: Send) -> dict[str, Any]:
    """Order over REST, then run each operation where its dispatch list puts it."""
    order = served.order()
    number = "WO-" + order["number"].removeprefix("SO-")

    def ours() -> dict[int, tuple[str, dict[str, Any]]]:
        return {
            item["operation"]: (path, item)
            for path, body in list(dispatch.items())
            for item in body["operations"]
            if item["work_order"] == number
        }

    steps = len(order["configured"]["routing"])

    def every_step() -> dict[int, tuple[str, dict[str, Any]]]:
        """Each machine's list comes on its own topic: wait for all of the order's steps
        (the first list to arrive may name a later step and not the one before it)."""
        found = ours()
        return found if len(found) >= steps else {}

    operations = _wait(f"dispatch lists with the {steps} steps of {number}", every_step, served)
    for sequence in sorted(operations):
        path, item = operations[sequence]
        send(path, [floor_message("operation.started", number, sequence)])
        done = floor_message("operation.finished", number, sequence, good=item["quantity"])
        send(path, [done])

        def finished(step: int = sequence) -> bool:
            return step not in ours()

        _wait(f"operation {sequence} finished", finished, served)
    _wait("Inspected", lambda: served.status(order["id"]) == "Inspected", served)
    return order
