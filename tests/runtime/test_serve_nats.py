"""The integrator's run over NATS JetStream: ``openfab serve --bus nats``, machines as a plain
nats-py client reading ``openfab.dispatch.…`` and publishing to ``openfab.floor.…``."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import defaultdict
from typing import Any

import nats
import pytest

from tests.runtime.conftest import Served, drive_order

# One at a time: they share the plant's machine topics on the one local broker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("floor-broker")]


class Plant:
    """The machines: a nats-py connection on a loop of its own."""

    def __init__(self, tenant: str) -> None:
        self.dispatch: dict[str, dict[str, Any]] = {}
        self.events: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.nc = self._run(self._connect(tenant))

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    async def _connect(self, tenant: str) -> Any:
        nc = await nats.connect("nats://127.0.0.1:4222")

        async def dispatch(msg: Any) -> None:
            path = "/".join(msg.subject.split(".")[2:])
            self.dispatch[path] = json.loads(msg.data)

        async def event(msg: Any) -> None:
            body = json.loads(msg.data)
            self.events[body["type"]].append(body)

        await nc.subscribe("openfab.dispatch.>", cb=dispatch)
        await nc.subscribe(f"openfab.events.{tenant}.>", cb=event)
        return nc

    def send(self, path: str, messages: list[dict[str, Any]]) -> None:
        subject = "openfab.floor." + path.replace("/", ".")
        self._run(self.nc.jetstream().publish(subject, json.dumps(messages).encode()))

    def close(self) -> None:
        self._run(self.nc.close())
        self.loop.call_soon_threadsafe(self.loop.stop)


def test_an_order_runs_from_release_to_inspected_over_nats(served_nats: Served) -> None:
    plant = Plant(served_nats.tenant)
    try:
        order = drive_order(served_nats, plant.dispatch, plant.send)
        assert order["id"] in {e["entity_id"] for e in plant.events["order.placed"]}
        assert all(e["tenant_id"] == served_nats.tenant for es in plant.events.values() for e in es)
    finally:
        plant.close()
    served_nats.stop_cleanly()
