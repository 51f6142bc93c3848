"""RUL benchmark: OpenFab's RUL models vs the mean-life and linear-degradation baselines,
side by side in one run, on held-out run-to-failure units.

Fleets: generated C-MAPSS-layout fleets (one and six operating regimes; the development seed
and seeds whose whole spec is drawn at random and was never looked at while developing), a
NASA progpy centrifugal-pump fleet and the lives of OpenFab's twin machines (maintenance off).
Per fleet, two thirds of the units train (full lives), the rest are cut at ``--cuts`` random
points each and the RUL at the cut is predicted. Truth and predictions are capped at 125
cycles (the piecewise-linear target, as usual for C-MAPSS).

Metrics: RMSE; the PHM08 score per unit (mean of exp(-d/13)-1 for early, exp(d/10)-1 for
late predictions, d = predicted - true; lower is better); the 90 % interval's coverage and
mean width. Targets (issue 16): RMSE <= 1/3 of mean-life's, coverage within 85-95 %.

    .venv/bin/python benchmarks/maintenance/run.py            # everything (tens of minutes)
    .venv/bin/python benchmarks/maintenance/run.py --quick    # fewer fleets and methods
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from openfab.maintenance.cmapss import read_cmapss, write_cmapss
from openfab.maintenance.fleets import FleetSpec, cut_short, generate_fleet, random_spec
from openfab.maintenance.rul import RulModel, RulOptions, true_rul
from openfab.maintenance.series import Fleet

RESULTS = Path(__file__).parent / "results"
METHODS = ("gbm", "similarity", "ensemble", "mean_life", "linear")
CAP = 125.0


@dataclass
class Score:
    rmse: float
    phm08: float
    coverage: float
    width: float
    seconds: float


def phm08(d: np.ndarray) -> float:
    return float(np.mean(np.where(d < 0, np.exp(-d / 13) - 1, np.exp(d / 10) - 1)))


def evaluate(train: Fleet, held_out: Fleet, method: str, cuts: int) -> Score:
    start = time.perf_counter()
    model = RulModel(RulOptions(method=method, cap=CAP)).fit(train)  # type: ignore[arg-type]
    errors, hits, widths = [], [], []
    for cut in range(cuts):
        test, _ = cut_short(held_out, 1000 + cut)
        truth = true_rul(held_out, test, cap=CAP)
        for p, y in zip(model.predict(test), truth, strict=True):
            errors.append(p.rul - y)
            hits.append(p.lower <= y <= p.upper)
            widths.append(p.upper - p.lower)
    d = np.array(errors)
    return Score(
        float(np.sqrt(np.mean(d**2))),
        phm08(d),
        float(np.mean(hits)),
        float(np.mean(widths)),
        time.perf_counter() - start,
    )


def cached(name: str, make: object) -> Fleet:
    """Slow fleets (progpy) kept in /tmp between runs, as CSV."""
    path = Path(f"/tmp/rul-bench-{name}.csv")
    if path.exists():
        return read_cmapss(path.read_text())
    fleet = make()  # type: ignore[operator]
    path.write_text(write_cmapss(fleet))
    return fleet


def fleets(quick: bool, seeds: list[int], generated_only: bool) -> list[tuple[str, Fleet]]:
    out = []
    for regimes in (1, 6):
        out.append(
            (
                f"generated, {regimes} regime(s), dev seed 1",
                generate_fleet(FleetSpec(units=120, regimes=regimes), 1),
            )
        )
        for seed in seeds[:1] if quick else seeds:
            spec = random_spec(seed, units=120, regimes=regimes)
            out.append(
                (
                    f"generated, {regimes} regime(s), seed {seed} "
                    f"({spec.sensors} sensors, {spec.informative} informative, "
                    f"{spec.shape}, life {spec.mean_life:.0f})",
                    generate_fleet(spec, seed),
                )
            )
    if generated_only:
        return out
    from twin_fleet import twin_fleet

    out.append(("twin machines (hourly cycles, maintenance off)", twin_fleet(120, 0)))
    try:
        from progpy_fleet import progpy_fleet

        units = 30 if quick else 60
        out.append(
            (
                f"progpy centrifugal pumps ({units} units, 3 regimes)",
                cached(f"progpy-{units}", lambda: progpy_fleet(units, 0)),
            )
        )
    except ImportError as exc:
        print(f"progpy fleet skipped: {exc}", file=sys.stderr)
    return out


def table(name: str, scores: dict[str, Score]) -> str:
    base = scores["mean_life"].rmse
    lines = [
        f"### {name}",
        "",
        "| method | RMSE | RMSE / mean-life | PHM08 per unit | coverage 90 % | mean width | s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for method, s in scores.items():
        lines.append(
            f"| {method} | {s.rmse:.1f} | {s.rmse / base:.2f} | {s.phm08:.2f} | "
            f"{s.coverage:.0%} | {s.width:.0f} | {s.seconds:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cuts", type=int, default=3)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--name", default="rul-20261203")
    parser.add_argument("--seeds", default="201,202,203", help="random-spec fleet seeds")
    parser.add_argument("--generated-only", action="store_true")
    args = parser.parse_args()
    methods = args.methods.split(",")
    if "mean_life" not in methods:
        methods.append("mean_life")
    started = time.perf_counter()
    out = [
        f"# RUL benchmark ({'quick' if args.quick else 'full'})",
        "",
        f"load before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
        f"{os.getloadavg()[2]:.2f} on {os.cpu_count()} CPUs",
        "",
    ]
    summary = []
    seeds = [int(s) for s in args.seeds.split(",")]
    for name, fleet in fleets(args.quick, seeds, args.generated_only):
        n_train = len(fleet) * 2 // 3
        train = fleet.subset(range(n_train))
        held = fleet.subset(range(n_train, len(fleet)))
        scores = {m: evaluate(train, held, m, args.cuts) for m in methods}
        text = table(f"{name}: {n_train} train, {len(held)} held out x {args.cuts} cuts", scores)
        print(text, flush=True)
        out.append(text)
        best = min(
            (m for m in methods if m not in ("mean_life", "linear")),
            key=lambda m: scores[m].rmse,
            default="mean_life",
        )
        s = scores[best]
        summary.append(
            f"| {name} | {best} | {s.rmse:.1f} | {scores['mean_life'].rmse:.1f} | "
            f"{s.rmse / scores['mean_life'].rmse:.2f} | {s.coverage:.0%} |"
        )
    head = [
        "### Summary: best model per fleet vs mean-life",
        "",
        "| fleet | best | RMSE | mean-life RMSE | ratio (target <= 0.33) | coverage |",
        "|---|---|---:|---:|---:|---:|",
    ]
    text = "\n".join(head + summary) + "\n"
    wall = time.perf_counter() - started
    tail = (
        f"\nwall time {wall:.0f} s; load after: {os.getloadavg()[0]:.2f} "
        f"{os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}\n"
    )
    print(text + tail)
    out.extend([text, tail])
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.txt").write_text("\n".join(out))


if __name__ == "__main__":
    main()
