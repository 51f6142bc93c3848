"""Telemetry ingest throughput, readings per second, end to end (sent → committed).

    .venv/bin/python benchmarks/ingest/run.py            # all scenarios
    .venv/bin/python benchmarks/ingest/run.py --quick    # fewer readings

Scenarios: in-process → SQLite (target ≥ 100,000/s), in-process → PostgreSQL, MQTT →
PostgreSQL (target ≥ 20,000/s) and NATS JetStream → PostgreSQL, each with one reading per
message and with machine batches (one message carries many signals of one machine, as a PLC
gateway publishes a scan). Every run checks its count: stored readings == sent readings.
Needs the local PostgreSQL (127.0.0.1:5432), Mosquitto (1883) and NATS (4222).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import platform
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from rich.console import Console
from rich.table import Table

from openfab.connect.ingest import TelemetryIngest
from openfab.connect.store import TelemetryStore
from openfab.connect.telemetry import Reading, machine_batches, new_message_id
from openfab.connect.topics import EquipmentPath
from openfab.store import Database

warnings.simplefilter("ignore")
PG_ADMIN = os.environ.get("OPENFAB_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
RESULTS = Path(__file__).parent / "results"
SIGNALS = ("temperature", "vibration", "current", "pressure", "speed")
console = Console(width=150)
RANDOM_IDS = False


@dataclass
class Result:
    scenario: str
    readings: int
    messages: int
    seconds: float
    stored: int
    duplicates: int
    target: int | None
    cpu_seconds: float = 0.0  # of this process (all its threads); excludes broker and server

    @property
    def rate(self) -> float:
        return self.readings / self.seconds


def make_readings(n: int, site: str) -> list[Reading]:
    """n readings round-robin over 20 machines × 5 signals, one second apart per machine;
    time-ordered ids as the twin sends them (``--random-ids``: uuid4 instead)."""
    new_id = (lambda: uuid.uuid4().hex) if RANDOM_IDS else new_message_id
    t0 = datetime(2026, 11, 26, tzinfo=UTC)
    machines = [EquipmentPath.machine_path(site, "assembly", "line1", f"m{i}") for i in range(20)]
    return [
        Reading(
            new_id(),
            machines[i % 20],
            SIGNALS[(i // 20) % 5],
            20.0 + (i % 97) * 0.1,
            t0 + timedelta(seconds=i // 100),
        )
        for i in range(n)
    ]


@contextmanager
def postgres() -> Iterator[Database]:
    name = f"openfab_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = Database(f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}")
    db.migrate()
    try:
        yield db
    finally:
        db.engine.dispose()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def sqlite() -> Iterator[Database]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        db.migrate()
        yield db
        db.engine.dispose()


def count(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM telemetry_reading").scalar_one())


def in_process(db: Database, readings: list[Reading], name: str, target: int | None) -> Result:
    ingest = TelemetryIngest(TelemetryStore(db.engine), batch_size=10_000)
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(readings), 10_000):
        ingest.submit(readings[i : i + 10_000])
        ingest.flush()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    s = ingest.stats
    return Result(name, len(readings), 0, seconds, count(db), s.duplicates, target, cpu)


def wait_stored(ingest: TelemetryIngest, n: int, stall: float = 20.0) -> None:
    """Wait until n readings arrived, or until none arrived for ``stall`` seconds (lost
    messages show up as stored < sent in the table instead of hanging the benchmark)."""
    seen, last_progress = -1, time.monotonic()
    while ingest.stats.received < n and time.monotonic() - last_progress < stall:
        if ingest.stats.received != seen:
            seen, last_progress = ingest.stats.received, time.monotonic()
        time.sleep(0.01)
    ingest.drain(600)


@contextmanager
def private_mosquitto() -> Iterator[int]:
    """A Mosquitto of the benchmark's own, configured as a plant's broker would be: QoS 1
    messages for a lagging consumer are queued, not dropped (the default drops beyond 1000)."""
    with tempfile.TemporaryDirectory() as tmp, socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        conf = Path(tmp) / "mosquitto.conf"
        conf.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\n"
            f"max_queued_messages 10000000\nuser {getpass.getuser()}\n"
        )
        binary = shutil.which("mosquitto", path="/usr/sbin:/usr/bin:/usr/local/sbin") or "mosquitto"
        process = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.05)
            yield port
        finally:
            process.terminate()
            process.wait(10)


def over_mqtt(
    db: Database, readings: list[Reading], batch: int, target: int | None, port: int
) -> Result:
    from openfab.connect.mqtt import MqttIngestSource, MqttSettings, MqttTelemetryPublisher

    site = readings[0].path.site
    settings = MqttSettings(port=port)
    ingest = TelemetryIngest(TelemetryStore(db.engine), batch_size=5000).start()
    source = MqttIngestSource(
        ingest, settings, client_id=f"bench-{site}", topic=f"openfab/{site}/#"
    )
    source.start()
    publisher = MqttTelemetryPublisher(settings)
    start, cpu = time.perf_counter(), time.process_time()
    if batch == 1:
        for r in readings:
            publisher.publish(r)
        messages = len(readings)
    else:
        groups = machine_batches(readings, size=batch)
        for group in groups:
            publisher.publish_batch(group)
        messages = len(groups)
    publisher.flush(600)
    wait_stored(ingest, len(readings))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    publisher.close()
    source.stop(end_session=True)
    ingest.stop()
    name = f"MQTT → PostgreSQL ({'1 reading' if batch == 1 else f'{batch} readings'}/message)"
    stats = ingest.stats
    return Result(name, len(readings), messages, seconds, count(db), stats.duplicates, target, cpu)


def over_nats(db: Database, readings: list[Reading], batch: int) -> Result:
    from openfab.connect.nats import NatsIngestSource, NatsTelemetryPublisher

    site = readings[0].path.site
    ingest = TelemetryIngest(TelemetryStore(db.engine), batch_size=5000).start()
    source = NatsIngestSource(
        ingest, durable=f"bench-{site}", subject=f"openfab.telemetry.{site}.>", batch=5000
    ).start()
    publisher = NatsTelemetryPublisher()
    start, cpu = time.perf_counter(), time.process_time()
    if batch == 1:
        for i in range(0, len(readings), 5000):
            publisher.publish_many(readings[i : i + 5000])
        messages = len(readings)
    else:
        groups = machine_batches(readings, size=batch)
        publisher.publish_batches(groups)
        messages = len(groups)
    wait_stored(ingest, len(readings))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    source.stop()
    NatsIngestSource(ingest, durable=f"bench-{site}").delete_consumer()
    publisher.purge(f"openfab.telemetry.{site}.>")  # leave the shared stream as it was
    publisher.close()
    ingest.stop()
    name = f"NATS → PostgreSQL ({'1 reading' if batch == 1 else f'{batch} readings'}/message)"
    stats = ingest.stats
    return Result(name, len(readings), messages, seconds, count(db), stats.duplicates, None, cpu)


def render(results: list[Result], load: tuple[float, float, float]) -> Table:
    table = Table(title=f"Telemetry ingest, readings/s (load average {load[0]:.1f})")
    columns = ("scenario", "readings", "messages", "seconds", "readings/s", "target", "stored")
    for column in (*columns, "per CPU s"):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for r in results:
        ok = r.target is None or r.rate >= r.target
        table.add_row(
            r.scenario,
            f"{r.readings:,}",
            f"{r.messages:,}" if r.messages else "—",
            f"{r.seconds:.2f}",
            f"[{'green' if ok else 'red'}]{r.rate:,.0f}[/]",
            f"≥ {r.target:,}" if r.target else "—",
            "all" if r.stored == r.readings else f"[red]{r.stored:,}[/]",
            f"{r.readings / r.cpu_seconds:,.0f}" if r.cpu_seconds else "—",
        )
    return table


def markdown(results: list[Result]) -> str:
    lines = [
        "| scenario | readings | messages | seconds | readings/s | target | stored = sent "
        "| readings per CPU second |",
        "|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.scenario} | {r.readings:,} | {f'{r.messages:,}' if r.messages else '—'} "
            f"| {r.seconds:.2f} "
            f"| {r.rate:,.0f} | {f'≥ {r.target:,}' if r.target else '—'} "
            f"| {'yes' if r.stored == r.readings else f'NO ({r.stored:,})'} "
            f"| {r.readings / r.cpu_seconds:,.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer readings")
    parser.add_argument("--only", help="run scenarios whose name contains this text")
    parser.add_argument("--random-ids", action="store_true", help="uuid4 message ids")
    parser.add_argument(
        "--shared-broker",
        action="store_true",
        help="use the Mosquitto at 1883 (its default queue limit drops messages under load)",
    )
    args = parser.parse_args()
    global RANDOM_IDS
    RANDOM_IDS = args.random_ids
    n = 50_000 if args.quick else 200_000
    single = 5_000 if args.quick else 20_000
    runs: list[tuple[str, Callable[[], Result]]] = []

    def add(name: str, make: Callable[[], Result]) -> None:
        if not args.only or args.only.lower() in name.lower():
            runs.append((name, make))

    def site() -> str:
        return f"bench{uuid.uuid4().hex[:8]}"

    def on_sqlite() -> Result:
        with sqlite() as db:
            return in_process(db, make_readings(n, site()), "in-process → SQLite", 100_000)

    def on_postgres() -> Result:
        with postgres() as db:
            return in_process(db, make_readings(n, site()), "in-process → PostgreSQL", None)

    def mqtt(batch: int, k: int, target: int | None) -> Callable[[], Result]:
        def run() -> Result:
            if args.shared_broker:
                with postgres() as db:
                    return over_mqtt(db, make_readings(k, site()), batch, target, 1883)
            with private_mosquitto() as port, postgres() as db:
                return over_mqtt(db, make_readings(k, site()), batch, target, port)

        return run

    def nats(batch: int, k: int) -> Callable[[], Result]:
        def run() -> Result:
            with postgres() as db:
                return over_nats(db, make_readings(k, site()), batch)

        return run

    add("in-process sqlite", on_sqlite)
    add("in-process postgresql", on_postgres)
    add("mqtt single", mqtt(1, single, None))
    add("mqtt batch", mqtt(100, n, 20_000))
    add("nats single", nats(1, single))
    add("nats batch", nats(100, n))
    results = []
    for name, run in runs:
        console.print(f"running {name} …")
        results.append(run())
    load = os.getloadavg()
    console.print(render(results, load))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    ids = "uuid4" if RANDOM_IDS else "time-ordered"
    machine = (
        f"{platform.node()} ({os.cpu_count()} cores, load average {load[0]:.1f}); {ids} message ids"
    )
    report = f"# Telemetry ingest — {stamp}\n\nMachine: {machine}\n\n{markdown(results)}\n"
    (RESULTS / f"ingest-{stamp}.md").write_text(report)
    (RESULTS / f"ingest-{stamp}.json").write_text(
        json.dumps(
            {
                "machine": machine,
                "results": [{**asdict(r), "rate": r.rate} for r in results],
            },
            indent=1,
        )
    )
    console.print(f"results → {RESULTS / f'ingest-{stamp}.md'}")


if __name__ == "__main__":
    main()
