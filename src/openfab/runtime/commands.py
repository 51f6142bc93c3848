"""Machine commands out: what the autopilots ask of a machine, delivered where it listens.

A relay consumer of the event log. An event that asks a machine to change — a re-centred
setpoint (``quality.setpoint_requested``) or a stop for maintenance
(``quality.maintenance_requested``) — becomes one command on MQTT
``openfab/{site}/{area}/{line}/{machine}/$command`` (QoS 1, not retained: an instruction, not
state; a machine that was away must not act on a stale one) and on NATS
``openfab.command.{…}`` (a JetStream stream, one message per command). ``command_id`` is the
event's id, so a machine dedupes redeliveries; it answers with a ``command.acknowledged`` floor
message. A booked maintenance window is no command (the dispatch list and the plan carry it);
a request naming no machine (a step) is for the floor's engineers. ``docs/contracts/
command-v1.schema.json`` is generated from ``MachineCommand`` (a test keeps it current).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, Protocol, TypeGuard

from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError
from pydantic import BaseModel, ConfigDict, Field

from openfab.connect.bus import EventMessage
from openfab.connect.mqtt import QOS, MqttClient, MqttSettings
from openfab.connect.nats import NatsClient, NatsSettings
from openfab.connect.topics import NATS_COMMAND, EquipmentPath, command_subject, command_topic
from openfab.gateway.equipment import EquipmentDirectory

log = logging.getLogger(__name__)
VERSION: Literal[1] = 1
COMMAND_STREAM = "OPENFAB_COMMANDS"
Kind = Literal["setpoint", "maintenance_stop"]
_KINDS: dict[str, Kind] = {
    "quality.setpoint_requested": "setpoint",
    "quality.maintenance_requested": "maintenance_stop",
}


class MachineCommand(BaseModel):
    """One instruction to one machine (contract version 1)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = VERSION
    command_id: str = Field(description="The event's id: unique, stable across redeliveries.")
    kind: Kind
    machine: str
    equipment_path: str = Field(description="site/area/line/machine")
    issued_at: datetime
    parameter: str | None = Field(default=None, description="For a setpoint: which one.")
    setpoint: float | None = Field(default=None, description="For a setpoint: the new value.")
    observed: float | None = Field(default=None, description="The value that drifted.")
    minutes: float | None = Field(default=None, description="For a stop: how long.")
    reason: str = ""
    source_event: str = Field(description="The event type that asked for it.")


def command_of(event: EventMessage, path: EquipmentPath) -> MachineCommand | None:
    """The command an event asks of the machine at ``path``; None when it asks none (or
    asks it with values a machine could not act on)."""
    kind = _KINDS.get(event.type)
    if kind is None:
        return None
    body = event.payload
    common: dict[str, Any] = {
        "command_id": event.event_id,
        "kind": kind,
        "machine": path.machine,
        "equipment_path": str(path),
        "issued_at": event.occurred_at,
        "reason": str(body.get("reason") or "")[:500],
        "source_event": event.type,
    }
    if kind == "setpoint":
        parameter, target = body.get("parameter"), body.get("target")
        if not isinstance(parameter, str) or not parameter or not _number(target):
            return None
        observed = body.get("observed")
        return MachineCommand(
            **common,
            parameter=parameter,
            setpoint=float(target),
            observed=float(observed) if _number(observed) else None,
        )
    minutes = body.get("minutes")
    return MachineCommand(**common, minutes=float(minutes) if _number(minutes) else None)


def _number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def command_payload(command: MachineCommand) -> bytes:
    return command.model_dump_json(exclude_none=True).encode()


def json_schema() -> dict[str, Any]:
    """The command contract as JSON Schema (2020-12)."""
    schema = MachineCommand.model_json_schema(ref_template="#/$defs/{model}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://openfab.dev/contracts/command-v{VERSION}.schema.json",
        "description": (
            "One command to one machine, on MQTT openfab/{site}/{area}/{line}/{machine}/$command"
            " (QoS 1, not retained) and NATS openfab.command.{site}.{area}.{line}.{machine}."
            " command_id is stable: a machine applies it once and answers with a"
            " command.acknowledged floor message."
        ),
        **schema,
    }


class CommandSink(Protocol):
    def send(self, path: EquipmentPath, payload: bytes) -> None: ...
    def close(self) -> None: ...


class MqttCommandSink:
    def __init__(
        self, settings: MqttSettings | None = None, *, client_id: str = "openfab-commands"
    ) -> None:
        self.mqtt = MqttClient(settings, client_id=client_id).start()

    def send(self, path: EquipmentPath, payload: bytes) -> None:
        info = self.mqtt.client.publish(command_topic(path), payload, qos=QOS, retain=False)
        info.wait_for_publish(30)

    def close(self) -> None:
        self.mqtt.stop()


class NatsCommandSink:
    def __init__(self, settings: NatsSettings | None = None) -> None:
        self.client = NatsClient(settings, name="openfab-commands")
        self.client.loop.run(self._stream(), timeout=15)

    async def _stream(self) -> None:
        try:
            await self.client.js.stream_info(COMMAND_STREAM)
        except NotFoundError:
            await self.client.js.add_stream(
                StreamConfig(
                    name=COMMAND_STREAM,
                    subjects=[f"{NATS_COMMAND}.>"],
                    storage=StorageType.FILE,
                    duplicate_window=3600.0,
                )
            )

    def send(self, path: EquipmentPath, payload: bytes, msg_id: str | None = None) -> None:
        headers = {"Nats-Msg-Id": msg_id} if msg_id else None
        publish = self.client.js.publish(command_subject(path), payload, headers=headers)
        self.client.loop.run(publish, timeout=30)

    def close(self) -> None:
        self.client.close()


class CommandPublisher:
    """Each command-asking event out once per delivery of the relay (the relay's cursor
    moves after the batch; a redelivery after a crash carries the same ``command_id``)."""

    name = "commands"
    patterns = tuple(_KINDS)

    def __init__(self, directory: EquipmentDirectory, sink: CommandSink) -> None:
        self.directory = directory
        self.sink = sink
        self.sent = 0
        self.unknown = 0

    def handle(self, events: Sequence[EventMessage]) -> None:
        for event in events:
            machine = str(event.payload.get("machine") or "")
            if not machine or event.type not in _KINDS:
                continue  # a step, not a machine: the floor's engineers decide
            path = self.directory.path_of(machine)
            if path is None:
                self.unknown += 1
                log.warning(
                    "command %s: machine %r is not in the plant's layout", event.type, machine
                )
                continue
            command = command_of(event, path)
            if command is None:
                log.warning(
                    "event %s (%s) asks no command a machine can apply", event.event_id, event.type
                )
                continue
            self._send(path, command)
            self.sent += 1

    def _send(self, path: EquipmentPath, command: MachineCommand) -> None:
        payload = command_payload(command)
        if isinstance(self.sink, NatsCommandSink):
            self.sink.send(path, payload, msg_id=command.command_id)
        else:
            self.sink.send(path, payload)
