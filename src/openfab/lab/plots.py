"""Plots people would rather see than read: the Pareto front and the campaign's progress."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from openfab.lab.experiments import Experiment
from openfab.lab.modelling import feasible, hypervolume, pareto_front
from openfab.lab.study import Study


def plot_campaign(
    study: Study, experiments: Sequence[Experiment], out: Path, reference: Sequence[float]
) -> list[Path]:
    """``pareto.png`` (first two objectives) and ``progress.png``; returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    files = []
    if len(study.objectives) >= 2:
        files.append(_pareto(plt, study, experiments, out / "pareto.png"))
    files.append(_progress(plt, study, experiments, out / "progress.png", reference))
    return files


def _label(study: Study, i: int) -> str:
    obj = study.objectives[i]
    return f"{obj.name} [{obj.unit}]" if obj.unit else obj.name


def _pareto(plt: object, study: Study, experiments: Sequence[Experiment], path: Path) -> Path:
    a, b = study.objectives[0].name, study.objectives[1].name
    ok = feasible(study, experiments)
    broke = [e for e in experiments if not e.failed and e not in ok]
    front = pareto_front(study, experiments)
    fig, ax = plt.subplots(figsize=(7, 5))  # type: ignore[attr-defined]
    order = np.arange(len(experiments))
    index = {id(e): i for i, e in zip(order, experiments, strict=True)}
    sc = ax.scatter(
        [e.results[a] for e in ok],
        [e.results[b] for e in ok],
        c=[index[id(e)] for e in ok],
        cmap="viridis",
        s=30,
        label="feasible design",
    )
    if broke:
        ax.scatter(
            [e.results[a] for e in broke],
            [e.results[b] for e in broke],
            marker="x",
            color="tab:red",
            label="breaks an outcome constraint",
        )
    if front:
        ax.plot(
            [e.results[a] for e in front],
            [e.results[b] for e in front],
            "o--",
            color="black",
            mfc="none",
            ms=10,
            label="Pareto front",
        )
    fig.colorbar(sc, ax=ax, label="evaluation #")
    ax.set_xlabel(_label(study, 0))
    ax.set_ylabel(_label(study, 1))
    ax.set_title(f"{study.name}: Pareto front of {len(experiments)} experiments")
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)  # type: ignore[attr-defined]
    return path


def _progress(
    plt: object,
    study: Study,
    experiments: Sequence[Experiment],
    path: Path,
    reference: Sequence[float],
) -> Path:
    n = np.arange(1, len(experiments) + 1)
    fig, ax = plt.subplots(figsize=(7, 4))  # type: ignore[attr-defined]
    if len(study.objectives) > 1:
        values = [hypervolume(study, experiments[: int(i)], reference) for i in n]
        ax.set_ylabel("dominated hypervolume")
    else:
        obj = study.objectives[0]
        values, best = [], -np.inf
        for e in experiments:
            if e in feasible(study, [e]):
                best = max(best, obj.sign * e.results[obj.name])
            values.append(obj.sign * best if np.isfinite(best) else np.nan)
        ax.set_ylabel(f"best {_label(study, 0)}")
    ax.plot(n, values, "-o", ms=3)
    ax.set_xlabel("experiments")
    ax.set_title(f"{study.name}: progress")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)  # type: ignore[attr-defined]
    return path
