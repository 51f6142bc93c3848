"""Scheduling benchmark: OpenFab's scheduler side by side with its reference points.

Same run, same instances, same machine: OpenFab (dispatching warm start + CP-SAT + LNS), a
plain CP-SAT model (intervals, no-overlap, makespan; no warm start, no LNS), the best single
dispatching rule and PyJobShop (OR-Tools backend) when installed. Gap = (makespan - best
known) / best known. Then the rescheduling benchmark: time and operations moved after a
breakdown in 500- and 2,000-operation shops.

    python benchmarks/scheduling/run.py --quick      # a few minutes
    python benchmarks/scheduling/run.py              # the full run, about 65 minutes on 2 cores

Every finished row is appended to ``results/<name>.csv`` at once, so an interrupted run
keeps what it finished; the markdown summary is written at the end.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import best_rule, plain_cpsat, pyjobshop_available, pyjobshop_solve
from instances import load
from shops import factory_shop

from openfab.planning import MachineDown, apply_events, reschedule, solve, violations

RESULTS = Path(__file__).resolve().parent / "results"
JSSP_10S = ["ft10", *(f"la{k}" for k in range(16, 41)), *(f"ta{k:02d}" for k in range(1, 41))]
FJSP = [f"mk{k:02d}" for k in range(1, 11)]
LONG = [f"ta{k}" for k in range(21, 31)] + FJSP
QUICK = [("ft10", 5.0), ("la21", 5.0), ("ta01", 5.0), ("ta21", 10.0), ("mk01", 5.0), ("mk10", 10.0)]
console = Console()


@dataclass
class Row:
    instance: str
    limit_s: float
    best_known: int
    openfab: int
    plain: int | None
    rule: int
    rule_name: str
    pyjobshop: int | None
    openfab_s: float
    load: float = 0.0
    """1-minute load average when the row finished (the machine is shared; 2 cores)."""

    def gap(self, value: int | None) -> float | None:
        return None if value is None else 100.0 * (value - self.best_known) / self.best_known


def main() -> None:
    args = _arguments()
    peers = args.pyjobshop and pyjobshop_available()
    plan = _plan(args)
    name = "quick" if args.quick else args.name
    csv_path = RESULTS / f"{name}.csv"
    RESULTS.mkdir(exist_ok=True)
    rows: list[Row] = []
    if not args.reschedule_only:
        csv_path.unlink(missing_ok=True)
        for instance, limit in plan:
            row = _run_one(instance, limit, args.seed, peers and limit <= args.pyjobshop_max_limit)
            rows.append(row)
            _append_csv(csv_path, row)
            console.print(_line(row))
        console.print(_table(rows))
    resched = [] if args.no_reschedule else _rescheduling(args.quick, args.seed)
    _write_markdown(RESULTS / f"{name}.md", rows, resched, peers)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a handful of instances, short limits")
    parser.add_argument("--instances", help="comma-separated names (with --time-limit)")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default="full", help="results file name")
    parser.add_argument("--no-pyjobshop", dest="pyjobshop", action="store_false")
    parser.add_argument(
        "--pyjobshop-max-limit",
        type=float,
        default=10.0,
        help="run PyJobShop only up to this limit",
    )
    parser.add_argument("--no-reschedule", action="store_true")
    parser.add_argument("--reschedule-only", action="store_true")
    parser.add_argument(
        "--long-first", action="store_true", help="the 60 s runs before the 10 s runs"
    )
    return parser.parse_args()


def _plan(args: argparse.Namespace) -> list[tuple[str, float]]:
    if args.quick:
        return QUICK
    if args.instances:
        return [(n, args.time_limit) for n in args.instances.split(",")]
    short = [(n, 10.0) for n in [*JSSP_10S, *FJSP]]
    long = [(n, 60.0) for n in LONG]
    return [*long, *short] if args.long_first else [*short, *long]


def _run_one(name: str, limit: float, seed: int, peers: bool) -> Row:
    inst = load(name)
    clock = time.monotonic()
    ours = solve(inst.problem, time_limit=limit, seed=seed)
    elapsed = time.monotonic() - clock
    problems = violations(inst.problem, ours)
    if problems:
        raise AssertionError(f"{name}: invalid schedule: {problems[:3]}")
    plain = plain_cpsat(inst.problem, time_limit=limit, seed=seed)
    rule = best_rule(inst.problem)
    pjs = pyjobshop_solve(inst.problem, time_limit=limit, seed=seed).makespan if peers else None
    assert rule.makespan is not None
    return Row(
        name,
        limit,
        inst.best_known,
        ours.makespan,
        plain.makespan,
        rule.makespan,
        rule.note,
        pjs,
        elapsed,
        round(os.getloadavg()[0], 1),
    )


def _append_csv(path: Path, row: Row) -> None:
    fresh = not path.exists()
    with path.open("a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(asdict(row)))
        if fresh:
            writer.writeheader()
        writer.writerow(asdict(row))


def _fmt(gap: float | None) -> str:
    return "–" if gap is None else f"{gap:.2f}"


def _line(row: Row) -> str:
    ours, plain = _fmt(row.gap(row.openfab)), _fmt(row.gap(row.plain))
    return (
        f"{row.instance} @{row.limit_s:g}s: openfab {row.openfab} ({ours} %), "
        f"plain {row.plain} ({plain} %), rule {row.rule}, pyjobshop {row.pyjobshop}, "
        f"load {row.load}"
    )


def _table(rows: list[Row]) -> Table:
    table = Table(title="Gap to best known upper bound (%)")
    for col in (
        "instance",
        "limit s",
        "best known",
        "OpenFab",
        "plain CP-SAT",
        "best rule",
        "PyJobShop",
    ):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            r.instance,
            f"{r.limit_s:g}",
            str(r.best_known),
            _fmt(r.gap(r.openfab)),
            _fmt(r.gap(r.plain)),
            _fmt(r.gap(r.rule)),
            _fmt(r.gap(r.pyjobshop)),
        )
    return table


GROUPS = {
    "ft10, la16–la40 @10 s": lambda r: (
        r.limit_s == 10 and (r.instance == "ft10" or r.instance.startswith("la"))
    ),
    "ta01–ta10 @10 s": lambda r: (
        r.limit_s == 10 and r.instance in {f"ta{k:02d}" for k in range(1, 11)}
    ),
    "ta11–ta40 @10 s": lambda r: (
        r.limit_s == 10 and r.instance in {f"ta{k}" for k in range(11, 41)}
    ),
    "mk01–mk10 @10 s": lambda r: r.limit_s == 10 and r.instance.startswith("mk"),
    "ta21–ta30 @60 s": lambda r: r.limit_s == 60 and r.instance.startswith("ta"),
    "mk01–mk10 @60 s": lambda r: r.limit_s == 60 and r.instance.startswith("mk"),
}


def _mean(rows: list[Row], pick: str) -> str:
    gaps = [r.gap(getattr(r, pick)) for r in rows]
    values = [g for g in gaps if g is not None]
    return _fmt(statistics.fmean(values)) if len(values) == len(rows) and values else "–"


def _summary(rows: list[Row]) -> list[str]:
    lines = [
        "| group | n | OpenFab | plain CP-SAT | best rule | PyJobShop | OpenFab worse on |",
        "|---|---|---|---|---|---|---|",
    ]
    for title, member in GROUPS.items():
        group = [r for r in rows if member(r)]
        if not group:
            continue
        worse = [r.instance for r in group if r.plain is not None and r.openfab > r.plain]
        lines.append(
            f"| {title} | {len(group)} | {_mean(group, 'openfab')} | {_mean(group, 'plain')} | "
            f"{_mean(group, 'rule')} | {_mean(group, 'pyjobshop')} | {', '.join(worse) or 'none'} |"
        )
    return lines


def _rescheduling(quick: bool, seed: int) -> list[dict[str, object]]:
    sizes = [(50, 10, 10)] if quick else [(50, 10, 10), (200, 20, 10)]
    out = []
    for orders, machines, ops in sizes:
        shop = factory_shop(orders, machines, ops, seed)
        plan = solve(shop, time_limit=10 if orders * ops <= 500 else 30, seed=seed)
        busiest, row = max(plan.by_machine().items(), key=lambda kv: len(kv[1]))
        now = next(s.start for s in row if s.start >= plan.makespan // 4)
        event = MachineDown(busiest, now, now + 240)
        for stability in (1, 0):
            clock = time.monotonic()
            new = reschedule(
                shop, plan, [event], now=now, time_limit=2.0, seed=seed, stability=stability
            )
            elapsed = time.monotonic() - clock
            assert not violations(apply_events(shop, [event]), new)
            row = {
                "operations": orders * ops,
                "machines": machines,
                "stability": stability,
                "seconds": round(elapsed, 2),
                "moved": new.moved,
                "makespan_before": plan.makespan,
                "makespan_after": new.makespan,
            }
            console.print(row)
            out.append(row)
    return out


def _write_markdown(
    path: Path, rows: list[Row], resched: list[dict[str, object]], peers: bool
) -> None:
    lines = [
        f"# Scheduling benchmark ({'with' if peers else 'without'} PyJobShop)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, OR-Tools {_ortools_version()}; "
        "seed 0; plain CP-SAT and PyJobShop with 2 workers, OpenFab with a tabu-search thread",
        "and one CP-SAT worker (2 workers where its hybrid does not apply). The machine is",
        "shared: `load` is the 1-minute load average when a row finished (above 2, every",
        "solver got less than 2 cores).",
        "",
    ]
    if rows:
        lines += ["## Mean gap to the best-known upper bound (%)", "", *_summary(rows), ""]
        lines += [
            "## Per instance (makespan)",
            "",
            "| instance | limit s | best known | OpenFab | plain | rule | PyJobShop | load |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            lines.append(
                f"| {r.instance} | {r.limit_s:g} | {r.best_known} | {r.openfab} | {r.plain} | "
                f"{r.rule} ({r.rule_name}) | {r.pyjobshop if r.pyjobshop is not None else '–'} "
                f"| {r.load} |"
            )
    if resched:
        lines += [
            "",
            "## Rescheduling after a 4-hour breakdown of the busiest machine (2 s budget)",
            "",
        ]
        keys = list(resched[0])
        lines += ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in resched]
    path.write_text("\n".join(lines) + "\n")
    console.print(f"wrote {path}")


def _ortools_version() -> str:
    import ortools

    return str(ortools.__version__)


if __name__ == "__main__":
    main()
