"""Events out: the relay drains pre-written events of the log to NATS JetStream and to MQTT.

    .venv/bin/python benchmarks/runtime/relay.py                        # 20,000 events
    .venv/bin/python benchmarks/runtime/relay.py --events 50000 --backend postgresql

N events are first appended to the hash-chained log (1,000 per unit of work, as busy services
write them; set-up, not measured). Then, per sink, a fresh consumer (its own durable cursor
from the beginning) runs ``Relay.drain()`` with ``EventPublisher``: read a batch after the
cursor, publish every event, wait for the broker's acknowledgement, advance the cursor. Events
per second = N / wall time of the drain. Sinks: none (``InProcessSink`` without subscribers:
the relay's own cost of reading, decoding and moving the cursor), NATS JetStream (``NatsSink``,
the shared server at 4222; the benchmark's subjects are purged afterwards) and MQTT
(``MqttSink``, QoS 1, a Mosquitto of the benchmark's own). Target: ≥ 10,000 events/s to NATS.
"""

from __future__ import annotations

import argparse
import os
import platform as host
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from common import finish, load_text, private_mosquitto
from rich.console import Console
from rich.table import Table

from openfab.connect.mqtt import MqttSettings
from openfab.connect.nats import NatsSettings
from openfab.connect.topics import NATS_EVENTS
from openfab.runtime.publisher import EventPublisher, EventSink, InProcessSink, MqttSink, NatsSink
from openfab.store import Database
from openfab.store.relay import Relay
from openfab.store.tenancy import Scope

warnings.simplefilter("ignore")
PG_ADMIN = os.environ.get("OPENFAB_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
NATS_TARGET = 10_000
console = Console(width=140, record=True)


@contextmanager
def database(backend: str) -> Iterator[Database]:
    """A migrated database of its own, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite:///{tmp}/bench.db")
            db.migrate()
            try:
                yield db
            finally:
                db.dispose()
        return
    name = f"openfab_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = Database(f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}")
    db.migrate()
    try:
        yield db
    finally:
        db.dispose()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def write_events(db: Database, tenant: str, count: int, per_unit: int = 1000) -> float:
    """``count`` operation-like events in the chained log; seconds it took."""
    started = time.perf_counter()
    for first in range(0, count, per_unit):
        with db.unit(Scope.tenant(tenant), actor="system:bench") as uow:
            for i in range(first, min(count, first + per_unit)):
                payload = {
                    "work_order": f"WO-{i // 12:06d}",
                    "sequence": 10 * (i % 12 // 2 + 1),
                    "machine": f"paint_line-{i % 10 + 1}",
                    "good": 1,
                }
                kind = "operation.started" if i % 2 == 0 else "operation.finished"
                uow.record(kind, "work_order_operation", f"op-{i}", payload)
    return time.perf_counter() - started


@dataclass
class Drained:
    sink: str
    events: int
    seconds: float
    cpu_seconds: float
    batch: int

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def drain(db: Database, name: str, sink: EventSink, *, batch: int) -> Drained:
    publisher = EventPublisher(sink, name=f"bench.{name}.{uuid.uuid4().hex[:6]}")
    relay = Relay(db, publisher, batch_size=batch, start="beginning")
    started, cpu = time.perf_counter(), time.process_time()
    relay.drain()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    relay.close()
    sink.close()
    return Drained(name, publisher.published, seconds, cpu, batch)


def purge_nats(tenant: str) -> None:
    """Drop the benchmark's events from the shared JetStream stream."""
    sink = NatsSink(NatsSettings())
    try:
        stream = sink.client.settings.events_stream
        subject = f"{NATS_EVENTS}.{tenant}.>"
        sink.client.loop.run(sink.client.js.purge_stream(stream, subject=subject), timeout=60)
    finally:
        sink.close()


def render(rows: list[Drained], backend: str, written: float, events: int) -> Table:
    table = Table(title=f"Relay.drain() → EventPublisher: events out per second ({backend})")
    for column in ("sink", "relay batch", "events", "seconds", "events/s", "CPU µs/event"):
        table.add_column(column, justify="left" if column == "sink" else "right")
    table.add_column("target", justify="right")
    for r in rows:
        target = NATS_TARGET if r.sink.startswith("NATS") else None
        colour = "green" if target is None or r.rate >= target else "red"
        table.add_row(
            r.sink,
            f"{r.batch:,}",
            f"{r.events:,}" if r.events == events else f"[red]{r.events:,}[/]",
            f"{r.seconds:.2f}",
            f"[{colour}]{r.rate:,.0f}[/]",
            f"{1e6 * r.cpu_seconds / max(r.events, 1):.0f}",
            f"≥ {target:,}" if target else "—",
        )
    table.caption = (
        f"set-up: {events:,} events appended in {written:.1f} s "
        f"({events / written:,.0f} events/s, 1,000 per unit of work)"
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="events in the log")
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--batch", type=int, default=1000, help="the relay's batch size")
    parser.add_argument(
        "--sinks", default="none,nats,mqtt", help="comma-separated: none, nats, mqtt"
    )
    parser.add_argument("--shared-broker", action="store_true", help="MQTT: the Mosquitto at 1883")
    parser.add_argument(
        "--mqtt-window",
        type=int,
        default=500,
        help="MQTT: also drain with this many publishes in flight (default 20)",
    )
    parser.add_argument("--no-save", action="store_true", help="do not write results/")
    args = parser.parse_args()
    sinks = [s.strip() for s in args.sinks.split(",") if s.strip()]
    before = os.getloadavg()
    console.print(f"{host.node()}: {os.cpu_count()} cores, load average before {load_text(before)}")
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    rows: list[Drained] = []
    with database(args.backend) as db:
        console.print(f"writing {args.events:,} events ({args.backend}) …")
        written = write_events(db, tenant, args.events)
        runs: dict[str, Callable[[], Drained]] = {
            "none": lambda: drain(db, "none", InProcessSink(), batch=args.batch),
            "nats": lambda: drain(db, "NATS JetStream", NatsSink(NatsSettings()), batch=args.batch),
        }
        for sink in sinks:
            console.print(f"draining to {sink} …")
            if sink == "mqtt":
                if args.shared_broker:
                    mqtt = MqttSink(MqttSettings(), client_id=f"bench-{uuid.uuid4().hex[:8]}")
                    rows.append(drain(db, "MQTT (QoS 1)", mqtt, batch=args.batch))
                    continue
                for window in (20, args.mqtt_window):  # the default, then a wider window
                    with private_mosquitto(inflight=window) as port:
                        settings = MqttSettings(port=port, max_inflight=window)
                        mqtt = MqttSink(settings, client_id=f"bench-{uuid.uuid4().hex[:8]}")
                        name = f"MQTT (QoS 1, {window} in flight)"
                        rows.append(drain(db, name, mqtt, batch=args.batch))
            elif sink == "nats":
                try:
                    rows.append(runs["nats"]())
                finally:
                    purge_nats(tenant)
            else:
                rows.append(runs[sink]())
    console.print(render(rows, args.backend, written, args.events))
    finish(console, "relay", before, save=not args.no_save)


if __name__ == "__main__":
    main()
