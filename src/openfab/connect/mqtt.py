"""MQTT: the event bus, a telemetry publisher and the ingest subscriber (paho-mqtt 2, MQTT 5).

Every client uses QoS 1 and a persistent session (``clean_start=False`` with a session expiry),
so the broker keeps subscriptions and queued messages while a client — or the broker itself,
with persistence on — is away; paho keeps unacknowledged publishes and re-sends them after its
automatic reconnect. QoS 1 is at-least-once: consumers deduplicate by (path, message id).

The ingest subscriber acknowledges (PUBACK) a message only after the ingest committed its
readings or its dead letter, so a crash of the ingest process (even kill -9) loses nothing:
the broker re-delivers what was never acknowledged. An acknowledgement due from an earlier
connection is not sent on a later one (packet ids are reused); that message comes again and is
de-duplicated. Credentials and TLS come from ``MqttSettings.from_settings``.

Broker note: Mosquitto drops QoS 1 messages for a client beyond ``max_queued_messages``
(default 1000); production brokers should raise it for the ingest client.
"""

from __future__ import annotations

import logging
import ssl
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from openfab.connect.bus import EventMessage, Handler, decode_event, encode_event, matches
from openfab.connect.ingest import TelemetryIngest, as_reading
from openfab.connect.telemetry import Reading, encode, encode_batch, machine_batches
from openfab.connect.topics import (
    EVENTS,
    ROOT,
    EquipmentPath,
    TopicError,
    events_topic,
    mqtt_topic,
    parse_mqtt_topic,
)

if TYPE_CHECKING:
    from openfab.settings import Settings

log = logging.getLogger(__name__)
QOS = 1


@dataclass(frozen=True)
class MqttSettings:
    host: str = "127.0.0.1"
    port: int = 1883
    keepalive: int = 30
    session_expiry: int = 24 * 3600  # seconds the broker keeps a disconnected session
    # Unacknowledged publishes before ``publish`` waits (flow control); also capped by the
    # broker's MQTT 5 Receive Maximum, which paho itself does not respect (Mosquitto: 20).
    max_inflight: int = 20
    # Unacknowledged messages the broker may send us (MQTT 5 Receive Maximum): the ingest
    # acknowledges after a batch commits, so it must be able to hold a batch's worth.
    receive_maximum: int = 65535
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool = False  # with ``ca_file`` unset, the system's trusted CAs verify the broker
    ca_file: str | None = None
    cert_file: str | None = None  # client certificate (mutual TLS)
    key_file: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> MqttSettings:
        """The broker, credentials and TLS of ``settings`` (``OPENFAB_MQTT_*``)."""
        password = settings.mqtt_password
        values: dict[str, Any] = {
            "host": settings.mqtt_host,
            "port": settings.mqtt_port,
            "username": settings.mqtt_username,
            "password": password.get_secret_value() if password is not None else None,
            "tls": settings.mqtt_tls or bool(settings.mqtt_ca_file or settings.mqtt_cert_file),
            "ca_file": settings.mqtt_ca_file,
            "cert_file": settings.mqtt_cert_file,
            "key_file": settings.mqtt_key_file,
        }
        return cls(**(values | overrides))


class MqttClient:
    """A paho client with OpenFab's defaults: MQTT 5, QoS 1, persistent session, automatic
    reconnect, (re)subscribe on every connect, and a count of unacknowledged publishes."""

    def __init__(
        self,
        settings: MqttSettings | None = None,
        *,
        client_id: str | None = None,
        subscriptions: Sequence[str] = (),
        on_message: Callable[[mqtt.MQTTMessage], None] | None = None,
        manual_ack: bool = False,
    ) -> None:
        """``manual_ack``: QoS 1 messages are acknowledged by ``ack``, not on receipt."""
        self.settings = settings or MqttSettings()
        self.client_id = client_id or f"openfab-{uuid.uuid4().hex[:12]}"
        self.subscriptions = list(subscriptions)
        self.connected = threading.Event()
        self._on_message = on_message
        self._lock = threading.Condition()
        self._unacked = 0
        self._network_thread: int | None = None
        self._window = self.settings.max_inflight
        self.generation = 0  # connections so far: an ack is only valid on its own connection
        self.refusal: str | None = None
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            manual_ack=manual_ack,
        )
        _secure(client, self.settings)
        client.max_inflight_messages_set(self.settings.max_inflight)
        client.max_queued_messages_set(0)  # unbounded: a publish is never refused while away
        client.reconnect_delay_set(1, 4)
        client.on_connect = self._connected
        client.on_disconnect = self._disconnected
        client.on_publish = self._published
        client.on_message = self._message
        self.client = client

    def start(self, *, wait: float | None = 10.0) -> MqttClient:
        """Connect (paho keeps retrying in the background); with ``wait``, raise a
        ``ConnectionError`` that says why when no connection came within that many seconds."""
        s = self.settings
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = s.session_expiry
        props.ReceiveMaximum = s.receive_maximum
        first_error: OSError | None = None
        try:  # a first attempt in this thread, so a failure has a reason to show
            self.client.connect(s.host, s.port, s.keepalive, clean_start=False, properties=props)
        except OSError as exc:  # refused, unreachable, TLS handshake: keep trying in the loop
            first_error = exc
            self.client.connect_async(
                s.host, s.port, s.keepalive, clean_start=False, properties=props
            )
        self.client.loop_start()
        if wait is not None and not self.connected.wait(wait):
            self.stop()
            why = self.refusal or first_error or "no answer"
            scheme, hint = (
                ("mqtts", " (TLS is on: does this port speak TLS?)") if s.tls else ("mqtt", "")
            )
            raise ConnectionError(
                f"MQTT broker {scheme}://{s.host}:{s.port} not connected: {why}{hint}"
            )
        return self

    def ack(self, message: mqtt.MQTTMessage, generation: int) -> None:
        """Acknowledge ``message`` received on connection ``generation``; on a later
        connection its packet id may name another message, so nothing is sent then."""
        if message.qos == 0 or generation != self.generation or not self.connected.is_set():
            return
        self.client.ack(message.mid, message.qos)

    def _connected(self, client: mqtt.Client, _u: Any, flags: Any, rc: ReasonCode, p: Any) -> None:
        self._network_thread = threading.get_ident()
        if rc.is_failure:
            self.refusal = f"refused by the broker ({rc})"
            log.warning("MQTT connect refused: %s", rc)
            return
        self.generation += 1
        # MQTT 5: never have more QoS 1 publishes in flight than the broker's Receive Maximum
        # (paho does not enforce it; Mosquitto announces 20 by default).
        receive_maximum = getattr(p, "ReceiveMaximum", None) if p is not None else None
        self._window = min(self.settings.max_inflight, receive_maximum or 65535)
        for topic in self.subscriptions:  # harmless when the session kept them
            client.subscribe(topic, qos=QOS)
        log.info("MQTT %s connected (session present: %s)", self.client_id, flags.session_present)
        self.connected.set()

    def _disconnected(self, _c: mqtt.Client, _u: Any, _f: Any, rc: ReasonCode, _p: Any) -> None:
        self.connected.clear()
        with self._lock:
            self._lock.notify_all()  # publishers waiting for acks queue instead
        if rc.is_failure:
            log.warning("MQTT %s disconnected (%s); paho reconnects", self.client_id, rc)

    def _message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        if self._on_message is not None:
            try:
                self._on_message(message)
            except Exception:  # a subscriber's bug must not kill the network thread
                log.exception("MQTT message handler failed for %s", message.topic)

    def _published(self, _c: mqtt.Client, _u: Any, _mid: int, _rc: Any, _p: Any) -> None:
        with self._lock:
            self._unacked -= 1
            if self._unacked <= 0:
                self._lock.notify_all()

    def publish(self, topic: str, payload: bytes) -> None:
        """Publish at QoS 1. While connected, waits when ``max_inflight`` publishes are
        unacknowledged (paho's queue costs O(n) per ack); while away, paho queues it and
        re-sends after the reconnect."""
        window = self._window
        in_network_thread = threading.get_ident() == self._network_thread
        with self._lock:
            if not in_network_thread:  # the network thread itself must never wait for acks
                self._lock.wait_for(lambda: self._unacked < window or not self.connected.is_set())
            self._unacked += 1
        info = self.client.publish(topic, payload, qos=QOS)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            with self._lock:
                self._unacked -= 1
            raise ConnectionError(f"MQTT publish refused: {mqtt.error_string(info.rc)}")

    @property
    def unacked(self) -> int:
        with self._lock:
            return self._unacked

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until the broker acknowledged every publish; False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: self._unacked <= 0, timeout)

    def stop(self, *, end_session: bool = False) -> None:
        """Disconnect; ``end_session`` also asks the broker to forget the session (its
        subscriptions and queue) instead of keeping it for the next connect."""
        props = None
        if end_session:
            props = Properties(PacketTypes.DISCONNECT)  # type: ignore[no-untyped-call]
            props.SessionExpiryInterval = 0
        self.client.disconnect(properties=props)
        self.client.loop_stop()


def _secure(client: mqtt.Client, settings: MqttSettings) -> None:
    """Apply credentials and TLS; a TLS set-up that cannot work is a ``ConnectionError``
    naming the file or setting, raised before any connection is tried."""
    if settings.username is not None:
        client.username_pw_set(settings.username, settings.password)
    if not settings.tls:
        return
    try:
        client.tls_set(
            ca_certs=settings.ca_file, certfile=settings.cert_file, keyfile=settings.key_file
        )
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise ConnectionError(f"MQTT TLS set-up failed: {exc}") from None


class MqttBus:
    """The event bus over MQTT: events on ``openfab/{tenant}/$events/{type}`` (the topics the
    runtime's publisher uses), glob-matched locally."""

    def __init__(self, settings: MqttSettings | None = None, *, client_id: str | None = None):
        self._subscriptions: list[tuple[str, Handler]] = []
        self._durable = client_id is not None  # a named bus resumes its session later
        self._mqtt = MqttClient(
            settings,
            client_id=client_id or f"openfab-bus-{uuid.uuid4().hex[:12]}",
            subscriptions=[f"{ROOT}/+/{EVENTS}/#"],
            on_message=self._deliver,
        ).start()

    def publish(self, message: EventMessage) -> None:
        self._mqtt.publish(events_topic(message.tenant_id, message.type), encode_event(message))

    def subscribe(self, pattern: str, handler: Handler) -> Callable[[], None]:
        entry = (pattern, handler)
        self._subscriptions.append(entry)
        return lambda: self._subscriptions.remove(entry)

    def _deliver(self, raw: mqtt.MQTTMessage) -> None:
        try:
            message = decode_event(bytes(raw.payload))
        except ValueError:
            log.warning("not an event on %s; ignored", raw.topic)
            return
        for pattern, handler in list(self._subscriptions):
            if matches(pattern, message.type):
                try:
                    handler(message)
                except Exception:
                    log.exception("event handler failed for %s #%s", message.type, message.seq)

    def flush(self, timeout: float = 30.0) -> bool:
        return self._mqtt.flush(timeout)

    def close(self) -> None:
        self._mqtt.flush(5.0)
        self._mqtt.stop(end_session=not self._durable)


class MqttTelemetryPublisher:
    """Publishes readings on their Unified-Namespace topics; a twin sink (callable)."""

    def __init__(self, settings: MqttSettings | None = None, *, client_id: str | None = None):
        self.mqtt = MqttClient(settings, client_id=client_id).start()

    def publish(self, reading: Reading) -> None:
        self.mqtt.publish(mqtt_topic(reading.path, reading.signal), encode(reading))

    def publish_batch(self, readings: Sequence[Reading]) -> None:
        """Readings as batch messages: one per piece of equipment (on its batch topic) and
        at most 1000 readings each."""
        for group in machine_batches(readings):
            self.mqtt.publish(mqtt_topic(group[0].path), encode_batch(group))

    def __call__(self, reading: Any) -> None:
        self.publish(reading if isinstance(reading, Reading) else as_reading(reading))

    def flush(self, timeout: float = 30.0) -> bool:
        return self.mqtt.flush(timeout)

    def close(self) -> None:
        self.mqtt.flush(10.0)
        self.mqtt.stop(end_session=True)  # a publisher's session holds nothing worth keeping


class MqttIngestSource:
    """Subscribes to ``openfab/#`` with a persistent session and feeds the ingest; each
    message is acknowledged once the ingest committed what it carried."""

    def __init__(
        self,
        ingest: TelemetryIngest,
        settings: MqttSettings | None = None,
        *,
        client_id: str = "openfab-ingest",
        topic: str = f"{ROOT}/#",
    ) -> None:
        self.ingest = ingest
        self.messages = 0
        self.paused = False
        self.mqtt = MqttClient(
            settings,
            client_id=client_id,
            subscriptions=[topic],
            on_message=self._receive,
            manual_ack=True,
        )

    def start(self, *, wait: float | None = 10.0) -> MqttIngestSource:
        self.mqtt.start(wait=wait)
        return self

    def _receive(self, message: mqtt.MQTTMessage) -> None:
        if self.paused:  # not acknowledged: the broker keeps it for the next session
            return
        self.messages += 1
        topic = message.topic
        generation = self.mqtt.generation
        if "/$" in topic:  # events, shop-floor messages, dispatch lists: not telemetry
            self.mqtt.ack(message, generation)
            return
        path: EquipmentPath | None = None
        signal: str | None = None
        try:
            path, signal = parse_mqtt_topic(topic)
        except TopicError:
            pass  # decode dead-letters it as bad_topic
        self.ingest.submit_payload(
            bytes(message.payload),
            source="mqtt",
            topic=topic,
            path=path,
            signal=signal,
            on_stored=lambda: self.mqtt.ack(message, generation),
        )

    def pause(self) -> None:
        """Take no more messages (before a final flush): they stay with the broker."""
        self.paused = True

    def stop(self, *, end_session: bool = False) -> None:
        """Disconnect; stop the ingest first, so what it stored is acknowledged."""
        self.paused = True
        self.mqtt.stop(end_session=end_session)
