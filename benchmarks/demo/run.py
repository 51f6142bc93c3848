"""OpenFab against the non-AI baseline over seeds, and the demo's speed by phase.

    .venv/bin/python benchmarks/demo/run.py --days 7 --seeds 3 [--plant dense|light]
        [--each-part] [--orders-per-day 1000] [--end 2026-11-30T18:00]

Every arm runs on a fresh SQLite database with the same orders and machine fates per seed
(the baseline: FIFO onto the earliest free machine, fixed quoted lead times, reorder points,
machines left idling). Prints markdown: each KPI's mean per arm, the change and its spread
over seeds; with ``--each-part`` one column per part switched on alone; then wall seconds by
phase per arm, the twin alone replaying the same plans (its share of the demo), CPU seconds,
peak memory and the load average before and after (run it on a quiet machine).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from openfab.demo.report import comparison_cells, lost_hours, phase_seconds
from openfab.demo.run import PARTS, DemoConfig, DemoResult, Part, arm_name, replay_twin, run_demo
from openfab.platform import Platform


def run_arm(folder: Path, config: DemoConfig) -> tuple[DemoResult, float]:
    """One run, and the twin alone replaying its plans (seconds)."""
    platform = Platform.open(f"sqlite:///{folder / f'{config.arm}-{config.seed}.db'}")
    try:
        result = run_demo(platform, replace(config, record_twin=True))
    finally:
        platform.close()
    started = time.perf_counter()
    replay_twin(result.config, result.twin_trace, twin=result.twin_config)
    twin_alone = time.perf_counter() - started
    result.twin_trace.clear()
    return result, twin_alone


def kpi_table(runs: dict[str, list[DemoResult]]) -> list[str]:
    arms = [a for a in runs if a != "baseline"]
    head = "| KPI | baseline | " + " | ".join(f"{a} | change (spread)" for a in arms) + " |"
    lines = [head, "|---" * (2 + 2 * len(arms)) + "|"]
    for label, baseline, cells in comparison_cells(runs):
        shown = [f"{v} | {c}{f' ({s})' if s else ''}" for v, c, s in cells]
        lines.append(f"| {label} | {baseline} | " + " | ".join(shown) + " |")
    lines += [f"\noperation-hours lost, {arm}: {lost_hours(rs)}" for arm, rs in runs.items()]
    return lines


def speed_table(runs: dict[str, list[DemoResult]], twin: dict[str, list[float]]) -> list[str]:
    lines = ["| phase (s, mean) | " + " | ".join(runs) + " |", "|---" * (1 + len(runs)) + "|"]
    for phase, seconds in phase_seconds(runs):
        if phase == "wall":
            lines.append("| **wall** | " + " | ".join(f"**{s:.0f}**" for s in seconds) + " |")
        else:
            lines.append(f"| {phase} | " + " | ".join(f"{s:.1f}" for s in seconds) + " |")
    alone = [sum(t) / len(t) for t in twin.values()]
    lines.append("| the twin alone, same plans | " + " | ".join(f"{t:.1f}" for t in alone) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--orders-per-day", type=float, default=1000.0)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=7)
    parser.add_argument("--plant", choices=("dense", "light"), default="dense")
    parser.add_argument("--each-part", action="store_true")
    parser.add_argument("--only", choices=("openfab", "baseline"), default=None)
    parser.add_argument("--end", default="2026-11-30T18:00")
    args = parser.parse_args()
    end = datetime.fromisoformat(args.end).replace(tzinfo=UTC)
    config = DemoConfig(
        days=args.days, orders_per_day=args.orders_per_day, plant=args.plant, end=end
    )
    arms: list[frozenset[Part]] = [frozenset()]
    arms += [frozenset({p}) for p in PARTS] if args.each_part else []
    arms.append(frozenset(PARTS))
    if args.only:
        arms = [frozenset(PARTS) if args.only == "openfab" else frozenset()]
    load_before = os.getloadavg()
    cpu = time.process_time()
    runs: dict[str, list[DemoResult]] = {arm_name(a): [] for a in arms}
    twin: dict[str, list[float]] = {arm_name(a): [] for a in arms}
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            for ai in arms:
                result, alone = run_arm(Path(folder), replace(config, ai=ai, seed=seed))
                runs[arm_name(ai)].append(result)
                twin[arm_name(ai)].append(alone)
                print(f"# {arm_name(ai)} seed {seed}: {result.wall_seconds:.0f} s", flush=True)
    cpu = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\n{args.days:g} days × {args.orders_per_day:g} orders a day, {args.plant} plant, "
        f"seeds {args.first_seed}–{args.first_seed + args.seeds - 1}, ending {end:%Y-%m-%d %H:%M} "
        f"UTC; load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}; "
        f"CPU {cpu:.0f} s; peak RSS {peak:.0f} MiB\n"
    )
    if "baseline" in runs and len(runs) > 1:
        print("\n".join(kpi_table(runs)), "\n")
    print("\n".join(speed_table(runs, twin)))


if __name__ == "__main__":
    main()
