"""The gateway's doors from a plant's brokers: MQTT and NATS JetStream.

Both hand each message to ``Gateway.receive`` and acknowledge it only after that returned,
i.e. after its effect or its dead letter is committed: a crash or kill -9 before that makes
the broker deliver it again, and the inbox turns the redelivery into a no-op.

- MQTT (QoS 1, persistent session, manual acknowledgement): messages are applied in batches
  and each is acknowledged after its batch committed. Copies of the gateway share the load
  through an MQTT 5 shared subscription (``$share/openfab-gateway/…``): each message reaches
  one copy.
- NATS: a durable pull consumer on the ``OPENFAB_FLOOR`` stream with explicit acks; copies
  pull from the same durable consumer, so each message goes to one of them. Like an MQTT
  subscription, the consumer takes what is sent after its first start and from then on
  resumes where it stopped, across restarts of either side.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import deque
from typing import Any

import paho.mqtt.client as paho
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from openfab.connect.mqtt import MqttClient, MqttSettings
from openfab.connect.nats import NatsClient, NatsSettings
from openfab.connect.store import TRANSIENT
from openfab.connect.topics import (
    MQTT_FLOOR_FILTER,
    MQTT_SITE_FLOOR_FILTER,
    NATS_FLOOR,
    TopicError,
    parse_floor_subject,
    parse_floor_topic,
)
from openfab.gateway.contract import Refusal
from openfab.gateway.schemas import GatewayResult
from openfab.gateway.service import Gateway

log = logging.getLogger(__name__)
FLOOR_STREAM = "OPENFAB_FLOOR"
SHARE_GROUP = "openfab-gateway"


class Tally:
    """What a door's messages came to (for its operator and the demo's books)."""

    def __init__(self, keep: int = 1000) -> None:
        self.applied = self.duplicates = self.dead_lettered = 0
        self.problems: deque[Refusal] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def add(self, result: GatewayResult) -> None:
        with self._lock:
            self.applied += result.applied
            self.duplicates += result.duplicates
            self.dead_lettered += result.dead_lettered
            self.problems.extend(result.problems)


class MqttFloorSource:
    """Shop-floor messages from MQTT into the gateway, applied in batches: the network thread
    only queues; a worker applies up to ``batch`` messages together and then acknowledges
    each (PUBACK after the commit). A kill -9 before the acks makes the broker re-deliver."""

    def __init__(
        self,
        gateway: Gateway,
        settings: MqttSettings | None = None,
        *,
        client_id: str = "openfab-gateway",
        group: str | None = SHARE_GROUP,
        batch: int = 500,
    ) -> None:
        self.gateway = gateway
        self.batch = batch
        self.received = 0
        self.results = Tally()
        self._queue: queue.Queue[tuple[paho.MQTTMessage, int] | None] = queue.Queue()
        self._worker = threading.Thread(target=self._work, name="gateway-mqtt", daemon=True)
        filters = (MQTT_FLOOR_FILTER, MQTT_SITE_FLOOR_FILTER)
        topics = [f"$share/{group}/{f}" if group else f for f in filters]
        self.mqtt = MqttClient(
            settings,
            client_id=client_id,
            subscriptions=topics,
            on_message=self._receive,
            manual_ack=True,
        )

    def start(self, *, wait: float | None = 10.0) -> MqttFloorSource:
        self._worker.start()
        self.mqtt.start(wait=wait)
        return self

    def _receive(self, message: paho.MQTTMessage) -> None:
        self._queue.put((message, self.mqtt.generation))

    def _work(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            taken = [first]
            while len(taken) < self.batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # stop after this batch
                    break
                taken.append(item)
            self._apply(taken)

    def _apply(self, taken: list[tuple[paho.MQTTMessage, int]]) -> None:
        payloads: list[tuple[Any, bytes]] = []
        for message, _ in taken:
            try:
                sender: Any = parse_floor_topic(message.topic)
            except TopicError:
                sender = message.topic  # the gateway dead-letters it with the reason
            payloads.append((sender, bytes(message.payload)))
        while True:
            try:
                self.results.add(self.gateway.receive_many(payloads, transport="mqtt"))
                break
            except TRANSIENT as exc:  # the database is away: keep the messages, try again
                log.warning("gateway: database unavailable (%s); retrying", exc)
                time.sleep(1.0)
        for message, generation in taken:
            self.mqtt.ack(message, generation)
        self.received += len(taken)

    def stop(self) -> None:
        """Stop taking messages, apply and acknowledge what was taken, then disconnect."""
        self.mqtt.client.unsubscribe(self.mqtt.subscriptions)
        self._queue.put(None)
        self._worker.join(30)
        self.mqtt.stop()


class NatsFloorSource:
    """Shop-floor messages from a JetStream stream into the gateway."""

    def __init__(
        self,
        gateway: Gateway,
        settings: NatsSettings | None = None,
        *,
        durable: str = "openfab-gateway",
        batch: int = 500,
    ) -> None:
        self.gateway = gateway
        self.durable = durable
        self.batch = batch
        self.received = 0
        self.results = Tally()
        self.client = NatsClient(settings, name=durable)
        self._stop = threading.Event()
        self._done = threading.Event()

    def start(self) -> NatsFloorSource:
        self.client.loop.run(ensure_floor_stream(self.client), timeout=15)
        self.client.loop.spawn(self._consume())
        return self

    async def _consume(self) -> None:
        js = self.client.js
        config = ConsumerConfig(
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=30,
            max_ack_pending=10_000,
            deliver_policy=DeliverPolicy.NEW,  # only at its creation; then it resumes
        )
        sub = await js.pull_subscribe(
            f"{NATS_FLOOR}.>", durable=self.durable, stream=FLOOR_STREAM, config=config
        )
        try:
            while not self._stop.is_set():
                try:
                    messages = await sub.fetch(self.batch, timeout=0.5)
                except TimeoutError:
                    continue
                except Exception as exc:  # a server restart: nats-py reconnects
                    log.warning("NATS floor fetch failed (%s); retrying", exc)
                    await asyncio.sleep(0.5)
                    continue
                await asyncio.to_thread(self._apply, [(m.subject, m.data) for m in messages])
                for msg in messages:  # after the commit: a crash before re-delivers
                    await msg.ack()
                self.received += len(messages)
        finally:
            self._done.set()

    def _apply(self, items: list[tuple[str, bytes]]) -> None:
        payloads: list[tuple[Any, bytes]] = []
        for subject, data in items:
            try:
                sender: Any = parse_floor_subject(subject)
            except TopicError:
                sender = subject
            payloads.append((sender, data))
        while True:
            try:
                self.results.add(self.gateway.receive_many(payloads, transport="nats"))
                return
            except TRANSIENT as exc:
                log.warning("gateway: database unavailable (%s); retrying", exc)
                time.sleep(1.0)

    def stop(self, *, delete: bool = False) -> None:
        """Stop pulling (what was pulled is applied and acknowledged first); ``delete`` also
        removes the durable consumer (a one-off run's)."""
        self._stop.set()
        self._done.wait(5)
        if delete:
            self.client.loop.run(self.client.js.delete_consumer(FLOOR_STREAM, self.durable), 10)
        self.client.close()


async def ensure_floor_stream(client: NatsClient) -> None:
    """The durable stream of shop-floor messages (file storage, dedup by ``Nats-Msg-Id``)."""
    try:
        await client.js.stream_info(FLOOR_STREAM)
    except NotFoundError:
        await client.js.add_stream(
            StreamConfig(
                name=FLOOR_STREAM,
                subjects=[f"{NATS_FLOOR}.>"],
                storage=StorageType.FILE,
                duplicate_window=120.0,
            )
        )
