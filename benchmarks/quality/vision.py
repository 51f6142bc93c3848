"""Visual inspection benchmark: OpenFab's inspector against plain PatchCore, a classical
filter bank and a trivial brightness baseline, in one run, on the same images.

Real photographed textures (scikit-image's bundled photos, cut into 128 px crops) with
small synthetic defects, and the twin's own 64 px surface scans in 2D (image) and 3D
(image + height map). One texture and one defect kind were held out while the method was
chosen; they are reported apart. Prints markdown tables; one CPU thread.

    PYTHONPATH=src python benchmarks/quality/vision.py > benchmarks/quality/results/x.txt
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).parent))

from vision_baselines import PATCHCORE, FilterBank, Trivial
from vision_data import (
    HELD_OUT_DEFECTS,
    HELD_OUT_TEXTURES,
    TUNED_DEFECTS,
    TUNED_TEXTURES,
    Task,
    texture_task,
    twin_task,
)

from openfab.quality.vision import Scan, Settings, VisionInspector

METHODS = ("openfab", "patchcore", "filter bank", "trivial")


@dataclass
class Score:
    image_auroc: float
    pixel_auroc: float
    false_reject: float
    miss: float
    fit_s: float
    score_ms: float
    per_defect: dict[str, float] = field(default_factory=dict)
    # false rejects among many more unseen normal images (the test set holds only a few)
    extra_false_reject: float = float("nan")
    extra_normals: int = 0


def build(method: str, train: Sequence[Scan]) -> Any:
    if method == "openfab":
        return VisionInspector.fit(train, Settings())
    if method == "patchcore":
        return VisionInspector.fit(train, PATCHCORE)
    if method == "filter bank":
        return FilterBank(train)
    return Trivial(train)


def evaluate(method: str, task: Task) -> tuple[Score, Any]:
    start = time.perf_counter()
    model = build(method, task.train)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    results = model.score_many([c.scan for c in task.test])
    score_ms = 1000 * (time.perf_counter() - start) / len(task.test)
    scores = np.array([r.score for r in results])
    faulty = np.array([c.defect != "" for c in task.test])
    verdicts = np.array([r.verdict == "defect" for r in results])
    per = {}
    for kind in sorted({c.defect for c in task.test} - {""}):
        chosen = np.array([c.defect in ("", kind) for c in task.test])
        label = f"{task.name}: {kind}" if task.name.startswith("twin") else kind
        per[label] = float(roc_auc_score(faulty[chosen], scores[chosen]))
    extra = model.score_many(task.extra_normals) if task.extra_normals else []
    extra_fr = float(np.mean([r.verdict == "defect" for r in extra])) if extra else float("nan")
    pix_y = np.concatenate([c.mask[::2, ::2].ravel() for c in task.test])
    pix_s = np.concatenate([r.heat_map[::2, ::2].ravel() for r in results])
    return Score(
        image_auroc=float(roc_auc_score(faulty, scores)),
        pixel_auroc=float(roc_auc_score(pix_y, pix_s)),
        false_reject=float(verdicts[~faulty].mean()),
        miss=float((~verdicts[faulty]).mean()),
        fit_s=fit_s,
        score_ms=score_ms,
        per_defect=per,
        extra_false_reject=extra_fr,
        extra_normals=len(extra),
    ), model


def at_256(scan: Scan) -> Scan:
    """The scan as a 256×256 image (nearest-neighbour scaled), the size the latency target
    is stated for."""
    side = scan.image.shape[0]
    if side == 256:
        return scan
    index = np.arange(256) * side // 256
    image = scan.image[index][:, index]
    height = scan.height[index][:, index] if scan.height is not None else None
    return Scan(np.ascontiguousarray(image), height)


def latency_ms(
    model: VisionInspector, scans: Sequence[Scan], repeats: int = 5
) -> tuple[float, float]:
    """Median (wall, CPU) milliseconds to score one image alone (no batching). On a shared
    machine the wall time includes waiting for the core; the CPU time does not."""
    wall, cpu = [], []
    model.score(scans[0])  # warm-up: the first call builds the backbone
    for _ in range(repeats):
        for scan in scans:
            start, start_cpu = time.perf_counter(), time.process_time()
            model.score(scan)
            wall.append(1000 * (time.perf_counter() - start))
            cpu.append(1000 * (time.process_time() - start_cpu))
    return statistics.median(wall), statistics.median(cpu)


def table(title: str, rows: list[tuple[str, list[str]]], header: Sequence[str]) -> None:
    print(f"\n### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
    for name, cells in rows:
        print("| " + " | ".join([name, *cells]) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer images (a smoke run)")
    parser.add_argument("--methods", nargs="*", default=list(METHODS))
    parser.add_argument("--tasks", nargs="*", default=None, help="texture names, twin2d, twin3d")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument(
        "--extra-normals",
        type=int,
        default=100,
        help="unseen normal images per task, only to measure the false-reject rate",
    )
    parser.add_argument("--merge", type=Path, nargs="*", help="print one report from these")
    args = parser.parse_args()
    if args.merge:
        merge(args.merge)
        return
    torch.set_num_threads(1)
    n = {"train": 24, "normals": 12, "per_defect": 3} if args.quick else {}
    textures = [*TUNED_TEXTURES, *HELD_OUT_TEXTURES]
    names = args.tasks or [*textures, "twin2d", "twin3d"]
    defects = (*TUNED_DEFECTS, *HELD_OUT_DEFECTS)
    makers: dict[str, Callable[[], Task]] = {
        t: (lambda t=t: texture_task(t, defects, **n)) for t in textures
    }
    n["extra_normals"] = args.extra_normals
    twin_n = {"train": 24, "normals": 12, "defects": 12} if args.quick else {}
    twin_n["extra_normals"] = args.extra_normals
    makers["twin2d"] = lambda: twin_task(False, **twin_n)
    makers["twin3d"] = lambda: twin_task(True, **twin_n)
    wall = time.perf_counter()
    load_before = os.getloadavg()
    print("## Visual inspection benchmark\n")
    print(
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs shared with other work, "
        f"torch {torch.__version__}, 1 thread"
    )
    print(
        f"- load average at start: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}"
    )
    print(
        f"- tuned textures: {', '.join(TUNED_TEXTURES)}; held-out texture: "
        f"{', '.join(HELD_OUT_TEXTURES)}; held-out defect: {', '.join(HELD_OUT_DEFECTS)}"
    )
    results: dict[str, dict[str, Score]] = {}
    latency: dict[str, tuple[float, ...]] = {}
    for name in names:
        task = makers[name]()
        results[name] = {}
        for method in args.methods:
            score, model = evaluate(method, task)
            results[name][method] = score
            if method == "openfab":
                scans = [c.scan for c in task.test[:8]]
                if not name.startswith("twin"):
                    scans = [at_256(s) for s in scans]
                wall_ms, cpu_ms = latency_ms(model, scans)
                latency[name] = (wall_ms, cpu_ms, scans[0].image.shape[0], model.size)
            if args.json:  # after every result, so a long run stopped early still tells
                _dump(args.json, results, latency)
            print(
                f"<!-- {name} {method}: image {score.image_auroc:.3f} pixel "
                f"{score.pixel_auroc:.3f} fit {score.fit_s:.0f} s -->",
                flush=True,
            )
    report(results, latency, args.methods, textures)
    load_after = os.getloadavg()
    print(
        f"\n- wall time {time.perf_counter() - wall:.0f} s; load average at end: "
        f"{load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}"
    )


def _dump(
    path: Path,
    results: dict[str, dict[str, Score]],
    latency: dict[str, tuple[float, ...]],
) -> None:
    raw = {n: {m: asdict(sc) for m, sc in r.items()} for n, r in results.items()}
    path.write_text(json.dumps({"results": raw, "latency": latency}))


def merge(paths: list[Path]) -> None:
    """One report from several runs' ``--json`` files (tasks run in parallel processes)."""
    results: dict[str, dict[str, Score]] = {}
    latency: dict[str, tuple[float, ...]] = {}
    for path in paths:
        raw = json.loads(path.read_text())
        for name, by_method in raw["results"].items():
            if set(by_method) == set(METHODS):  # a task a stopped run did not finish is left out
                results[name] = {m: Score(**sc) for m, sc in by_method.items()}
        latency.update({n: tuple(v) for n, v in raw["latency"].items()})
    methods = list(METHODS)
    print("## Visual inspection benchmark (merged runs)")
    report(results, latency, methods, [*TUNED_TEXTURES, *HELD_OUT_TEXTURES])


def _mean(values: list[float]) -> str:
    return f"{np.mean(values):.3f}" if values else "–"


def report(
    results: dict[str, dict[str, Score]],
    latency: dict[str, tuple[float, ...]],
    methods: list[str],
    textures: list[str],
) -> None:
    names = list(results)
    tuned = [t for t in names if t in TUNED_TEXTURES]
    held = [t for t in names if t in HELD_OUT_TEXTURES]
    for metric, title in (("image_auroc", "Image AUROC"), ("pixel_auroc", "Pixel AUROC")):
        rows = [(n, [f"{getattr(results[n][m], metric):.3f}" for m in methods]) for n in names]
        rows.append(
            (
                "**mean, tuned textures**",
                [_mean([getattr(results[t][m], metric) for t in tuned]) for m in methods],
            )
        )
        rows.append(
            (
                "**held-out texture**",
                [_mean([getattr(results[t][m], metric) for t in held]) for m in methods],
            )
        )
        table(title, rows, ["task", *methods])
    rows = []
    for n in names:
        rows.append(
            (n, [f"{results[n][m].false_reject:.0%} / {results[n][m].miss:.0%}" for m in methods])
        )
    table(
        "False rejects / misses at the calibrated threshold (target 1 % false rejects)",
        rows,
        ["task", *methods],
    )
    if any(results[n][m].extra_normals for n in names for m in methods):
        rows = [
            (
                n,
                [
                    f"{results[n][m].extra_false_reject:.1%} of {results[n][m].extra_normals}"
                    for m in methods
                ],
            )
            for n in names
        ]
        rows.append(
            (
                "**mean**",
                [
                    f"{np.nanmean([results[n][m].extra_false_reject for n in names]):.1%}"
                    for m in methods
                ],
            )
        )
        table(
            "False rejects on more unseen normal images (target 1 %)",
            rows,
            ["task", *methods],
        )
    kinds = sorted({k for n in names for k in results[n][methods[0]].per_defect})
    rows = []
    for kind in kinds:
        label = f"{kind} (held out)" if kind in HELD_OUT_DEFECTS else kind
        cells = [
            _mean(
                [results[n][m].per_defect[kind] for n in names if kind in results[n][m].per_defect]
            )
            for m in methods
        ]
        rows.append((label, cells))
    title = "Image AUROC per defect kind (textures: mean over them; the twin: per mode)"
    table(title, rows, ["defect", *methods])
    rows = [
        (n, [f"{results[n][m].fit_s:.0f} s / {results[n][m].score_ms:.0f} ms" for m in methods])
        for n in names
    ]
    table("Training time / scoring time per image (batched)", rows, ["task", *methods])
    if latency:
        rows = [
            (n, [f"{v[2]} px", f"{v[-1]} px", f"{v[0]:.1f} ms", f"{v[1]:.1f} ms"])
            for n, v in latency.items()
        ]
        table(
            "OpenFab: one image scored alone (median of 5 × 8, 1 thread)",
            rows,
            ["task", "input", "working size", "wall", "CPU"],
        )


if __name__ == "__main__":
    main()
