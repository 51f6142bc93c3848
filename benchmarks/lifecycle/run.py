"""Lifecycle figures: state-of-health accuracy on simulated capacity fade, and recovery per
element of e-bike packs by route.

SOH: packs start within +-2 % of their rated capacity and age with known calendar/cycle
parameters (drawn per pack), a temperature and a usage pace; monthly field reports measure
capacity with noise. After each report the engine estimates SOH with its 90 % interval; we
report the mean absolute error against the true SOH and how often the interval holds it,
by noise level.

Recovery: the pure engine on each pack layout of the catalog's corners (cell type, S x P,
casing), by route, against the 95 % target.

    .venv/bin/python benchmarks/lifecycle/run.py [--packs 20] [--json results/run.json]
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from openfab.lifecycle.recovery import ROUTES, Part, overall_rate, recover
from openfab.lifecycle.soh import Observation, Prior, estimate, stress


def soh_case(noise: float, packs: int, months: int = 24, seed: int = 0) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    errors: list[float] = []
    inside = 0
    widths: list[float] = []
    for _ in range(packs):
        a = rng.uniform(0.015, 0.04)
        b = rng.uniform(0.2, 0.5)
        temperature = rng.uniform(15, 35)
        pace = rng.uniform(10, 40)  # cycles per month
        start = rng.uniform(-0.02, 0.02)  # each pack's own capacity at manufacture vs rated
        observations = []
        for m in range(1, months + 1):
            years, cycles = m / 12, pace * m
            true = 1 - start - stress(temperature) * (a * math.sqrt(years) + b * cycles / 1000)
            observations.append(
                Observation(years, cycles, temperature, true + rng.normal(0, noise))
            )
            fit = estimate(observations, prior=Prior.for_cycle_life(500), samples=200)
            errors.append(abs(fit.soh - true))
            inside += fit.lower <= true <= fit.upper
            widths.append(fit.upper - fit.lower)
    n = len(errors)
    return {
        "noise": noise,
        "estimates": n,
        "mae_points": round(100 * float(np.mean(errors)), 2),
        "p95_error_points": round(100 * float(np.quantile(errors, 0.95)), 2),
        "coverage_90": round(inside / n, 3),
        "mean_width_points": round(100 * float(np.mean(widths)), 2),
    }


PACKS = {
    "11S3P 18650, alu case": ("cell_18650_35e", 11, 3, "alu_extrusion", 0.972),
    "13S4P 21700-50E, alu case": ("cell_21700_50e", 13, 4, "alu_extrusion", 0.972),
    "14S4P 21700-50E, moulded sleeve": ("cell_21700_50e", 14, 4, "pc_abs_granulate", 0.63),
}


def recovery_rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for name, (cell, s, p, casing, casing_kg) in PACKS.items():
        cell_kg = {"cell_18650_35e": 0.048, "cell_21700_50e": 0.069}[cell]
        parts = [
            Part(cell, s * p * cell_kg),
            Part("nickel_strip", (s * p * 0.05 + s * 0.1) * 1.05 * 0.0107),
            Part("bms_30a", 0.09),
            Part(casing, casing_kg),
            Part("connector_xt60", 0.01),
            Part("charge_port", 0.03),
        ]
        for route in ROUTES:
            elements = recover(parts, route=route)
            rows.append(
                {
                    "pack": name,
                    "route": route,
                    **{e.element: e.rate for e in elements},
                    "overall": overall_rate(elements),
                    "meets_95": [e.element for e in elements if e.meets_target],
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--packs", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    soh = [soh_case(noise, args.packs, seed=i) for i, noise in enumerate((0.005, 0.01, 0.02))]
    print("SOH on simulated fade (24 monthly reports per pack)")
    print(
        f"{'noise':>6} {'estimates':>9} {'MAE pts':>8} {'p95 pts':>8} {'cover90':>8} {'width':>6}"
    )
    for r in soh:
        print(
            f"{r['noise']:>6} {r['estimates']:>9} {r['mae_points']:>8} {r['p95_error_points']:>8}"
            f" {r['coverage_90']:>8} {r['mean_width_points']:>6}"
        )
    rec = recovery_rows()
    print("\nRecovery rate per element (target 0.95)")
    print(
        f"{'pack':34} {'route':19} "
        + " ".join(f"{e:>5}" for e in ("Li", "Ni", "Co", "Mn", "Cu", "Al"))
        + "  overall"
    )
    for r in rec:
        rates = " ".join(f"{r[e]:>5.2f}" for e in ("Li", "Ni", "Co", "Mn", "Cu", "Al"))
        print(f"{r['pack']:34} {r['route']:19} {rates}  {r['overall']:.3f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"soh": soh, "recovery": rec}, indent=2))


if __name__ == "__main__":
    main()
