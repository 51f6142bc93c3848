"""Machine commands out (setpoints, stops) and their acknowledgements back in: the payload and
topics, the published contract, and a real Mosquitto / NATS JetStream subscriber receiving one;
the machine's answer goes through the gateway and is recorded once."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from openfab.connect.nats import NatsClient
from openfab.connect.topics import EquipmentPath, command_subject, command_topic
from openfab.gateway.contract import parse
from openfab.gateway.equipment import EquipmentDirectory
from openfab.platform import Platform
from openfab.runtime.commands import (
    COMMAND_STREAM,
    CommandPublisher,
    MachineCommand,
    MqttCommandSink,
    NatsCommandSink,
    command_of,
    json_schema,
)
from openfab.store import EventRecord
from openfab.store.events import EventMessage
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow
from tests.conftest import PLANT, make_tenant

CONTRACTS = Path(__file__).parents[2] / "docs" / "contracts"
DIRECTORY = EquipmentDirectory.load()
MACHINE = "drum_welding-1"
PATH = DIRECTORY.path_of(MACHINE)
assert PATH is not None


def event(type: str = "quality.setpoint_requested", **payload: Any) -> EventMessage:
    body = {
        "machine": MACHINE,
        "parameter": "weld_current_a",
        "target": 180.0,
        "observed": 191.2,
        "reason": "rule 1: beyond 3 sigma",
    }
    return EventMessage(
        seq=1,
        event_id=uuid.uuid4().hex,
        type=type,
        tenant_id=None,
        entity_type="quality_decision",
        entity_id="d1",
        payload={**body, **payload},
        actor="autopilot.quality",
        occurred_at=datetime(2026, 3, 2, 8, tzinfo=UTC),
    )


class ListSink:
    def __init__(self) -> None:
        self.sent: list[tuple[EquipmentPath, dict[str, Any]]] = []

    def send(self, path: EquipmentPath, payload: bytes) -> None:
        self.sent.append((path, json.loads(payload)))

    def close(self) -> None:
        pass


# -- payload, topics, contract ---------------------------------------------------------------
def test_a_setpoint_event_becomes_a_command_keyed_by_the_event_id() -> None:
    assert PATH is not None
    asked = event()
    command = command_of(asked, PATH)
    assert command is not None
    assert command.command_id == asked.event_id
    assert (command.kind, command.parameter, command.setpoint) == (
        "setpoint",
        "weld_current_a",
        180,
    )
    assert command.equipment_path == "plant-1/appliances/fabrication/drum_welding-1"
    assert command_topic(PATH) == "openfab/plant-1/appliances/fabrication/drum_welding-1/$command"
    assert command_subject(PATH) == "openfab.command.plant-1.appliances.fabrication.drum_welding-1"
    stop = command_of(event("quality.maintenance_requested", minutes=60.0), PATH)
    assert stop is not None and (stop.kind, stop.minutes) == ("maintenance_stop", 60.0)
    assert command_of(event(target="high"), PATH) is None  # nothing a machine could apply
    assert command_of(event("maintenance.window_started"), PATH) is None  # state, no command


def test_unknown_machines_and_step_requests_are_counted_or_skipped_never_a_crash() -> None:
    sink = ListSink()
    publisher = CommandPublisher(DIRECTORY, sink)
    publisher.handle([event(machine="no-such-press"), event(machine=""), event()])
    assert publisher.unknown == 1 and publisher.sent == 1
    assert [p for p, _ in sink.sent] == [PATH]


def test_the_published_command_schema_is_the_code_and_its_example_is_valid() -> None:
    published = json.loads((CONTRACTS / "command-v1.schema.json").read_text())
    assert published == json_schema(), "regenerate docs/contracts/command-v1.schema.json"
    for example in sorted((CONTRACTS / "examples" / "commands").glob("*.json")):
        payload = json.loads(example.read_text())
        jsonschema.validate(payload, published)
        MachineCommand.model_validate(payload)
    sink = ListSink()
    CommandPublisher(DIRECTORY, sink).handle([event()])
    jsonschema.validate(sink.sent[0][1], published)


# -- real brokers ----------------------------------------------------------------------------
@pytest.mark.slow
def test_an_external_mqtt_subscriber_receives_the_command_not_retained() -> None:
    assert PATH is not None
    got: list[mqtt.MQTTMessage] = []
    ready, arrived = threading.Event(), threading.Event()
    machine = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"m-{uuid.uuid4().hex[:8]}")
    machine.on_subscribe = lambda *_: ready.set()
    machine.on_message = lambda _c, _u, m: (got.append(m), arrived.set())
    machine.connect("127.0.0.1", 1883)
    machine.loop_start()
    sink = MqttCommandSink(client_id=f"cmd-{uuid.uuid4().hex[:8]}")
    try:
        machine.subscribe(command_topic(PATH), qos=1)
        assert ready.wait(10)
        asked = event()
        CommandPublisher(DIRECTORY, sink).handle([asked])
        assert arrived.wait(10)
        body = json.loads(got[0].payload)
        assert body["command_id"] == asked.event_id and body["setpoint"] == 180.0
        assert got[0].qos == 1 and not got[0].retain
    finally:
        sink.close()
        machine.loop_stop()
        machine.disconnect()


@pytest.mark.slow
def test_a_nats_stream_keeps_one_message_per_command() -> None:
    assert PATH is not None
    sink = NatsCommandSink()
    reader = NatsClient(name="test-machine")
    try:
        asked = event()
        publisher = CommandPublisher(DIRECTORY, sink)
        publisher.handle([asked])
        publisher.handle([asked])  # a redelivery: the stream's duplicate window drops it
        last = reader.loop.run(
            reader.js.get_last_msg(COMMAND_STREAM, command_subject(PATH)), timeout=10
        )
        assert last.data is not None
        assert json.loads(last.data)["command_id"] == asked.event_id
        info = reader.loop.run(
            reader.js.stream_info(COMMAND_STREAM, subjects_filter=command_subject(PATH)), timeout=10
        )
        counts = info.state.subjects or {}
        before = counts.get(command_subject(PATH), 0)
        publisher.handle([asked])
        info = reader.loop.run(
            reader.js.stream_info(COMMAND_STREAM, subjects_filter=command_subject(PATH)), timeout=10
        )
        assert (info.state.subjects or {}).get(command_subject(PATH), 0) == before
    finally:
        sink.close()
        reader.close()


# -- acknowledgements back in ----------------------------------------------------------------
def test_an_acknowledgement_goes_through_the_gateway_and_is_recorded_once(
    platform: Platform,
) -> None:
    make_tenant(platform)  # the shared plant's reference comes with the first tenant
    machine = sorted(platform.execution.machines())[0]
    path = platform.gateway.directory.path_of(machine)
    assert path is not None
    command_id = uuid.uuid4().hex
    ack = {
        "message_id": f"ack-{command_id[:8]}",
        "type": "command.acknowledged",
        "at": utcnow().isoformat(),
        "command_id": command_id,
        "status": "rejected",
        "reason": "setpoint outside the machine's interlock",
    }
    first = platform.gateway.receive(path, json.dumps(ack), transport="test")
    again = platform.gateway.receive(path, json.dumps(ack), transport="test")
    assert (first.applied, again.applied, again.duplicates) == (1, 0, 1)
    with platform.db.unit(Scope.plant(), actor="t", readonly=True) as uow:
        rows = uow.session.scalars(
            select(EventRecord).where(
                EventRecord.type == "machine.command_acknowledged",
                EventRecord.entity_id == command_id,
            )
        ).all()
    assert len(rows) == 1
    assert rows[0].payload["status"] == "rejected" and rows[0].payload["machine"] == machine


def test_the_quality_decision_shows_the_machines_answer(platform: Platform) -> None:
    make_tenant(platform)
    machine = sorted(platform.execution.machines())[0]
    path = platform.gateway.directory.path_of(machine)
    assert path is not None
    subject = f"{machine}/probe-{uuid.uuid4().hex[:6]}"
    body = {"machine": machine, "parameter": "speed", "target": 1.0, "reason": "drift"}
    platform.quality.decide(PLANT, "setpoint", subject, "quality.setpoint_requested", body)
    waiting = next(d for d in platform.quality.decisions(PLANT, 200) if d.subject == subject)
    assert waiting.acknowledgement is None
    with platform.db.unit(Scope.plant(), actor="t", readonly=True) as uow:
        command_id = uow.session.scalars(
            select(EventRecord.event_id).where(EventRecord.entity_id == waiting.id)
        ).one()
    ack = {
        "message_id": f"ack-{command_id[:8]}",
        "type": "command.acknowledged",
        "at": utcnow().isoformat(),
        "command_id": command_id,
        "status": "accepted",
    }
    assert platform.gateway.receive(path, json.dumps(ack), transport="test").applied == 1
    answered = next(d for d in platform.quality.decisions(PLANT, 200) if d.subject == subject)
    assert (answered.acknowledgement, answered.acknowledged_by) == ("accepted", machine)
    assert answered.acknowledged_at is not None


def test_an_acknowledgement_names_every_problem() -> None:
    messages, refused = parse(
        json.dumps(
            {"type": "command.acknowledged", "message_id": "1", "at": "2026-03-02T08:00:00Z"}
        )
    )
    assert messages == [] and "command_id" in refused[0].reason and "status" in refused[0].reason
