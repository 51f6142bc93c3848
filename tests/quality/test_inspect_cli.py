"""``openfab inspect``: train on a folder of normal images, then score a folder as CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from openfab.quality.inspect_cli import inspect_app
from tests.quality.vision.conftest import weave

runner = CliRunner()


def _flat(text: str) -> str:
    """Messages as one line (the console wraps long ones at its width)."""
    return " ".join(text.split())


def _write(folder: Path, name: str, pixels: np.ndarray) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def test_train_then_score_prints_one_row_per_image(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    normal, check, maps = tmp_path / "normal", tmp_path / "check", tmp_path / "maps"
    for i in range(6):
        _write(normal, f"n{i}.png", weave(rng).scan.image)
    _write(check, "good.png", weave(rng).scan.image)
    _write(check, "line/bad.png", weave(rng, defect=True).scan.image)
    model = tmp_path / "model.pt"

    trained = runner.invoke(inspect_app, ["train", str(normal), "-o", str(model)])
    assert trained.exit_code == 0, trained.output
    assert model.is_file() and "threshold" in trained.output

    scored = runner.invoke(inspect_app, ["score", str(model), str(check), "--maps", str(maps)])
    assert scored.exit_code == 0, scored.output
    rows = list(csv.DictReader(io.StringIO(scored.stdout)))
    assert [r["file"] for r in rows] == ["good.png", "line/bad.png"]
    assert {r["verdict"] for r in rows} <= {"ok", "defect"}
    assert all(float(r["score"]) == float(r["score"]) for r in rows)
    assert (maps / "good.png.heat.png").is_file()
    assert Image.open(maps / "line" / "bad.png.heat.png").size == (64, 64)


def test_a_bad_file_is_an_error_row_and_the_rest_are_scored(tmp_path: Path) -> None:
    rng = np.random.default_rng(12)
    normal, check = tmp_path / "normal", tmp_path / "check"
    for i in range(4):
        _write(normal, f"n{i}.png", weave(rng).scan.image)
    _write(check, "a.png", weave(rng).scan.image)
    (check / "b.png").write_bytes(b"")
    model = tmp_path / "m.pt"
    assert runner.invoke(inspect_app, ["train", str(normal), "-o", str(model)]).exit_code == 0
    scored = runner.invoke(inspect_app, ["score", str(model), str(check)])
    assert scored.exit_code == 1
    rows = list(csv.DictReader(io.StringIO(scored.stdout)))
    assert [(r["file"], r["verdict"]) for r in rows][1] == ("b.png", "error")
    assert rows[0]["verdict"] in ("ok", "defect")
    assert "b.png" in scored.stderr and "empty file" in _flat(scored.stderr)


def test_an_empty_training_folder_is_refused_with_its_name(tmp_path: Path) -> None:
    result = runner.invoke(inspect_app, ["train", str(tmp_path), "-o", str(tmp_path / "m.pt")])
    assert result.exit_code == 1
    assert "no PNG or JPEG image" in _flat(result.output)
    assert "Traceback" not in result.output


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "model.pt"
    fake.write_bytes(b"not a model")
    result = runner.invoke(inspect_app, ["score", str(fake), str(tmp_path)])
    assert result.exit_code == 1
    assert "not an OpenFab vision model file" in _flat(result.output)


def test_height_maps_next_to_the_images_make_a_3d_model(tmp_path: Path) -> None:
    from openfab.twin.scan import place_defect, surface_scan

    rng = np.random.default_rng(13)
    normal, check = tmp_path / "normal", tmp_path / "check"
    for i in range(5):
        image, height = surface_scan(rng, [], 64)
        _write(normal, f"u{i}.png", image)
        np.save(normal / f"u{i}.height.npy", height)
    image, height = surface_scan(rng, [place_defect(rng, 64, "paint", "p1")], 64)
    _write(check, "dented.png", image)
    np.save(check / "dented.height.npy", height)
    _write(check, "flat.png", image)  # no height map: a 3D model cannot judge it
    model = tmp_path / "m.pt"
    trained = runner.invoke(inspect_app, ["train", str(normal), "-o", str(model)])
    assert trained.exit_code == 0, trained.output
    assert "3D" in trained.output
    scored = runner.invoke(inspect_app, ["score", str(model), str(check)])
    rows = {r["file"]: r["verdict"] for r in csv.DictReader(io.StringIO(scored.stdout))}
    assert rows["dented.png"] in ("ok", "defect") and rows["flat.png"] == "error"
    assert "3D" in _flat(scored.stderr) or "height" in _flat(scored.stderr)


def test_a_training_folder_mixing_2d_and_3d_names_the_flat_images(tmp_path: Path) -> None:
    rng = np.random.default_rng(14)
    for i in range(3):
        _write(tmp_path, f"u{i}.png", weave(rng).scan.image)
    np.save(tmp_path / "u0.height.npy", np.zeros((64, 64), np.float32))
    result = runner.invoke(inspect_app, ["train", str(tmp_path), "-o", str(tmp_path / "m.pt")])
    assert result.exit_code == 1
    text = _flat(result.output)
    assert "u1.png: no u1.height.npy" in text and "u2.png" in text
