"""One call wires a telemetry path end to end: twin sink → transport → ingest → database.

``open_pipeline(db, "mqtt")`` gives a sink the twin calls with each reading; readings travel
over the chosen transport (``inprocess``, ``mqtt`` or ``nats``) to the ingest, which stores
them. ``close()`` waits until every reading sent is stored and returns the counters, so a demo
can print them and check: sent == written + duplicates.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from openfab.connect.bus import EventBus, InProcessBus
from openfab.connect.ingest import IngestStats, TelemetryIngest, as_reading
from openfab.connect.store import TelemetryStore
from openfab.connect.telemetry import Reading
from openfab.store import Database

Transport = Literal["inprocess", "mqtt", "nats"]
TRANSPORTS: tuple[Transport, ...] = ("inprocess", "mqtt", "nats")


@dataclass
class TelemetryPipeline:
    transport: Transport
    ingest: TelemetryIngest
    sink: Callable[[Reading], None]
    sent: int = 0
    flushers: list[Callable[[], Any]] = field(default_factory=list)  # publishers: deliver all
    stoppers: list[Callable[[], Any]] = field(default_factory=list)  # sources: disconnect

    def __call__(self, reading: Any) -> None:
        """The twin's sink: a ``Reading`` or the twin's ``TelemetryReading``."""
        self.sent += 1
        self.sink(reading if isinstance(reading, Reading) else as_reading(reading))

    def close(self, timeout: float = 120.0) -> IngestStats:
        """Deliver and store everything sent, then stop; returns the ingest's counters."""
        for flush in self.flushers:
            flush()
        deadline = time.monotonic() + timeout
        while self.ingest.stats.received < self.sent and time.monotonic() < deadline:
            time.sleep(0.02)
        self.ingest.stop(timeout=max(1.0, deadline - time.monotonic()))
        for stop in self.stoppers:
            stop()
        return self.ingest.stats


def open_pipeline(
    db: Database, transport: Transport = "inprocess", *, name: str = "openfab"
) -> TelemetryPipeline:
    """Ingest into ``db`` from ``transport`` (local servers at their default ports)."""
    ingest = TelemetryIngest(TelemetryStore(db.engine)).start()
    if transport == "inprocess":
        return TelemetryPipeline(transport, ingest, ingest.__call__)
    if transport == "mqtt":
        from openfab.connect.mqtt import MqttIngestSource, MqttTelemetryPublisher

        mqtt_source = MqttIngestSource(ingest, client_id=f"{name}-ingest").start()
        mqtt_publisher = MqttTelemetryPublisher(client_id=f"{name}-twin")
        return TelemetryPipeline(
            transport,
            ingest,
            mqtt_publisher.publish,
            flushers=[mqtt_publisher.close],
            stoppers=[lambda: mqtt_source.stop(end_session=True)],  # a demo's session ends
        )
    if transport == "nats":
        from openfab.connect.nats import NatsIngestSource, NatsTelemetryPublisher

        nats_source = NatsIngestSource(ingest, durable=f"{name}-ingest", new_only=True).start()
        nats_publisher = NatsTelemetryPublisher(buffer=500)
        return TelemetryPipeline(
            transport,
            ingest,
            nats_publisher.publish,
            flushers=[nats_publisher.close],
            stoppers=[nats_source.stop],
        )
    raise ValueError(f"unknown transport {transport!r}; use one of {', '.join(TRANSPORTS)}")


def open_bus(transport: Transport = "inprocess") -> EventBus:
    """The event bus for ``transport`` (local servers at their default ports)."""
    if transport == "inprocess":
        return InProcessBus()
    if transport == "mqtt":
        from openfab.connect.mqtt import MqttBus

        return MqttBus()
    if transport == "nats":
        from openfab.connect.nats import NatsBus

        return NatsBus()
    raise ValueError(f"unknown transport {transport!r}; use one of {', '.join(TRANSPORTS)}")
