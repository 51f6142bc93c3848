"""``openfab inspect``: train a visual inspector on a folder of normal images, score folders.

``score`` prints CSV (``file,score,verdict``) on stdout, one row per image under the
folder. A file that cannot be read gets the verdict ``error`` (score empty) and its
reason on stderr, and the rest are still scored; the exit code is then 1, so a script
notices. A height map next to an image (``<stem>.height.npy``) makes it a 3D scan.
Heat maps (``--maps OUT``) are the image with the anomaly map laid over it in
colour, at ``OUT/<the file's path under DIR>.heat.png``.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from openfab.commands import errors, handled
from openfab.errors import InvalidInput, Problem

if TYPE_CHECKING:
    from openfab.quality.vision import Scan
    from openfab.quality.vision.calibration import Calibration

inspect_app = typer.Typer(
    help="Visual inspection: learn normal surfaces from images, then find defects.",
    no_args_is_help=True,
)


@inspect_app.command("train")
@handled
def train_command(
    normal_dir: Annotated[
        Path, typer.Argument(help="Folder of normal (defect-free) images.", metavar="NORMAL_DIR")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Model file to write.")],
    false_reject_rate: Annotated[
        float,
        typer.Option(help="Share of normal units the threshold may reject (0 < rate < 0.5)."),
    ] = 0.01,
    seed: Annotated[int, typer.Option(help="Random seed (same images, same model).")] = 0,
) -> None:
    """Learn what normal looks like and calibrate the threshold; write the model file."""
    from openfab.quality.images import read_training_folder
    from openfab.quality.vision import Settings, VisionInspector
    from openfab.quality.vision.modelfile import save

    _threads()
    images = read_training_folder(normal_dir)
    scans = _training_scans(images)
    settings = Settings(false_reject_rate=false_reject_rate, seed=seed)
    with _bar() as bar:
        tasks: dict[str, TaskID] = {}

        def tell(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        inspector = VisionInspector.fit(scans, settings, progress=tell)
    save(inspector, output)
    cal = inspector.calibration
    errors.print(
        f"[green]Trained[/] on {len(images)} {'3D ' if inspector.three_d else ''}images "
        f"({', '.join(inspector.scorers)}); "
        f"threshold {cal.threshold:.3f} for {cal.false_reject_rate:.1%} false rejects "
        f"({cal.method} over {cal.samples} held-out normals) → {output}"
    )


@inspect_app.command("score")
@handled
def score_command(
    model: Annotated[Path, typer.Argument(help="Model file from `train`.", metavar="MODEL")],
    folder: Annotated[Path, typer.Argument(help="Folder of images to inspect.", metavar="DIR")],
    maps: Annotated[
        Path | None, typer.Option("--maps", help="Write a heat-map PNG per image here.")
    ] = None,
) -> None:
    """Print ``file,score,verdict`` for every image under DIR (recursively)."""
    from openfab.quality.images import image_files, read_folder
    from openfab.quality.vision.modelfile import load

    _threads()
    inspector = load(model)
    images, problems = read_folder(folder)
    bad = {p.loc: p.msg for p in problems}
    found = {str(path): pixels for path, pixels in images}
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["file", "score", "verdict"])
    if maps is not None:
        maps.mkdir(parents=True, exist_ok=True)
    for path in image_files(folder):
        name = path.relative_to(folder).as_posix()
        if str(path) in bad:
            errors.print(f"[red]{name}:[/] {bad[str(path)]}")
            writer.writerow([name, "", "error"])
            continue
        pixels = found[str(path)]
        try:
            result = inspector.score(_scan(path, pixels))
        except InvalidInput as exc:
            reason = "; ".join(str(p) for p in exc.problems) or exc.detail
            errors.print(f"[red]{name}:[/] {reason}")
            writer.writerow([name, "", "error"])
            bad[str(path)] = reason
            continue
        writer.writerow([name, f"{result.score:.4f}", result.verdict])
        if maps is not None:
            target = maps / f"{name}.heat.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_map(target, pixels, result.heat_map, inspector.calibration)
    sys.stdout.flush()
    if bad:
        raise typer.Exit(1)


def _scan(path: Path, pixels: np.ndarray) -> Scan:
    from openfab.quality.images import load_height
    from openfab.quality.vision import Scan

    return Scan(pixels, load_height(path, pixels.shape[:2]))


def _training_scans(images: list[tuple[Path, np.ndarray]]) -> list[Scan]:
    """Scans with their height maps; all 3D or none (a mixed folder names the odd ones)."""
    from openfab.quality.images import height_file

    scans = [_scan(path, pixels) for path, pixels in images]
    flat = [path for (path, _), scan in zip(images, scans, strict=True) if scan.height is None]
    if 0 < len(flat) < len(scans):
        raise InvalidInput(
            "some training images have a height map and some do not",
            [Problem(str(p), f"no {height_file(p).name}") for p in flat],
        )
    return scans


def _threads() -> None:
    import torch

    torch.set_num_threads(2)


def _bar() -> Progress:
    return Progress(
        TextColumn("{task.description:>12}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=errors,
        transient=False,
    )


def _write_map(path: Path, pixels: np.ndarray, heat: np.ndarray, cal: Calibration) -> None:
    """The image in grey with the heat map in colour where it rises above a typical normal
    image's peak (transparent below it, full colour from the threshold up)."""
    from matplotlib import colormaps
    from PIL import Image

    grey = pixels if pixels.ndim == 2 else pixels.mean(axis=2)
    base = np.repeat(grey[..., None].astype(np.float32) / 255.0, 3, axis=2)
    rise = np.clip((heat - cal.mean) / max(cal.threshold - cal.mean, 1e-6), 0.0, 1.5)
    colour = colormaps["jet"](rise / 1.5)[..., :3].astype(np.float32)
    alpha = np.clip(rise, 0.0, 1.0)[..., None] * 0.6
    out = base * (1 - alpha) + colour * alpha
    Image.fromarray((out * 255 + 0.5).astype(np.uint8)).save(path)
