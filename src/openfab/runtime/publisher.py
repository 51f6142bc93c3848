"""Business events out: a consumer of the event backbone that publishes each committed event
to the plant's brokers, so ERP, BI and other plants can subscribe per tenant.

MQTT: ``openfab/{tenant}/$events/{type}`` (QoS 1; ``plant`` for the plant's own events).
NATS: ``openfab.events.{tenant}.{type}`` in the JetStream stream ``OPENFAB_EVENTS``, each with
``Nats-Msg-Id`` = the event id, so a batch re-sent after a crash is stored once. The relay
advances its cursor only after the broker acknowledged the whole batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from openfab.connect.bus import EventMessage, InProcessBus, encode_event
from openfab.connect.mqtt import MqttClient, MqttSettings
from openfab.connect.nats import NatsClient, NatsSettings
from openfab.connect.topics import NATS_EVENTS, events_subject, events_topic


class EventSink(Protocol):
    def send(self, events: Sequence[EventMessage]) -> None:
        """Return once the broker has every event (raise to have the batch re-sent)."""
        ...

    def close(self) -> None: ...


class InProcessSink:
    """The embedded default: events to subscribers in this process."""

    def __init__(self, bus: InProcessBus | None = None) -> None:
        self.bus = bus or InProcessBus()

    def send(self, events: Sequence[EventMessage]) -> None:
        for event in events:
            self.bus.publish(event)

    def close(self) -> None:
        return None


class MqttSink:
    def __init__(
        self, settings: MqttSettings | None = None, *, client_id: str = "openfab-events"
    ) -> None:
        self.mqtt = MqttClient(settings, client_id=client_id).start()

    def send(self, events: Sequence[EventMessage]) -> None:
        for event in events:
            self.mqtt.publish(events_topic(event.tenant_id, event.type), encode_event(event))
        if not self.mqtt.flush(30.0):
            raise TimeoutError("MQTT broker did not acknowledge the events")

    def close(self) -> None:
        self.mqtt.flush(5.0)
        self.mqtt.stop()


class NatsSink:
    def __init__(self, settings: NatsSettings | None = None) -> None:
        self.client = NatsClient(settings, name="openfab-events-out")
        self.client.ensure_stream(self.client.settings.events_stream, NATS_EVENTS)

    def send(self, events: Sequence[EventMessage]) -> None:
        triples = [
            (events_subject(e.tenant_id, e.type), encode_event(e), e.event_id) for e in events
        ]
        self.client.loop.run(self.client.publish_all(triples))

    def close(self) -> None:
        self.client.close()


class EventPublisher:
    """The consumer: every event, in order, to one sink."""

    patterns = ("*",)

    def __init__(self, sink: EventSink, *, name: str) -> None:
        self.sink = sink
        self.name = name
        self.published = 0

    def handle(self, events: Sequence[EventMessage]) -> None:
        self.sink.send(events)
        self.published += len(events)
