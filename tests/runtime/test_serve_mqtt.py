"""An integrator's run: ``openfab serve --bus mqtt`` in its own process, a customer ordering
over REST and the plant's machines as a plain paho-mqtt client — no demo code. The order is
planned and released by the autopilot, the machines read their dispatch lists, report their
operations on ``$floor`` and the order reaches Inspected; its events come out per tenant."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import defaultdict
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.runtime.conftest import Served, drive_order

# One at a time: they share the plant's machine topics on the one local broker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("floor-broker")]


class Plant:
    """The machines: one paho client that reads dispatch lists and reports operations."""

    def __init__(self, tenant: str) -> None:
        self.dispatch: dict[str, dict[str, Any]] = {}
        self.events: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        self.ready = threading.Event()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"plant-{uuid.uuid4().hex[:8]}")
        client.on_connect = lambda c, *_: self._subscribe(c, tenant)
        client.on_message = self._message
        client.connect("127.0.0.1", 1883)
        client.loop_start()
        self.client = client
        assert self.ready.wait(10)

    def _subscribe(self, client: mqtt.Client, tenant: str) -> None:
        client.subscribe("openfab/+/+/+/+/$dispatch", qos=1)
        client.subscribe(f"openfab/{tenant}/$events/#", qos=1)
        self.ready.set()

    def _message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        body = json.loads(message.payload)
        if message.topic.endswith("/$dispatch"):
            self.dispatch[message.topic.removeprefix("openfab/").removesuffix("/$dispatch")] = body
        else:
            self.events[message.topic.rpartition("/")[2]].append(body)

    def send(self, path: str, messages: list[dict[str, Any]]) -> None:
        info = self.client.publish(f"openfab/{path}/$floor", json.dumps(messages), qos=1)
        info.wait_for_publish(10)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def test_an_order_runs_from_release_to_inspected_over_mqtt(served_mqtt: Served) -> None:
    plant = Plant(served_mqtt.tenant)
    try:
        order = drive_order(served_mqtt, plant.dispatch, plant.send)
        deadline = time.monotonic() + 10
        while "order.placed" not in plant.events and time.monotonic() < deadline:
            time.sleep(0.1)
        placed = plant.events["order.placed"]
        assert [e["entity_id"] for e in placed] == [order["id"]]  # its own tenant's events
        assert all(e["tenant_id"] == served_mqtt.tenant for es in plant.events.values() for e in es)
        # a malformed message is kept in the dead-letter store, answered over REST
        path = next(iter(plant.dispatch))
        plant.send(path, [{"type": "operation.started", "at": "yesterday"}])
        letters = served_mqtt.wait_for_dead_letter()
        assert letters[0]["code"] == "invalid" and letters[0]["sender"] == path
    finally:
        plant.close()
    served_mqtt.stop_cleanly()
