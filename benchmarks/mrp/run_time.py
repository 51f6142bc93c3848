"""MRP run time: 10,000 scheduled work orders over 2,000 materials.

A synthetic plant: 1,800 bought materials and 200 made sub-assemblies (each of 3–6 bought
parts, some made of other sub-assemblies: up to 3 levels), every lot-sizing policy, one or
two suppliers per material (some with capacity limits), stock in several lots, open purchase
orders, allocations. Each work order's configured BOM has 8–25 lines; need dates spread over
a quarter. Odoo users report 21 minutes to confirm 265 manufacturing orders; the target
here is seconds.

    .venv/bin/python benchmarks/mrp/run_time.py            # 10,000 × 2,000, 3 repeats
    .venv/bin/python benchmarks/mrp/run_time.py --quick    # smaller sizes only
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from openfab.planning.mrp import (
    Allocation,
    Component,
    EconomicOrderQuantity,
    FixedOrderQuantity,
    LotForLot,
    LotSizing,
    Material,
    MrpProblem,
    OpenPurchaseOrder,
    PeriodOrderQuantity,
    StockLot,
    SupplierItem,
    WorkOrderDemand,
    plan,
)

TODAY = date(2026, 1, 5)


def synthetic(work_orders: int, materials: int, seed: int = 0, bucket_days: int = 1) -> MrpProblem:
    rng = random.Random(seed)
    made = materials // 10
    codes = [f"M{i:05d}" for i in range(materials)]
    bought, assemblies = codes[made:], codes[:made]
    policies: list[LotSizing] = [
        LotForLot(),
        FixedOrderQuantity(Decimal(50)),
        EconomicOrderQuantity(Decimal(40)),
        PeriodOrderQuantity(7),
    ]
    units = {c: rng.choice(["pcs", "pcs", "pcs", "kg", "m"]) for c in bought}
    units.update(dict.fromkeys(assemblies, "pcs"))
    catalog = {
        c: Material(
            c,
            units[c],
            Decimal(rng.randint(1, 400)) / 10,
            safety_stock=Decimal(rng.choice([0, 0, 5, 20])),
            lot_sizing=rng.choice(policies),
            source="Make" if c in assemblies else "Buy",
            make_lead_time_days=rng.randint(1, 5) if c in assemblies else 0,
        )
        for c in codes
    }
    boms = {}
    for i, parent in enumerate(assemblies):
        parts = rng.sample(bought, rng.randint(3, 6))
        if i + 1 < len(assemblies) and rng.random() < 0.3:  # a lower sub-assembly: deeper BOMs
            parts.append(rng.choice(assemblies[i + 1 :]))
        boms[parent] = tuple(_line(rng, p, units[p]) for p in parts)
    suppliers = []
    for c in bought:
        for k in range(rng.choice([1, 1, 2])):
            capacity = Decimal(rng.choice([2000, 5000])) if rng.random() < 0.2 else None
            suppliers.append(
                SupplierItem(
                    f"SUP{rng.randint(0, 199):03d}",
                    c,
                    units[c],
                    rng.randint(2, 40),
                    Decimal(rng.randint(1, 400)) / 10,
                    minimum_order=Decimal(rng.choice([0, 10, 100])),
                    lot_multiple=Decimal(rng.choice([0, 0, 5, 25])),
                    capacity_per_period=capacity,
                    priority=k,
                )
            )
    orders = tuple(
        WorkOrderDemand(
            f"WO-{n:06d}",
            Decimal(rng.randint(1, 5)),
            TODAY + timedelta(days=rng.randint(0, 90), hours=rng.randint(6, 22)),
            tuple(_line(rng, p, units[p]) for p in rng.sample(codes, rng.randint(8, 25))),
        )
        for n in range(work_orders)
    )
    stock = tuple(
        StockLot(c, f"LOT-{c}-{k}", Decimal(rng.randint(0, 300)), units[c], f"RACK-{k}")
        for c in codes
        for k in range(rng.randint(0, 3))
    )
    open_orders = tuple(
        OpenPurchaseOrder(
            f"PO-{n:05d}",
            c,
            "SUP000",
            Decimal(rng.randint(10, 500)),
            units[c],
            TODAY + timedelta(days=rng.randint(0, 60)),
        )
        for n, c in enumerate(rng.sample(bought, materials // 2))
    )
    allocations = tuple(
        Allocation(wo.components[0].material, wo.work_order, Decimal(2), wo.components[0].unit)
        for wo in orders[: work_orders // 10]
    )
    return MrpProblem(
        TODAY,
        catalog,
        orders,
        stock=stock,
        allocations=allocations,
        open_orders=open_orders,
        suppliers=tuple(suppliers),
        boms=boms,
        bucket_days=bucket_days,
    )


def _line(rng: random.Random, material: str, unit: str) -> Component:
    quantity = Decimal(rng.randint(1, 8)) if unit == "pcs" else Decimal(rng.randint(5, 300)) / 100
    return Component(material, quantity, unit, Decimal(rng.choice(["0", "0", "0.02", "0.05"])))


def measure(
    work_orders: int, materials: int, bucket_days: int, repeats: int
) -> dict[str, float | int]:
    problem = synthetic(work_orders, materials, bucket_days=bucket_days)
    lines = sum(len(wo.components) for wo in problem.work_orders)
    seconds, cpu = [], []
    result = None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = plan(problem)
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    assert result is not None
    return {
        "work_orders": work_orders,
        "materials": materials,
        "bucket_days": bucket_days,
        "bom_lines": lines,
        "median_s": statistics.median(seconds),
        "best_s": min(seconds),
        "cpu_s": statistics.median(cpu),
        "planned": len(result.planned_orders),
        "messages": len(result.messages),
        "shortages": len(result.shortages),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sizes = [(100, 200, 1), (1_000, 500, 1)]
    if not args.quick:
        sizes += [(10_000, 2_000, 1), (10_000, 2_000, 7)]
    table = Table(title="MRP run time (pure engine, one CPU core)")
    for column in (
        "work orders",
        "materials",
        "bucket (days)",
        "BOM lines",
        "median s",
        "best s",
        "CPU s",
        "planned orders",
        "messages",
        "shortages",
    ):
        table.add_column(column, justify="right")
    for work_orders, materials, bucket_days in sizes:
        row = measure(work_orders, materials, bucket_days, args.repeats)
        table.add_row(
            f"{row['work_orders']:,}",
            f"{row['materials']:,}",
            f"{row['bucket_days']}",
            f"{row['bom_lines']:,}",
            f"{row['median_s']:.2f}",
            f"{row['best_s']:.2f}",
            f"{row['cpu_s']:.2f}",
            f"{row['planned']:,}",
            f"{row['messages']:,}",
            f"{row['shortages']:,}",
        )
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
