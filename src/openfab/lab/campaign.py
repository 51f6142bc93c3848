"""A whole optimization campaign on the virtual cell: the demo lab, and a benchmark oracle.

Round by round the optimizer suggests a batch, the virtual cell "measures" it (cached on
disk by design hash), and the results feed the next round. At the end: the Pareto front of
energy density vs 2C fast-charge acceptance among designs that keep a plating margin, and
plots of it and of the campaign's progress.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openfab.lab.cell import CellModel, VirtualCell, cell_study
from openfab.lab.experiments import Experiment, results_csv
from openfab.lab.modelling import feasible, hypervolume, pareto_front, reference_point
from openfab.lab.optimizer import Optimizer
from openfab.lab.plots import plot_campaign
from openfab.lab.study import Study


@dataclass(frozen=True)
class CampaignSummary:
    study: Study
    experiments: list[Experiment]
    front: list[Experiment]
    hypervolume: float
    files: list[Path]

    @property
    def evaluations(self) -> int:
        return len(self.experiments)

    @property
    def failed(self) -> int:
        return sum(e.failed for e in self.experiments)

    @property
    def infeasible(self) -> int:
        return len(self.experiments) - self.failed - len(feasible(self.study, self.experiments))


def run_campaign(
    *,
    budget: int = 32,
    batch: int = 4,
    model: CellModel = "DFN",
    seed: int = 0,
    out: Path | None = None,
    progress: Callable[[int, str], None] | None = None,
    optimizer_options: dict[str, Any] | None = None,
) -> CampaignSummary:
    study = cell_study()
    cell = VirtualCell(model=model, cache_dir=out / "cache" if out else None)
    optimizer = Optimizer(study, seed=seed, **(optimizer_options or {}))
    experiments: list[Experiment] = []
    while len(experiments) < budget:
        k = min(batch, budget - len(experiments))
        suggestion = optimizer.suggest(experiments, k)
        for design in suggestion.designs:
            result = cell.evaluate({name: float(v) for name, v in design.items()})
            experiments.append(result.experiment())
            if progress is not None:
                progress(len(experiments), suggestion.strategy)
    reference = reference_point(study, experiments)
    files: list[Path] = []
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.csv").write_text(results_csv(study, experiments))
        files = [out / "results.csv", *plot_campaign(study, experiments, out, reference)]
    return CampaignSummary(
        study=study,
        experiments=experiments,
        front=pareto_front(study, experiments),
        hypervolume=hypervolume(study, experiments, reference),
        files=files,
    )
