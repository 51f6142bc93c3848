"""Model files: a round trip scores the same; anything else is refused by name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from openfab.errors import InvalidInput
from openfab.quality.vision import VisionInspector
from openfab.quality.vision.modelfile import FORMAT, VERSION, load, save
from tests.quality.vision.conftest import weave


def test_a_saved_model_scores_exactly_as_before(tmp_path: Path, inspector: VisionInspector) -> None:
    path = tmp_path / "model.pt"
    save(inspector, path)
    again = load(path)
    scan = weave(np.random.default_rng(1), defect=True).scan
    before, after = inspector.score(scan), again.score(scan)
    assert after.score == pytest.approx(before.score, abs=1e-5)
    assert np.allclose(after.heat_map, before.heat_map, atol=1e-4)
    assert again.calibration == inspector.calibration
    assert again.scorers == inspector.scorers


def _other_version(path: Path) -> None:
    torch.save({"format": FORMAT, "version": VERSION + 1}, path)


def _other_format(path: Path) -> None:
    torch.save({"weights": torch.zeros(3)}, path)


def _pickled_object(path: Path) -> None:
    torch.save({"format": FORMAT, "version": VERSION, "meta": Path("x")}, path)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        # a model file from another version of the format
        (_other_version, f"version {VERSION + 1}; this OpenFab reads version {VERSION}"),
        # a valid torch file that is not an inspection model
        (_other_format, "not an OpenFab vision model file"),
        # arbitrary pickled objects are never unpickled
        (_pickled_object, "not an OpenFab vision model file"),
        # bytes that are no torch file at all
        (lambda p: p.write_bytes(b"\x00" * 100), "not an OpenFab vision model file"),
        (lambda p: p.write_bytes(b""), "not an OpenFab vision model file"),
    ],
)
def test_anything_but_a_model_of_this_version_is_refused(
    tmp_path: Path, make: object, reason: str
) -> None:
    path = tmp_path / "model.pt"
    make(path)  # type: ignore[operator]
    with pytest.raises(InvalidInput) as caught:
        load(path)
    assert reason in str(caught.value) and str(path) in str(caught.value)


def test_a_damaged_model_is_refused(tmp_path: Path, inspector: VisionInspector) -> None:
    path = tmp_path / "model.pt"
    save(inspector, path)
    payload = torch.load(path, weights_only=True)
    payload["meta"] = "{}"
    torch.save(payload, path)
    with pytest.raises(InvalidInput, match="damaged model file"):
        load(path)
