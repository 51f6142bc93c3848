"""NATS JetStream: the event bus, a telemetry publisher and the ingest consumer (nats-py).

Streams are durable (file storage): ``OPENFAB_EVENTS`` holds ``openfab.events.>`` and
``OPENFAB_TELEMETRY`` holds ``openfab.telemetry.>``. Publishes carry ``Nats-Msg-Id`` (the event
or message id), so a publish retried after a lost acknowledgement is stored once. The ingest
consumer is a durable pull consumer with explicit acknowledgements: each message is
acknowledged on its own, after the ingest committed its readings or its dead letter. A crash
of OpenFab (even kill -9) or of the server loses nothing: unacknowledged messages come again
after ``ack_wait`` or on restart, and the idempotent store drops the copies. nats-py is
asyncio: each adapter runs its client on a ``BackgroundLoop`` so the sync API works.
Credentials and TLS come from ``NatsSettings.from_settings``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import ssl
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import nats
from nats.aio.client import Client as NatsConnection
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from openfab.connect.bus import EventMessage, Handler, decode_event, encode_event, matches
from openfab.connect.ingest import TelemetryIngest, as_reading
from openfab.connect.loop import BackgroundLoop
from openfab.connect.telemetry import Reading, encode, encode_batch, machine_batches
from openfab.connect.topics import (
    NATS_EVENTS,
    NATS_TELEMETRY,
    EquipmentPath,
    TopicError,
    events_subject,
    nats_subject,
    parse_nats_subject,
)

if TYPE_CHECKING:
    from openfab.settings import Settings

log = logging.getLogger(__name__)
EVENTS_STREAM = "OPENFAB_EVENTS"
TELEMETRY_STREAM = "OPENFAB_TELEMETRY"
RETRYABLE = (NatsError, asyncio.TimeoutError, TimeoutError, ConnectionError)


@dataclass(frozen=True)
class NatsSettings:
    url: str = "nats://127.0.0.1:4222"
    events_stream: str = EVENTS_STREAM
    telemetry_stream: str = TELEMETRY_STREAM
    ack_timeout: float = 2.0  # seconds to wait for a publish acknowledgement before re-sending
    window: int = 2000  # publishes in flight at once
    max_age_days: float = 0.0  # 0: keep forever; a plant keeps raw telemetry a few weeks
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    creds_file: str | None = None  # a NATS .creds file (JWT + NKey)
    ca_file: str | None = None  # TLS: also used for ``tls://`` URLs (system CAs when unset)
    cert_file: str | None = None  # client certificate (mutual TLS)
    key_file: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> NatsSettings:
        """The servers, credentials and TLS of ``settings`` (``OPENFAB_NATS_*``)."""
        values: dict[str, Any] = {
            "url": settings.nats_url,
            "user": settings.nats_user,
            "password": _secret(settings.nats_password),
            "token": _secret(settings.nats_token),
            "creds_file": settings.nats_creds_file,
            "ca_file": settings.nats_ca_file,
            "cert_file": settings.nats_cert_file,
            "key_file": settings.nats_key_file,
        }
        return cls(**(values | overrides))

    def connect_options(self) -> dict[str, Any]:
        """Keyword arguments for ``nats.connect``: servers, credentials and TLS. A TLS set-up
        that cannot work raises a ``ConnectionError`` naming the cause."""
        options: dict[str, Any] = {"servers": [u.strip() for u in self.url.split(",")]}
        for key, value in (
            ("user", self.user),
            ("password", self.password),
            ("token", self.token),
            ("user_credentials", self.creds_file),
        ):
            if value is not None:
                options[key] = value
        tls = (
            self.ca_file
            or self.cert_file
            or any(u.startswith("tls://") for u in options["servers"])
        )
        if tls:
            options["tls"] = self._ssl_context()
        return options

    def _ssl_context(self) -> ssl.SSLContext:
        try:
            context = ssl.create_default_context(cafile=self.ca_file)
            if self.cert_file:
                context.load_cert_chain(self.cert_file, self.key_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConnectionError(f"NATS TLS set-up failed: {exc}") from None
        return context


class NatsClient:
    """One connection with automatic reconnect, its JetStream context and loop thread."""

    def __init__(self, settings: NatsSettings | None = None, *, name: str = "openfab") -> None:
        self.settings = settings or NatsSettings()
        options = self.settings.connect_options()  # a bad TLS set-up fails before the thread
        self.loop = BackgroundLoop(f"nats-{name}")
        try:
            self.nc: NatsConnection = self.loop.run(self._connect(name, options), timeout=15)
        except Exception as exc:
            self.loop.close()
            raise ConnectionError(
                f"NATS {self.settings.url} not connected: {exc or type(exc).__name__}"
            ) from None
        self.js: JetStreamContext = self.nc.jetstream(timeout=self.settings.ack_timeout)

    async def _connect(self, name: str, options: dict[str, Any]) -> NatsConnection:
        async def _disconnected() -> None:
            log.info("NATS %s disconnected", name)

        async def _error(exc: Exception) -> None:
            log.warning("NATS %s: %s", name, exc or type(exc).__name__)

        return await nats.connect(
            name=name,
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.25,
            connect_timeout=2,
            disconnected_cb=_disconnected,
            error_cb=_error,
            **options,
        )

    def ensure_stream(self, name: str, subject: str) -> None:
        self.loop.run(self._ensure_stream(name, subject), timeout=15)

    async def _ensure_stream(self, name: str, subject: str) -> None:
        config = StreamConfig(
            name=name,
            subjects=[f"{subject}.>"],
            storage=StorageType.FILE,
            duplicate_window=120.0,
            max_age=self.settings.max_age_days * 86400.0 or None,
        )
        try:
            await self.js.stream_info(name)
        except NotFoundError:
            await self.js.add_stream(config)

    async def publish_all(self, messages: Sequence[tuple[str, bytes, str]]) -> None:
        """Publish (subject, payload, message id) triples, re-sending any whose acknowledgement
        did not come, until every one is stored — through a server restart too. A window of
        publishes shares one reply inbox (``publish_async``), not one request each."""
        pending = list(messages)
        window = self.settings.window
        while pending:
            failed: list[tuple[str, bytes, str]] = []
            for start in range(0, len(pending), window):
                failed += await self._publish_window(pending[start : start + window])
            if failed:
                log.warning("NATS: %d publishes unacknowledged; re-sending", len(failed))
                await asyncio.sleep(0.25)
            pending = failed

    async def _publish_window(
        self, chunk: Sequence[tuple[str, bytes, str]]
    ) -> list[tuple[str, bytes, str]]:
        """The triples of ``chunk`` that were not stored."""
        futures: list[asyncio.Future[Any] | None] = []
        for subject, payload, msg_id in chunk:
            try:
                futures.append(
                    await self.js.publish_async(
                        subject, payload, headers={"Nats-Msg-Id": msg_id}, wait_stall=5.0
                    )
                )
            except RETRYABLE:
                futures.append(None)
        waiting = [f for f in futures if f is not None]
        if waiting:
            await asyncio.wait(waiting, timeout=self.settings.ack_timeout)
        failed = []
        for triple, future in zip(chunk, futures, strict=True):
            if future is None or not future.done():
                if future is not None:
                    future.cancel()
                failed.append(triple)
            elif future.cancelled() or future.exception() is not None:
                failed.append(triple)
        return failed

    async def _close(self) -> None:
        if self.nc.is_connected:
            await self.nc.flush(timeout=2)
        await self.nc.close()

    def close(self) -> None:
        try:
            self.loop.run(self._close(), timeout=10)
        except Exception:  # closing a broken connection must not hide the real error
            log.debug("NATS drain failed", exc_info=True)
        self.loop.close()


class NatsBus:
    """The event bus over JetStream. ``subscribe`` delivers new events by default; pass a
    ``durable`` name to resume after a restart, or ``from_seq`` to replay the stream."""

    def __init__(self, settings: NatsSettings | None = None) -> None:
        self.client = NatsClient(settings, name="openfab-bus")
        self.client.ensure_stream(self.client.settings.events_stream, NATS_EVENTS)

    def publish(self, message: EventMessage) -> None:
        """Stored in the stream before this returns (re-sent until acknowledged)."""
        subject = events_subject(message.tenant_id, message.type)
        triple = (subject, encode_event(message), message.event_id)
        self.client.loop.run(self.client.publish_all([triple]))

    def subscribe(
        self,
        pattern: str,
        handler: Handler,
        *,
        durable: str | None = None,
        from_seq: int | None = None,
    ) -> Callable[[], None]:
        sub = self.client.loop.run(self._subscribe(pattern, handler, durable, from_seq), 15)

        def unsubscribe() -> None:
            self.client.loop.run(sub.unsubscribe(), timeout=10)

        return unsubscribe

    async def _subscribe(
        self, pattern: str, handler: Handler, durable: str | None, from_seq: int | None
    ) -> Any:
        loop = asyncio.get_running_loop()

        async def deliver(msg: Msg) -> None:
            try:
                message = decode_event(msg.data)
            except ValueError:
                log.warning("not an event on %s; ignored", msg.subject)
            else:
                if matches(pattern, message.type):  # in a thread: a handler may publish
                    await loop.run_in_executor(None, _call, handler, message)
            await msg.ack()

        if from_seq is not None:
            config = ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=from_seq
            )
        elif durable is None:
            config = ConsumerConfig(deliver_policy=DeliverPolicy.NEW)
        else:
            config = ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
        return await self.client.js.subscribe(
            f"{NATS_EVENTS}.>",
            cb=deliver,
            durable=durable,
            stream=self.client.settings.events_stream,
            config=config,
            manual_ack=True,
        )

    def replay(self, from_seq: int = 1, *, pattern: str = "*") -> list[tuple[int, EventMessage]]:
        """Every stored event from stream sequence ``from_seq`` on, with its sequence."""
        return self.client.loop.run(self._replay(from_seq, pattern), timeout=60)

    async def _replay(self, from_seq: int, pattern: str) -> list[tuple[int, EventMessage]]:
        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=from_seq,
            ack_policy=AckPolicy.NONE,
        )
        sub = await self.client.js.pull_subscribe(
            f"{NATS_EVENTS}.>", stream=self.client.settings.events_stream, config=config
        )
        found: list[tuple[int, EventMessage]] = []
        try:
            while True:
                try:
                    msgs = await sub.fetch(500, timeout=0.5)
                except TimeoutError:
                    break
                for msg in msgs:
                    event = decode_event(msg.data)
                    if matches(pattern, event.type):
                        found.append((msg.metadata.sequence.stream, event))
        finally:
            await sub.unsubscribe()
        return found

    def close(self) -> None:
        self.client.close()


class NatsTelemetryPublisher:
    """Publishes readings to ``openfab.telemetry.{site}.{area}.{line}.{machine}.{signal}``."""

    def __init__(
        self, settings: NatsSettings | None = None, *, buffer: int = 0, dedup_scope: str = ""
    ) -> None:
        """``buffer`` > 0: ``publish`` collects that many readings and sends them together
        (one round trip instead of one per reading); ``flush``/``close`` send the rest.
        ``dedup_scope`` prefixes the ``Nats-Msg-Id`` of every message (a sender that numbers
        from 1 on each run, like a replayed simulation, gives each run its own scope)."""
        self.scope = dedup_scope
        self.client = NatsClient(settings, name="openfab-telemetry")
        self.client.ensure_stream(self.client.settings.telemetry_stream, NATS_TELEMETRY)
        self.buffer = buffer
        self._pending: list[Reading] = []

    def publish_many(self, readings: Sequence[Reading]) -> None:
        """Publish and wait until JetStream stored every one."""
        triples = [
            (nats_subject(r.path, r.signal), encode(r), f"{self.scope}{r.path}/{r.message_id}")
            for r in readings
        ]
        self.client.loop.run(self.client.publish_all(triples))

    def purge(self, subject: str) -> None:
        """Drop stored readings under ``subject`` (e.g. one test site) from the stream."""
        stream = self.client.settings.telemetry_stream
        self.client.loop.run(self.client.js.purge_stream(stream, subject=subject), timeout=60)

    def publish(self, reading: Reading) -> None:
        if not self.buffer:
            self.publish_many([reading])
            return
        self._pending.append(reading)
        if len(self._pending) >= self.buffer:
            self.flush()

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending:
            self.publish_many(pending)

    def publish_batch(self, readings: Sequence[Reading]) -> None:
        """Readings as batch messages: one per piece of equipment (on its batch subject) and
        at most 1000 readings each, all in flight together."""
        self.publish_batches([readings])

    def publish_batches(self, batches: Sequence[Sequence[Reading]]) -> None:
        """Like ``publish_batch`` for several lists; the first reading's id identifies each
        message for JetStream's de-duplication."""
        groups = [g for b in batches for g in machine_batches(b)]
        triples = [
            (
                nats_subject(g[0].path),
                encode_batch(g),
                f"{self.scope}batch-{g[0].path}/{g[0].message_id}",
            )
            for g in groups
        ]
        self.client.loop.run(self.client.publish_all(triples))

    def __call__(self, reading: Any) -> None:
        self.publish(reading if isinstance(reading, Reading) else as_reading(reading))

    def close(self) -> None:
        self.flush()
        self.client.close()


class NatsIngestSource:
    """A durable pull consumer on the telemetry stream feeding the ingest. Each message is
    acknowledged on its own (AckPolicy.EXPLICIT) once the ingest committed what it carried,
    so an acknowledgement never covers a message that is not stored."""

    def __init__(
        self,
        ingest: TelemetryIngest,
        settings: NatsSettings | None = None,
        *,
        durable: str = "openfab-ingest",
        batch: int = 2000,
        from_seq: int | None = None,
        subject: str = f"{NATS_TELEMETRY}.>",
        new_only: bool = False,
        ack_wait: float = 30.0,
    ) -> None:
        """A new durable starts at the stream's beginning (back-fill), at ``from_seq``, or —
        ``new_only`` — with what is published from now on; an existing one resumes.
        ``ack_wait``: seconds before the server re-delivers an unacknowledged message — what
        a crashed ingest held comes back after that long (a new durable's setting)."""
        self.ingest = ingest
        self.ack_wait = ack_wait
        self.subject = subject
        self.new_only = new_only
        self.durable = durable
        self.batch = batch
        self.from_seq = from_seq
        self.messages = 0
        self.client = NatsClient(settings, name=f"openfab-ingest-{durable}")
        self.client.ensure_stream(self.client.settings.telemetry_stream, NATS_TELEMETRY)
        self._stop = asyncio.Event()
        self._stored: deque[Msg] = deque()  # committed, to be acknowledged by the loop
        self._wake = asyncio.Event()
        self._closed = False
        self._task: concurrent.futures.Future[None] | None = None
        self._acker: concurrent.futures.Future[None] | None = None

    def start(self) -> NatsIngestSource:
        sub = self.client.loop.run(self._subscribe(), timeout=15)
        loop = self.client.loop.loop
        self._task = asyncio.run_coroutine_threadsafe(self._consume(sub), loop)
        self._acker = asyncio.run_coroutine_threadsafe(self._acknowledge(), loop)
        return self

    def _config(self, start_seq: int | None) -> ConsumerConfig:
        config = ConsumerConfig(
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait,
            max_ack_pending=self.batch * 4,
            deliver_policy=DeliverPolicy.ALL,
        )
        if start_seq is not None:
            config.deliver_policy = DeliverPolicy.BY_START_SEQUENCE
            config.opt_start_seq = start_seq
        elif self.new_only:
            config.deliver_policy = DeliverPolicy.NEW
        return config

    async def _subscribe(self) -> Any:
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        start_seq = await self._replace_ack_all_consumer()
        return await self.client.js.pull_subscribe(
            self.subject,
            durable=self.durable,
            stream=self.client.settings.telemetry_stream,
            config=self._config(start_seq if start_seq is not None else self.from_seq),
        )

    async def _replace_ack_all_consumer(self) -> int | None:
        """An existing durable made with AckPolicy.ALL (before OpenFab acknowledged each
        message) is re-created with explicit acks, resuming after its acknowledged floor."""
        stream = self.client.settings.telemetry_stream
        try:
            info = await self.client.js.consumer_info(stream, self.durable)
        except NotFoundError:
            return None
        if info.config.ack_policy == AckPolicy.EXPLICIT:
            return None
        start = (info.ack_floor.stream_seq if info.ack_floor else 0) + 1
        log.warning("NATS consumer %s re-created with explicit acks from %d", self.durable, start)
        await self.client.js.delete_consumer(stream, self.durable)
        return start

    async def _consume(self, sub: Any) -> None:
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            try:
                msgs = await sub.fetch(self.batch, timeout=0.5)
            except TimeoutError:  # nothing to fetch now (nats.errors.TimeoutError too)
                continue
            except RETRYABLE as exc:
                log.warning("NATS fetch failed (%s); retrying", exc or type(exc).__name__)
                await asyncio.sleep(0.25)
                continue
            if msgs:  # in a thread: a full ingest buffer makes submit wait
                await loop.run_in_executor(None, self._receive_all, msgs)

    def _receive_all(self, msgs: list[Msg]) -> None:
        for msg in msgs:
            self._receive(msg)

    def _receive(self, msg: Msg) -> None:
        self.messages += 1
        path: EquipmentPath | None = None
        signal: str | None = None
        try:
            path, signal = parse_nats_subject(msg.subject)
        except TopicError:
            pass  # decode dead-letters it as bad_topic
        self.ingest.submit_payload(
            msg.data,
            source="nats",
            topic=msg.subject,
            path=path,
            signal=signal,
            on_stored=lambda: self._stored_now(msg),
        )

    def _stored_now(self, msg: Msg) -> None:
        """From the ingest's writer thread: hand the message to the loop to acknowledge."""
        if self._closed:  # never acknowledged: the server delivers it again
            return
        self._stored.append(msg)
        if len(self._stored) == 1:
            self.client.loop.loop.call_soon_threadsafe(self._wake.set)

    async def _acknowledge(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._ack_stored()
            if self._closed:
                return

    async def _ack_stored(self) -> None:
        while self._stored:
            msg = self._stored.popleft()
            try:
                await msg.ack()
            except RETRYABLE as exc:  # the server will re-deliver; the store de-duplicates
                log.warning("NATS ack failed (%s); message will be re-delivered", exc)

    def delete_consumer(self) -> None:
        """Forget this durable consumer's position on the server (tests, re-ingest)."""
        stream = self.client.settings.telemetry_stream
        self.client.loop.run(self.client.js.delete_consumer(stream, self.durable), timeout=10)

    def pause(self) -> None:
        """Fetch no more messages (before a final flush of the ingest)."""
        self.client.loop.loop.call_soon_threadsafe(self._stop.set)
        if self._task is not None:
            try:
                self._task.result(10)
            except Exception:
                log.warning("NATS consumer ended with an error", exc_info=True)

    def stop(self) -> None:
        """Stop fetching, acknowledge what the ingest stored, close. Stop the ingest first
        (after ``pause``), so that everything it took is stored and acknowledged."""
        self.pause()
        self.client.loop.run(self._ack_stored(), timeout=10)
        self._closed = True
        self.client.loop.loop.call_soon_threadsafe(self._wake.set)
        self.client.close()


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def _call(handler: Handler, message: EventMessage) -> None:
    try:
        handler(message)
    except Exception:
        log.exception("event handler failed for %s #%s", message.type, message.seq)
