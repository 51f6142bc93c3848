"""Twin simulation speed: a simulated week of the sample plant at about 1,000 orders a day.

Prints a markdown table: wall time, simulated days per wall second, events and telemetry
readings per second, and peak memory (resident set size of the process, and the Python heap
peak via tracemalloc in a separate run when ``--tracemalloc`` is given).

    .venv/bin/python benchmarks/twin/speed.py              # a week, 1 000 orders/day
    .venv/bin/python benchmarks/twin/speed.py --days 1     # quick look
    .venv/bin/python benchmarks/twin/speed.py --dispatch fixed fifo plan  # dispatch rules
"""

from __future__ import annotations

import argparse
import platform
import resource
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import get_args

from openfab.twin import TelemetryBatch, Twin, TwinConfig, TwinEvent, sample_layout
from openfab.twin.config import Dispatch
from openfab.twin.sample_plan import synthetic_plan

DAY = 24 * 60


@dataclass
class Counting:
    """A sink that only counts, so the benchmark measures the twin, not a consumer."""

    events: int = 0
    readings: int = 0

    def __call__(self, events: Sequence[TwinEvent], /) -> None:
        self.events += len(events)
        for e in events:
            if isinstance(e, TelemetryBatch):
                self.readings += len(e)
            elif e.kind == "telemetry.reading":
                self.readings += 1


def run_once(
    args: argparse.Namespace, period: float, batches: bool, dispatch: Dispatch = "fixed"
) -> dict[str, float]:
    layout = sample_layout()
    started = time.perf_counter()
    plan = synthetic_plan(layout, orders_per_day=args.orders_per_day, days=args.days, seed=1)
    plan_s = time.perf_counter() - started
    sink = Counting()
    config = TwinConfig(telemetry_period=period, telemetry_batches=batches, dispatch=dispatch)
    twin = Twin(layout, seed=args.seed, config=config, sink=sink)
    started = time.perf_counter()
    result = twin.run(plan, args.days * DAY)
    wall = time.perf_counter() - started
    return {
        "plan_s": plan_s,
        "wall_s": wall,
        "days_per_s": args.days / wall,
        "events": sink.events,
        "events_per_s": sink.events / wall,
        "readings_per_s": sink.readings / wall,
        "readings": sink.readings,
        "ops": result.operations_finished,
        "units": result.units_good + result.units_scrapped,
        "fpy": result.units_good / max(1, result.units_good + result.units_scrapped),
        "failures": sum(result.failures.values()),
        "solar": result.solar_share,
        "kwh_unit": result.energy_per_unit_kwh,
        "machines": len(layout.machines),
        "work_orders": len(plan.work_orders),
        "finished": result.work_orders_finished,
        "setup_h": result.setup_minutes / 60,
        "wait_h": result.lost_minutes["waiting for a machine"] / 60,
    }


def heap_peak_mb(args: argparse.Namespace) -> float:
    tracemalloc.start()
    run_once(args, args.telemetry_period, True)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--orders-per-day", type=int, default=1000)
    parser.add_argument("--telemetry-period", type=float, default=1.0, help="minutes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--dispatch",
        nargs="+",
        default=["fixed"],
        choices=get_args(Dispatch),
        help="dispatch rules to time (one row each)",
    )
    parser.add_argument("--single-readings", action="store_true", help="also time unbatched")
    parser.add_argument("--tracemalloc", action="store_true", help="also measure the heap peak")
    args = parser.parse_args()

    rows = [
        (f"batched telemetry, {rule}", run_once(args, args.telemetry_period, True, rule))
        for rule in args.dispatch
    ]
    if args.single_readings:
        rows.append(("single readings", run_once(args, args.telemetry_period, False)))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    first = rows[0][1]
    print(
        f"Sample plant: {first['machines']:.0f} machines, {first['work_orders']:.0f} work orders "
        f"over {args.days} simulated days, telemetry every {args.telemetry_period:g} min "
        f"({platform.processor() or platform.machine()}, Python {platform.python_version()})\n"
    )
    print(
        "| telemetry | plan build s | simulate s | sim days / s | events | events/s "
        "| readings | readings/s | operations | units | FPY | failures | solar share "
        "| kWh/unit | orders done | setup h | waiting for a machine h |"
    )
    print("|---" * 17 + "|")
    for name, r in rows:
        print(
            f"| {name} | {r['plan_s']:.1f} | {r['wall_s']:.1f} | {r['days_per_s']:.2f} "
            f"| {r['events']:,.0f} | {r['events_per_s']:,.0f} | {r['readings']:,.0f} "
            f"| {r['readings_per_s']:,.0f} | {r['ops']:,.0f} | {r['units']:,.0f} "
            f"| {r['fpy']:.1%} | {r['failures']:.0f} | {r['solar']:.1%} | {r['kwh_unit']:.1f} "
            f"| {r['finished']:,.0f} | {r['setup_h']:,.0f} | {r['wait_h']:,.0f} |"
        )
    print(f"\nPeak resident memory of the process: {rss_mb:,.0f} MiB")
    if args.tracemalloc:
        print(f"Peak Python heap (tracemalloc, batched run): {heap_peak_mb(args):,.0f} MiB")


if __name__ == "__main__":
    main()
