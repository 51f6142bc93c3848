"""Telemetry from the twin into the platform: in process straight to the ingest, or across
a real MQTT broker or NATS JetStream server (the connect package's publishers and sources)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Protocol

from openfab.connect.ingest import IngestStats, TelemetryIngest
from openfab.connect.store import TelemetryStore
from openfab.connect.telemetry import Reading
from openfab.connect.topics import EquipmentPath
from openfab.store import Database
from openfab.twin import EnergySample, MachinePath, TelemetryBatch
from openfab.twin.topics import parse_topic

BUSES = ("inprocess", "mqtt", "nats")
ENERGY_SIGNALS = ("energy_kwh", "solar_kwh", "pv_kwh")
"""The plant's energy as site-level signals: consumed, solar used, solar generated (kWh in
the sample's period). The dashboard's energy and solar-share tiles sum them."""


def energy_readings(sample: EnergySample) -> list[Reading]:
    """A plant-level energy sample as readings on its site's Unified-Namespace path (the
    one-level ``site`` path that ``connect.topics`` allows for plant-wide signals), so the
    plant's energy is stored with the rest of the telemetry instead of living in memory.

    Message ids extend the sample's own id with the signal: a re-sent sample is a no-op."""
    if sample.machine is not None:
        raise ValueError(f"energy sample of machine {sample.machine!r} is not plant-level")
    _, site, _ = parse_topic(sample.topic)
    path = EquipmentPath((site,))
    values = (sample.consumed_kwh, sample.solar_kwh, sample.pv_kwh)
    return [
        Reading(f"{sample.message_id}.{signal}", path, signal, value, sample.time)
        for signal, value in zip(ENERGY_SIGNALS, values, strict=True)
    ]


class TelemetryLine(Protocol):
    def send(self, readings: Sequence[Reading]) -> None: ...
    def settle(self) -> IngestStats: ...
    def close(self) -> None: ...


def readings(
    batch: TelemetryBatch | EnergySample, paths: Mapping[str, MachinePath]
) -> list[Reading]:
    """The batch's values as ingest readings (message ids as the twin numbers them); a plant
    energy sample's as :func:`energy_readings`."""
    if isinstance(batch, EnergySample):
        return energy_readings(batch)
    out = []
    seq = batch.first_seq
    for machine, row in zip(batch.machines, batch.values.tolist(), strict=True):
        path = EquipmentPath.of(paths[machine])
        for k, value in enumerate(row):
            out.append(
                Reading(f"{batch.id_prefix}{seq}", path, batch.signals[k], value, batch.time)
            )
            seq += 1
    return out


class InProcessLine:
    """Straight into the batched ingest, flushed by the demo after every window."""

    def __init__(self, db: Database) -> None:
        self.ingest = TelemetryIngest(TelemetryStore(db.engine), batch_size=20_000)

    def send(self, readings: Sequence[Reading]) -> None:
        self.ingest.submit(readings)
        if self.ingest.stats.buffered >= 50_000:
            self.ingest.flush()

    def settle(self) -> IngestStats:
        self.ingest.flush()
        return self.ingest.stats

    def close(self) -> None:
        self.ingest.flush()


class MqttLine:
    """Published with QoS 1 on Unified-Namespace topics; a subscriber feeds the ingest."""

    def __init__(self, db: Database) -> None:
        from openfab.connect.mqtt import MqttIngestSource, MqttTelemetryPublisher

        run = uuid.uuid4().hex[:8]  # a fresh session: nothing queued by an earlier run
        self.ingest = TelemetryIngest(TelemetryStore(db.engine), batch_size=20_000).start()
        self.source = MqttIngestSource(self.ingest, client_id=f"openfab-demo-ingest-{run}")
        self.source.start()
        self.publisher = MqttTelemetryPublisher(client_id=f"openfab-demo-twin-{run}")
        self.sent = 0

    def send(self, readings: Sequence[Reading]) -> None:
        self.publisher.publish_batch(readings)
        self.sent += len(readings)

    def settle(self) -> IngestStats:
        self.publisher.flush()
        return _settled(self.ingest, self.sent)

    def close(self) -> None:
        """Deliver everything, store it, then disconnect: the source acknowledges what the
        ingest stored, so it must stay connected until the ingest stopped."""
        self.settle()
        self.publisher.close()
        self.source.pause()
        self.ingest.stop()
        self.source.stop()


class NatsLine:
    """Published to a durable JetStream stream; a consumer feeds the ingest."""

    def __init__(self, db: Database) -> None:
        from openfab.connect.nats import NatsIngestSource, NatsTelemetryPublisher

        self.ingest = TelemetryIngest(TelemetryStore(db.engine), batch_size=20_000).start()
        run = uuid.uuid4().hex[:8]
        durable = f"openfab-demo-{run}"  # only what this run publishes
        self.source = NatsIngestSource(self.ingest, durable=durable, new_only=True).start()
        self.publisher = NatsTelemetryPublisher(dedup_scope=f"{run}/")  # reruns reuse ids
        self.sent = 0

    def send(self, readings: Sequence[Reading]) -> None:
        self.publisher.publish_batch(readings)
        self.sent += len(readings)

    def settle(self) -> IngestStats:
        return _settled(self.ingest, self.sent)

    def close(self) -> None:
        """Deliver everything, store it, then disconnect: the source acknowledges what the
        ingest stored, so it must stay connected until the ingest stopped."""
        self.settle()
        self.publisher.close()
        self.source.pause()
        self.ingest.stop()
        self.source.stop()


def _settled(ingest: TelemetryIngest, sent: int, timeout: float = 120.0) -> IngestStats:
    """Once the broker delivered what was sent (a consumer pulls on its own time) and the
    ingest stored it."""
    deadline = time.monotonic() + timeout
    while ingest.stats.received < sent and time.monotonic() < deadline:
        time.sleep(0.01)
    ingest.drain()
    return ingest.stats


def open_line(bus: str, db: Database) -> TelemetryLine:
    if bus == "mqtt":
        return MqttLine(db)
    if bus == "nats":
        return NatsLine(db)
    return InProcessLine(db)
