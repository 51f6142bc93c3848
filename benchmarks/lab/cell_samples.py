"""Evaluate the virtual cell (DFN) on a Sobol design of its whole space and save the table.

The benchmark's cell problems run on an emulator fitted to this table (a Gaussian process per
property): hundreds of optimizer runs × 50 evaluations on the DFN itself would take hours on
two shared cores. ``python benchmarks/lab/cell_samples.py --n 128`` (about 1-3 s a design).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

from openfab.lab.cell import VirtualCell, cell_study
from openfab.lab.experiments import results_csv
from openfab.lab.sampling import feasible_points

HERE = Path(__file__).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=128)
    parser.add_argument("--model", default="DFN")
    parser.add_argument("--out", type=Path, default=HERE / "data" / "cell_dfn_sobol.csv")
    args = parser.parse_args()
    torch.set_num_threads(1)
    study = cell_study()
    cell = VirtualCell(model=args.model, cache_dir=HERE / "data" / "cache")
    designs = study.space.decode(feasible_points(study.space, args.n, seed=2026))
    experiments = []
    start = time.perf_counter()
    for i, design in enumerate(designs, start=1):
        experiments.append(cell.evaluate({k: float(v) for k, v in design.items()}).experiment())
        if i % 8 == 0:
            print(f"{i}/{len(designs)} in {time.perf_counter() - start:.0f} s", file=sys.stderr)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(results_csv(study, experiments))
    args.out.write_text(results_csv(study, experiments))
    print(f"{len(experiments)} designs, {sum(e.failed for e in experiments)} failed -> {args.out}")


if __name__ == "__main__":
    main()
