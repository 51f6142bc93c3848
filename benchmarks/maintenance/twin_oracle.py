"""How well *could* anyone predict the twin machines' RUL? An oracle that knows each
machine's true wear at the cut (no sensor noise, no model) and the twin's exact physics, but
not the future: the Exp(1) hazard budget that decides when a worn machine fails is random, and
memoryless given that the machine still runs, so the best prediction of the capped remaining
life is its conditional mean, taken here over 2,000 simulated futures (loads and running
shares drawn as the twin draws them).

Same fleet, same split and same cuts as ``run.py``; the oracle's RMSE against the mean-life
baseline's is the floor of the ratio any method can reach on this fleet.

    .venv/bin/python benchmarks/maintenance/twin_oracle.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from twin_fleet import LOADS, twin_lives

from openfab.maintenance.fleets import cut_short
from openfab.maintenance.rul import true_rul
from openfab.twin import TwinConfig

CAP = 125
FUTURES = 2000


def expected_life(wear: float, rate: float, rng: np.random.Generator, cfg: TwinConfig) -> float:
    """Mean of min(remaining running hours, CAP) over simulated futures from ``wear``."""
    loads = rng.choice(LOADS, (FUTURES, CAP))
    shares = rng.uniform(0.5, 0.95, (FUTURES, CAP))
    wears = wear + np.cumsum(rate * loads * shares, axis=1)
    before = np.concatenate([np.full((FUTURES, 1), wear), wears[:, :-1]], axis=1)
    scale = loads**cfg.load_exponent / cfg.wear_scale**cfg.weibull_shape
    hazard = scale * (wears**cfg.weibull_shape - before**cfg.weibull_shape)
    hazard += cfg.random_failures_per_hour * shares
    used = np.cumsum(hazard, axis=1)
    budget = rng.exponential(size=(FUTURES, 1))
    failed = used >= budget
    hours = np.where(failed.any(axis=1), failed.argmax(axis=1) + 1, CAP)
    return float(np.mean(np.minimum(hours, CAP)))


def main() -> None:
    cfg = TwinConfig()
    fleet, wears, centers = twin_lives(120, 0)
    n_train = len(fleet) * 2 // 3
    train = fleet.subset(range(n_train))
    held = fleet.subset(range(n_train, len(fleet)))
    mean_life = float(np.mean([len(u) for u in train.units]))
    rng = np.random.default_rng(11)
    oracle, baseline = [], []
    for cut in range(3):
        test, _ = cut_short(held, 1000 + cut)
        truth = true_rul(held, test, cap=CAP)
        for k, (unit, y) in enumerate(zip(test.units, truth, strict=True)):
            index = n_train + k
            wear = float(wears[index][len(unit) - 1])
            rate = float(centers[index].wear_rate)  # type: ignore[attr-defined]
            oracle.append(expected_life(wear, rate, rng, cfg) - y)
            baseline.append(float(np.clip(mean_life - unit.last_cycle, 0, CAP)) - y)
    rmse = float(np.sqrt(np.mean(np.square(oracle))))
    base = float(np.sqrt(np.mean(np.square(baseline))))
    print("| predictor | RMSE | RMSE / mean-life |")
    print("|---|---:|---:|")
    print(f"| oracle (true wear, exact physics) | {rmse:.1f} | {rmse / base:.2f} |")
    print(f"| mean_life | {base:.1f} | 1.00 |")


if __name__ == "__main__":
    main()
