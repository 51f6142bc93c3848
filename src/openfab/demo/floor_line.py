"""How the simulated plant's messages reach the gateway: in process, or over a real MQTT or
NATS JetStream broker into the product's own broker doors (``gateway.transports``), exactly
as a plant's would. ``send`` returns once the gateway committed them (the demo steps its
simulated clock in lockstep) with the refusals it reported."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from itertools import groupby
from typing import Any, Protocol

from openfab.connect.mqtt import MqttClient, MqttSettings
from openfab.connect.nats import NatsClient, NatsSettings
from openfab.connect.topics import EquipmentPath, floor_subject, floor_topic
from openfab.gateway.service import Gateway
from openfab.gateway.transports import (
    MqttFloorSource,
    NatsFloorSource,
    Tally,
    ensure_floor_stream,
)

Messages = Sequence[tuple[EquipmentPath, dict[str, Any]]]
Refusals = list[tuple[str, str]]
MAX_PER_PAYLOAD = 1000


def payloads(messages: Messages) -> list[tuple[EquipmentPath, list[dict[str, Any]]]]:
    """Consecutive messages of one sender as one payload (at most 1,000), order kept."""
    out = []
    for path, group in groupby(messages, key=lambda m: m[0]):
        items = [m for _, m in group]
        out += [
            (path, items[i : i + MAX_PER_PAYLOAD]) for i in range(0, len(items), MAX_PER_PAYLOAD)
        ]
    return out


class FloorLine(Protocol):
    def send(self, messages: Messages) -> Refusals: ...
    def close(self) -> None: ...


class InProcessFloorLine:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def send(self, messages: Messages) -> Refusals:
        result = self.gateway.receive_many(payloads(messages), transport="inprocess")
        return [(p.code, p.reason) for p in result.problems]

    def close(self) -> None:
        return None


def _wait(tally: Tally, before: tuple[int, int], sent: int, received: Any) -> Refusals:
    """Until the door applied ``sent`` more payloads; the refusals they brought."""
    deadline = time.monotonic() + 120
    while received() < sent:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the gateway applied {received()} of {sent} payloads")
        time.sleep(0.002)
    count = tally.dead_lettered - before[1]
    return [(p.code, p.reason) for p in list(tally.problems)[-count:]] if count else []


class MqttFloorLine:
    """Machines publish on ``…/$floor`` (QoS 1); the gateway's MQTT door applies them."""

    def __init__(self, gateway: Gateway, run: str, settings: MqttSettings | None = None):
        name = f"demo-{run}"[:40]
        self.door = MqttFloorSource(
            gateway, settings, client_id=f"{name}-gateway", group=f"{name}-gateway"
        ).start()
        self.machines = MqttClient(settings, client_id=f"{name}-machines").start()
        self.sent = 0

    def send(self, messages: Messages) -> Refusals:
        before = (self.door.results.applied, self.door.results.dead_lettered)
        for path, items in payloads(messages):
            self.machines.publish(floor_topic(path), json.dumps(items).encode())
            self.sent += 1
        self.machines.flush(60)
        return _wait(self.door.results, before, self.sent, lambda: self.door.received)

    def close(self) -> None:
        self.machines.stop(end_session=True)
        self.door.stop()


class NatsFloorLine:
    """Machines publish to ``openfab.floor.…`` in JetStream; the gateway's NATS door pulls."""

    def __init__(self, gateway: Gateway, run: str, settings: NatsSettings | None = None):
        self.machines = NatsClient(settings, name=f"demo-{run}-machines")
        self.machines.loop.run(ensure_floor_stream(self.machines), timeout=15)
        self.door = NatsFloorSource(gateway, settings, durable=f"demo-{run}-gateway"[:60]).start()
        self.sent = 0
        self.run = run

    def send(self, messages: Messages) -> Refusals:
        before = (self.door.results.applied, self.door.results.dead_lettered)
        triples = []
        for path, items in payloads(messages):
            self.sent += 1
            triples.append(
                (floor_subject(path), json.dumps(items).encode(), f"{self.run}-{self.sent}")
            )
        self.machines.loop.run(self.machines.publish_all(triples))
        return _wait(self.door.results, before, self.sent, lambda: self.door.received)

    def close(self) -> None:
        self.door.stop(delete=True)
        self.machines.close()


def open_floor_line(bus: str, gateway: Gateway, run: str) -> FloorLine:
    if bus == "mqtt":
        return MqttFloorLine(gateway, run)
    if bus == "nats":
        return NatsFloorLine(gateway, run)
    return InProcessFloorLine(gateway)
