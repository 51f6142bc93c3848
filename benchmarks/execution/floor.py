"""Shop-floor message throughput of the execution service: one transaction per message
against the batched ``floor()`` session, on SQLite or PostgreSQL.

    .venv/bin/python benchmarks/execution/floor.py --orders 100 [--db postgresql://…]

Each order is a fridge work order of 6 operations; every operation is a start and a finish
message with a lot consumed. Prints a markdown table; the CPU column (this process only) is
the figure to compare on a busy machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from openfab.execution.schemas import LotConsumption, OperationFinish, OperationStart
from openfab.identity.actor import Actor, Role
from openfab.identity.schemas import TenantCreate
from openfab.orders.schemas import OrderCreate, OrderTransition
from openfab.platform import Platform
from openfab.settings import Settings
from openfab.store.types import utcnow

TWIN = Actor.system("bench")


def released(platform: Platform, actor: Actor, count: int) -> list[Any]:
    choices = platform.catalog.complete(actor, "fridge", {}).to_dict()["choices"]
    out = []
    for _ in range(count):
        order = platform.orders.place(actor, OrderCreate(product="fridge", choices=choices))
        platform.orders.transition(actor, order.id, OrderTransition(status="Planned"))
        out.append(platform.execution.release_order(actor, order.id))
    return out


def messages(platform: Platform, work_order: Any) -> list[tuple[str, int, Any]]:
    machines = platform.execution.machines()
    moment = utcnow() - timedelta(days=1)
    out: list[tuple[str, int, Any]] = []
    for op in work_order.operations:
        machine = next(m for m, c in sorted(machines.items()) if c in op.work_centers)
        lot = LotConsumption(material="steel_coil_dc01", lot="LOT-1", quantity=1)
        out.append(
            (
                "start",
                op.sequence,
                OperationStart(
                    message_id=uuid.uuid4().hex, machine=machine, started_at=moment, materials=[lot]
                ),
            )
        )
        moment += timedelta(minutes=3)
        out.append(
            (
                "finish",
                op.sequence,
                OperationFinish(message_id=uuid.uuid4().hex, finished_at=moment, quantity_good=1),
            )
        )
    return out


def one_by_one(platform: Platform, work_orders: list[Any]) -> int:
    sent = 0
    for work_order in work_orders:
        for kind, sequence, data in messages(platform, work_order):
            command = (
                platform.execution.start_operation
                if kind == "start"
                else (platform.execution.finish_operation)
            )
            command(TWIN, work_order.number, sequence, data)
            sent += 1
    return sent


def batched(platform: Platform, work_orders: list[Any], tenant: str) -> int:
    sent = 0
    with platform.execution.floor(TWIN, tenant_id=tenant) as floor:
        for work_order in work_orders:
            for kind, sequence, data in messages(platform, work_order):
                command = floor.start_operation if kind == "start" else floor.finish_operation
                assert command(work_order.number, sequence, data) is not None
                sent += 1
    return sent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        platform = Platform.open(url, settings=Settings(database_url=url, jwt_secret="b" * 40))
        tenant = f"bench-{uuid.uuid4().hex[:6]}"
        platform.identity.create_tenant(Actor.system("bench"), TenantCreate(id=tenant, name=tenant))
        actor = Actor("system:bench", tenant, None, frozenset(Role))
        platform.catalog.install_sample_products(actor)
        rows = []
        for name, run in (
            ("one transaction per message", lambda w: one_by_one(platform, w)),
            ("floor() batch, one transaction", lambda w: batched(platform, w, tenant)),
        ):
            work_orders = released(platform, actor, args.orders)
            started, cpu = time.perf_counter(), time.process_time()
            sent = run(work_orders)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            rows.append((name, sent, elapsed, cpu))
        platform.close()
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(
        f"| path ({backend}, {args.orders} fridge orders) | messages | wall s | messages/s "
        "| client CPU ms per message |"
    )
    print("|---|---|---|---|---|")
    for name, sent, elapsed, cpu in rows:
        print(
            f"| {name} | {sent} | {elapsed:.2f} | {sent / elapsed:,.0f} | {1000 * cpu / sent:.1f} |"
        )


if __name__ == "__main__":
    main()
