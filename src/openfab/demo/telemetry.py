"""Telemetry from the twin into the platform: in process straight to the ingest, or across
a real MQTT broker or NATS JetStream server (the connect package's publishers and sources)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Protocol

from openfab.connect.ingest import IngestStats, TelemetryIngest
from openfab.connect.store import TelemetryStore
from openfab.connect.telemetry import Reading
from openfab.connect.topics import EquipmentPath
from openfab.store import Database
from openfab.twin import MachinePath, TelemetryBatch

BUSES = ("inprocess", "mqtt", "nats")


class TelemetryLine(Protocol):
    def send(self, readings: Sequence[Reading]) -> None: ...
    def settle(self) -> IngestStats: ...
    def close(self) -> None: ...


def readings(batch: TelemetryBatch, paths: Mapping[str, MachinePath]) -> list[Reading]:
    """The batch's values as ingest readings (message ids as the twin numbers them)."""
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

    def send(self, readings: Sequence[Reading]) -> None:
        self.publisher.publish_batch(readings)

    def settle(self) -> IngestStats:
        self.publisher.flush()
        self.ingest.drain()
        return self.ingest.stats

    def close(self) -> None:
        self.settle()
        self.publisher.close()
        self.source.stop()
        self.ingest.stop()


class NatsLine:
    """Published to a durable JetStream stream; a consumer feeds the ingest."""

    def __init__(self, db: Database) -> None:
        from openfab.connect.nats import NatsIngestSource, NatsTelemetryPublisher

        self.ingest = TelemetryIngest(TelemetryStore(db.engine), batch_size=20_000).start()
        durable = f"openfab-demo-{uuid.uuid4().hex[:8]}"  # only what this run publishes
        self.source = NatsIngestSource(self.ingest, durable=durable, new_only=True).start()
        self.publisher = NatsTelemetryPublisher()

    def send(self, readings: Sequence[Reading]) -> None:
        self.publisher.publish_batch(readings)

    def settle(self) -> IngestStats:
        self.ingest.drain()
        return self.ingest.stats

    def close(self) -> None:
        self.settle()
        self.publisher.close()
        self.source.stop()
        self.ingest.stop()


def open_line(bus: str, db: Database) -> TelemetryLine:
    if bus == "mqtt":
        return MqttLine(db)
    if bus == "nats":
        return NatsLine(db)
    return InProcessLine(db)
