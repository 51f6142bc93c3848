"""Spine benchmark: configurator latency and order-placement throughput.

    .venv/bin/python benchmarks/spine.py [--orders 500] [--postgres URL]

Prints one table: validate+explode (configure) latency for the fridge, options-left and
complete latency, and orders placed per second through the service layer on SQLite and on
PostgreSQL (each order: configure, price, promise date, insert, load, event, commit).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from rich.console import Console
from rich.table import Table

from openfab.catalog.configurator import Configurator
from openfab.catalog.parsing import parse_product
from openfab.catalog.sample import load_sample_catalog
from openfab.demo import ensure_tenant, random_choices
from openfab.errors import Infeasible, InvalidInput
from openfab.orders.schemas import OrderCreate
from openfab.platform import Platform


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def configurator_rows(repeat: int, rng: random.Random) -> list[tuple[str, str, str]]:
    sample = load_sample_catalog()
    raw = sample.product_documents["fridge"]
    definition = parse_product(raw, materials=sample.materials, work_centers=sample.work_centers)
    configurator = Configurator(definition)
    partials = [random_choices(definition, rng) for _ in range(repeat)]
    fulls = []
    for wish in partials:
        try:
            fulls.append(dict(configurator.complete(wish).choices))
        except (Infeasible, InvalidInput):
            fulls.append(dict(configurator.complete({}).choices))
    rows = []
    it = iter(fulls)
    p50, p99 = percentiles(timed(lambda: configurator.configure(next(it)), len(fulls)))
    rows.append(("fridge validate + explode (configure)", f"{p50:.2f} ms", f"{p99:.2f} ms"))
    it2 = iter(partials)
    p50, p99 = percentiles(timed(lambda: configurator.options_left(next(it2)), len(partials)))
    rows.append(("fridge options-left (random partial)", f"{p50:.2f} ms", f"{p99:.2f} ms"))
    it3 = iter(partials)

    def complete_one() -> None:
        try:
            configurator.complete(next(it3))
        except (Infeasible, InvalidInput):
            pass

    p50, p99 = percentiles(timed(complete_one, len(partials)))
    rows.append(("fridge complete (cheapest)", f"{p50:.2f} ms", f"{p99:.2f} ms"))
    rows.append(("fridge valid variants", str(configurator.count_variants()), ""))
    return rows


def placement_rate(url: str, orders: int, rng: random.Random) -> float:
    platform = Platform.open(url)
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    _admin, customer, *_ = ensure_tenant(platform, tenant, "Bench")
    platform.catalog.install_sample_products(_admin)
    handle = platform.catalog.handle(customer, "fridge")
    bodies = []
    for _ in range(orders):
        try:
            configured = handle.configurator.complete(
                random_choices(handle.configurator.definition, rng)
            )
        except (Infeasible, InvalidInput):
            configured = handle.configurator.complete({})
        bodies.append(OrderCreate(product="fridge", choices=configured.to_dict()["choices"]))
    start = time.perf_counter()
    for body in bodies:
        platform.orders.place(customer, body)
    elapsed = time.perf_counter() - start
    platform.close()
    return orders / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    rng = random.Random(1)
    table = Table(title="OpenFab spine benchmark")
    for col in ("measure", "p50 / value", "p99"):
        table.add_column(col)
    for row in configurator_rows(args.repeat, rng):
        table.add_row(*row)
    with tempfile.TemporaryDirectory() as tmp:
        rate = placement_rate(f"sqlite:///{Path(tmp) / 'bench.db'}", args.orders, rng)
    table.add_row("order placement, SQLite (orders/s)", f"{rate:.0f}", "")
    name = f"openfab_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.postgres, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = args.postgres.rsplit("/", 1)[0] + "/" + name
        rate = placement_rate(url, args.orders, rng)
        table.add_row("order placement, PostgreSQL (orders/s)", f"{rate:.0f}", "")
    finally:
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    Console().print(table)


if __name__ == "__main__":
    main()
