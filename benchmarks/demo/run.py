"""Simulation speed and peak memory of the full-loop demo at a chosen scale.

    .venv/bin/python benchmarks/demo/run.py --days 1 --orders-per-day 150 [--db URL]

Runs ``run_demo`` once on a fresh SQLite database (or the given one) and prints a markdown
table: wall and CPU seconds, peak resident memory, what went through, and where the time went.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from openfab.demo.run import DemoConfig, run_demo
from openfab.platform import Platform


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=1.0)
    parser.add_argument("--orders-per-day", type=float, default=150.0)
    parser.add_argument("--planner", choices=("openfab", "fifo"), default="openfab")
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.db or f"sqlite:///{Path(folder) / 'bench.db'}"
        platform = Platform.open(url)
        cpu = time.process_time()
        config = DemoConfig(
            days=args.days, orders_per_day=args.orders_per_day, planner=args.planner
        )
        result = run_demo(platform, config)
        cpu = time.process_time() - cpu
        platform.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    k = result.kpis
    rows = [
        ("simulated days", f"{args.days:g}"),
        ("orders a day", f"{args.orders_per_day:g}"),
        ("orders / units started", f"{k.orders} / {k.units_started}"),
        ("twin events", f"{result.events:,}"),
        ("telemetry readings", f"{result.telemetry:,}"),
        ("wall seconds", f"{result.wall_seconds:.0f}"),
        ("CPU seconds (this process)", f"{cpu:.0f}"),
        ("peak RSS (MiB)", f"{peak:.0f}"),
    ]
    rows += [(f"wall in {p}", f"{s:.0f} s") for p, s in sorted(result.timings.items())]
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
