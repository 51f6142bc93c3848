"""Shop-floor messages through the gateway into the MES, on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/runtime/gateway.py                      # small, ~2 minutes
    .venv/bin/python benchmarks/runtime/gateway.py --orders 200 --seconds 20

(a) Throughput: released fridge work orders (6 operations each), every operation's start and
finish as contract JSON from a machine of its work center, interleaved across work orders as
a plant sends them, applied with ``Gateway.receive_many`` in batches of 1, 100 and 500
payloads. Messages per second of one process, and CPU-milliseconds of this process per
message (the PostgreSQL server's CPU is not in it; SQLite's is).

(b) End to end over MQTT: a paho publisher in a process of its own sends the same kind of
messages at a fixed rate to a Mosquitto of the benchmark's own; ``MqttFloorSource`` (QoS 1,
batches, PUBACK after commit) applies them. Latency per message = the moment the gateway's
``receive_many`` returned for its batch (its effects are committed then: that is when the
source acknowledges) minus the moment the publisher called ``publish`` (wall clocks of one
host). Targets from the issue: ≥ 2,000 messages/s per process; p99 < 100 ms at 500 msg/s.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform as host
import statistics
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import psycopg
from common import finish, load_text, private_mosquitto
from rich.console import Console
from rich.table import Table

from openfab.connect.mqtt import MqttClient, MqttSettings
from openfab.connect.topics import EquipmentPath, floor_topic
from openfab.execution.schemas import WorkOrderDetail
from openfab.gateway.equipment import EquipmentDirectory
from openfab.gateway.schemas import GatewayResult
from openfab.gateway.service import Gateway
from openfab.identity.actor import Actor, Role
from openfab.identity.schemas import TenantCreate
from openfab.orders.schemas import OrderCreate, OrderTransition
from openfab.platform import Platform
from openfab.settings import Settings
from openfab.store.types import utcnow

warnings.simplefilter("ignore")
PG_ADMIN = os.environ.get("OPENFAB_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
THROUGHPUT_TARGET = 2_000
P99_TARGET_MS = 100.0
console = Console(width=140, record=True)
Message = tuple[str, bytes, str]
"""(MQTT topic, JSON payload, message id) of one shop-floor message."""


# -- the plant --------------------------------------------------------------------------------
@contextmanager
def opened(backend: str) -> Iterator[Platform]:
    """A migrated platform on a database of its own, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            platform = Platform.open(url, settings=Settings(database_url=url, jwt_secret="b" * 40))
            try:
                yield platform
            finally:
                platform.close()
        return
    name = f"openfab_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    platform = Platform.open(url, settings=Settings(database_url=url, jwt_secret="b" * 40))
    try:
        yield platform
    finally:
        platform.close()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Plant:
    """A tenant with the sample products, and where each work center's machines sit."""

    platform: Platform
    actor: Actor
    choices: dict[str, Any]
    machines: dict[str, list[EquipmentPath]]

    @classmethod
    def of(cls, platform: Platform) -> Plant:
        tenant = f"bench-{uuid.uuid4().hex[:6]}"
        platform.identity.create_tenant(Actor.system("bench"), TenantCreate(id=tenant, name=tenant))
        actor = Actor("system:bench", tenant, None, frozenset(Role))
        platform.catalog.install_sample_products(actor)
        choices = platform.catalog.complete(actor, "fridge", {}).to_dict()["choices"]
        directory = EquipmentDirectory.load()
        machines: dict[str, list[EquipmentPath]] = {}
        for machine, center in sorted(platform.execution.machines().items()):
            path = directory.path_of(machine)
            if path is not None:
                machines.setdefault(center, []).append(path)
        return cls(platform, actor, choices, machines)

    def release(self, count: int) -> list[WorkOrderDetail]:
        """``count`` fridge orders placed, planned and released (set-up, not measured)."""
        out = []
        for _ in range(count):
            order = self.platform.orders.place(
                self.actor, OrderCreate(product="fridge", choices=self.choices)
            )
            self.platform.orders.transition(self.actor, order.id, OrderTransition(status="Planned"))
            out.append(self.platform.execution.release_order(self.actor, order.id))
        return out

    def messages(self, work_orders: Sequence[WorkOrderDetail]) -> list[Message]:
        """Each operation's start and finish, step by step across all work orders (the next
        message of one work order comes after one message of every other), each from a
        machine of the operation's work center, spread over the center's machines."""
        t0 = utcnow() - timedelta(days=1)
        steps: list[list[Message]] = []
        for w, work_order in enumerate(work_orders):
            own: list[Message] = []
            for i, op in enumerate(work_order.operations):
                center = next(c for c in op.work_centers if c in self.machines)
                pool = self.machines[center]
                path = pool[(w + i) % len(pool)]
                topic = floor_topic(path)
                common = {"work_order": work_order.number, "operation": op.sequence}
                start = {"type": "operation.started", **common}
                finish = {"type": "operation.finished", "good": work_order.quantity, **common}
                for minute, body in ((10 * i, start), (10 * i + 5, finish)):
                    message_id = uuid.uuid4().hex[:20]
                    at = (t0 + timedelta(minutes=minute)).isoformat()
                    payload = json.dumps({"message_id": message_id, "at": at, **body}).encode()
                    own.append((topic, payload, message_id))
            steps.append(own)
        longest = max((len(s) for s in steps), default=0)
        return [s[k] for k in range(longest) for s in steps if k < len(s)]


def sender(topic: str) -> str:
    """``openfab/site/area/line/machine/$floor`` → ``site/area/line/machine``."""
    return topic.split("/", 1)[1].rsplit("/", 1)[0]


# -- (a) throughput ---------------------------------------------------------------------------
@dataclass
class Throughput:
    backend: str
    batch: int
    messages: int
    seconds: float
    cpu_seconds: float
    applied: int
    dead_lettered: int

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


def throughput(plant: Plant, backend: str, batch: int, orders: int) -> Throughput:
    messages = plant.messages(plant.release(orders))
    payloads = [(sender(topic), payload) for topic, payload, _ in messages]
    gateway = plant.platform.gateway
    applied = dead = 0
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(payloads), batch):
        result = gateway.receive_many(payloads[i : i + batch], transport="bench")
        applied, dead = applied + result.applied, dead + result.dead_lettered
        if result.problems and dead == result.dead_lettered:
            console.print(f"[red]dead letter[/]: {result.problems[0].reason}")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return Throughput(backend, batch, len(payloads), seconds, cpu, applied, dead)


# -- (b) end to end over MQTT -----------------------------------------------------------------
class TimedGateway:
    """The gateway as ``MqttFloorSource`` calls it, noting when each message's batch was
    committed (``receive_many`` returns after the commit; the source acknowledges then)."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.committed: dict[str, float] = {}
        self.batches: list[int] = []
        self.applied = 0
        self.dead_lettered = 0

    def receive_many(
        self, payloads: Sequence[tuple[Any, bytes]], *, transport: str
    ) -> GatewayResult:
        result = self.gateway.receive_many(payloads, transport=transport)
        now = time.time()
        for _, payload in payloads:  # b'{"message_id": "…", …': the id without a JSON parse
            self.committed[payload.split(b'"', 4)[3].decode()] = now
        self.batches.append(len(payloads))
        self.applied += result.applied
        self.dead_lettered += result.dead_lettered
        return result


def publish_at_rate(port: int, messages: list[Message], rate: float, out: str) -> None:
    """The plant's machines (a process of its own): publish at ``rate`` messages/s on a fixed
    schedule, noting the wall-clock moment of each ``publish`` call."""
    client = MqttClient(MqttSettings(port=port), client_id=f"bench-plant-{uuid.uuid4().hex[:8]}")
    client.start()
    sent: dict[str, float] = {}
    behind = 0.0
    t0 = time.perf_counter()
    for i, (topic, payload, message_id) in enumerate(messages):
        due = t0 + i / rate
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        else:
            behind = max(behind, -wait)
        sent[message_id] = time.time()
        client.publish(topic, payload)
    client.flush(60)
    client.stop(end_session=True)
    Path(out).write_text(json.dumps({"sent": sent, "behind": behind}))


@dataclass
class Latency:
    backend: str
    rate: float
    messages: int
    sent_rate: float
    committed: int
    applied: int
    dead_lettered: int
    batch_mean: float
    behind: float
    latencies: list[float]

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return math.nan
        return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)] * 1000


def over_mqtt(plant: Plant, backend: str, rate: float, seconds: float, port: int) -> Latency:
    from openfab.gateway.transports import MqttFloorSource

    count = int(rate * seconds)
    work_orders = plant.release(math.ceil(count / 12))
    messages = plant.messages(work_orders)[:count]
    timed = TimedGateway(plant.platform.gateway)
    source = MqttFloorSource(
        cast(Gateway, timed),
        MqttSettings(port=port),
        client_id=f"bench-gateway-{uuid.uuid4().hex[:8]}",
    )
    source.start()
    with tempfile.TemporaryDirectory() as tmp:
        out = f"{tmp}/sent.json"
        context = multiprocessing.get_context("spawn")
        publisher = context.Process(target=publish_at_rate, args=(port, messages, rate, out))
        publisher.start()
        publisher.join()
        data = json.loads(Path(out).read_text())
    sent: dict[str, float] = data["sent"]
    seen, last = -1, time.monotonic()
    while len(timed.committed) < len(messages) and time.monotonic() - last < 30:
        if len(timed.committed) != seen:
            seen, last = len(timed.committed), time.monotonic()
        time.sleep(0.05)
    source.stop()
    latencies = [timed.committed[m] - t for m, t in sent.items() if m in timed.committed]
    span = max(sent.values()) - min(sent.values()) if len(sent) > 1 else math.nan
    return Latency(
        backend=backend,
        rate=rate,
        messages=len(messages),
        sent_rate=(len(sent) - 1) / span if span else math.nan,
        committed=len(latencies),
        applied=timed.applied,
        dead_lettered=timed.dead_lettered,
        batch_mean=statistics.fmean(timed.batches) if timed.batches else 0.0,
        behind=data["behind"],
        latencies=latencies,
    )


# -- report -----------------------------------------------------------------------------------
def throughput_table(rows: list[Throughput]) -> Table:
    table = Table(title="(a) Gateway.receive_many: shop-floor messages per second of one process")
    for column in ("database", "batch", "messages", "seconds", "messages/s", "CPU ms/message"):
        table.add_column(column, justify="left" if column == "database" else "right")
    table.add_column("applied / dead-lettered", justify="right")
    for r in rows:
        ok = r.rate >= THROUGHPUT_TARGET
        table.add_row(
            r.backend,
            f"{r.batch:,}",
            f"{r.messages:,}",
            f"{r.seconds:.2f}",
            f"[{'green' if ok else 'red'}]{r.rate:,.0f}[/]",
            f"{1000 * r.cpu_seconds / r.messages:.2f}",
            f"{r.applied:,} / {r.dead_lettered:,}",
        )
    table.caption = f"target ≥ {THROUGHPUT_TARGET:,} messages/s per process"
    return table


def latency_table(rows: list[Latency]) -> Table:
    table = Table(title="(b) MQTT → MqttFloorSource → committed: latency per message")
    columns = (
        "database",
        "rate asked",
        "rate sent",
        "messages",
        "committed",
        "dead-lettered",
        "mean batch",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "database" else "right")
    for r in rows:
        p99 = r.pct(0.99)
        ok = p99 < P99_TARGET_MS and r.committed == r.messages
        table.add_row(
            r.backend,
            f"{r.rate:,.0f}/s",
            f"{r.sent_rate:,.0f}/s",
            f"{r.messages:,}",
            f"{r.committed:,}" if r.committed == r.messages else f"[red]{r.committed:,}[/]",
            f"{r.dead_lettered:,}",
            f"{r.batch_mean:.1f}",
            f"{r.pct(0.50):.1f}",
            f"{r.pct(0.90):.1f}",
            f"[{'green' if ok else 'red'}]{p99:.1f}[/]",
            f"{r.pct(1.0):.1f}",
        )
    table.caption = (
        f"target p99 < {P99_TARGET_MS:.0f} ms at 500 msg/s; publisher at most "
        f"{max((r.behind for r in rows), default=0) * 1000:.0f} ms behind its schedule"
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql"
    )
    parser.add_argument(
        "--orders", type=int, default=40, help="work orders per batch size in (a), 12 messages each"
    )
    parser.add_argument("--batches", default="1,100,500", help="batch sizes for (a)")
    parser.add_argument("--rate", type=float, default=500.0, help="MQTT messages/s in (b)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long (b) publishes")
    parser.add_argument("--only", choices=("throughput", "mqtt"), help="run one part only")
    parser.add_argument(
        "--shared-broker", action="store_true", help="use the Mosquitto at 1883 in (b)"
    )
    parser.add_argument("--no-save", action="store_true", help="do not write results/")
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    batches = [int(b) for b in args.batches.split(",")]
    before = os.getloadavg()
    console.print(f"{host.node()}: {os.cpu_count()} cores, load average before {load_text(before)}")
    speed: list[Throughput] = []
    latency: list[Latency] = []
    for backend in backends:
        with opened(backend) as platform:
            plant = Plant.of(platform)
            if args.only in (None, "throughput"):
                for batch in batches:
                    console.print(f"{backend}: {args.orders} work orders in batches of {batch} …")
                    speed.append(throughput(plant, backend, batch, args.orders))
            if args.only in (None, "mqtt"):
                console.print(f"{backend}: MQTT at {args.rate:,.0f}/s for {args.seconds:.0f} s …")
                if args.shared_broker:
                    latency.append(over_mqtt(plant, backend, args.rate, args.seconds, 1883))
                else:
                    with private_mosquitto() as port:
                        latency.append(over_mqtt(plant, backend, args.rate, args.seconds, port))
    if speed:
        console.print(throughput_table(speed))
    if latency:
        console.print(latency_table(latency))
    finish(console, "gateway", before, save=not args.no_save)


if __name__ == "__main__":
    main()
