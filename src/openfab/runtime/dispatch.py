"""Dispatch lists out: each machine's released operations, in the order to run them.

A consumer of the event backbone: when work orders are released, operations start or finish,
or a new plan moves them, every machine's list is computed again and published where the
machine listens — MQTT ``openfab/{site}/{area}/{line}/{machine}/$dispatch`` (retained, so a
machine that reconnects gets its list at once) or NATS ``openfab.dispatch.{…}`` (a stream that
keeps the last list per machine). A machine whose list emptied gets an empty list.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError

from openfab.connect.bus import EventMessage
from openfab.connect.mqtt import QOS, MqttClient, MqttSettings
from openfab.connect.nats import NatsClient, NatsSettings
from openfab.connect.topics import NATS_DISPATCH, EquipmentPath, dispatch_subject, dispatch_topic
from openfab.execution.schemas import DispatchItem
from openfab.execution.service import ExecutionService
from openfab.gateway.equipment import EquipmentDirectory
from openfab.store.types import utcnow

DISPATCH_STREAM = "OPENFAB_DISPATCH"


def dispatch_payload(machine: str, path: EquipmentPath, items: Sequence[DispatchItem]) -> bytes:
    body: dict[str, Any] = {
        "machine": machine,
        "equipment_path": str(path),
        "generated_at": utcnow().isoformat(),
        "operations": [i.model_dump(mode="json") for i in items],
    }
    return json.dumps(body, separators=(",", ":")).encode()


class DispatchSink(Protocol):
    def send(self, path: EquipmentPath, payload: bytes) -> None: ...
    def close(self) -> None: ...


class MqttDispatchSink:
    def __init__(
        self, settings: MqttSettings | None = None, *, client_id: str = "openfab-dispatch"
    ) -> None:
        self.mqtt = MqttClient(settings, client_id=client_id).start()

    def send(self, path: EquipmentPath, payload: bytes) -> None:
        info = self.mqtt.client.publish(dispatch_topic(path), payload, qos=QOS, retain=True)
        info.wait_for_publish(30)

    def close(self) -> None:
        self.mqtt.stop()


class NatsDispatchSink:
    def __init__(self, settings: NatsSettings | None = None) -> None:
        self.client = NatsClient(settings, name="openfab-dispatch")
        self.client.loop.run(self._stream(), timeout=15)

    async def _stream(self) -> None:
        try:
            await self.client.js.stream_info(DISPATCH_STREAM)
        except NotFoundError:
            await self.client.js.add_stream(
                StreamConfig(
                    name=DISPATCH_STREAM,
                    subjects=[f"{NATS_DISPATCH}.>"],
                    storage=StorageType.FILE,
                    max_msgs_per_subject=1,
                )
            )

    def send(self, path: EquipmentPath, payload: bytes) -> None:
        self.client.loop.run(self.client.js.publish(dispatch_subject(path), payload), timeout=30)

    def close(self) -> None:
        self.client.close()


class DispatchPublisher:
    name = "dispatch"
    patterns = ("work_order.*", "operation.*", "schedule.planned", "order.status_changed")

    def __init__(
        self, execution: ExecutionService, directory: EquipmentDirectory, sink: DispatchSink
    ) -> None:
        self.execution = execution
        self.directory = directory
        self.sink = sink
        self._sent: dict[str, bytes] = {}

    def handle(self, _events: Sequence[EventMessage]) -> None:
        """Publish every list that changed since the last batch (all of them after a
        restart: a machine may have missed them)."""
        lists = self.execution.dispatch_lists()
        for machine in sorted(set(lists) | set(self._sent)):
            path = self.directory.path_of(machine)
            if path is None:
                continue
            items = lists.get(machine, [])
            body = [i.model_dump(mode="json") for i in items]
            fingerprint = json.dumps(body).encode()
            if self._sent.get(machine) == fingerprint:
                continue
            self.sink.send(path, dispatch_payload(machine, path, items))
            self._sent[machine] = fingerprint
            if not items:
                del self._sent[machine]
