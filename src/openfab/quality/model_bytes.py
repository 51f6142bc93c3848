"""Inspection models as bytes, for the store (the database keeps the installed model file)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from openfab.quality.vision import modelfile
from openfab.quality.vision.inspector import VisionInspector


def model_bytes(inspector: VisionInspector) -> bytes:
    """The model file ``openfab inspect train`` writes, as bytes."""
    with tempfile.TemporaryDirectory(prefix="openfab-model-") as folder:
        path = Path(folder) / "model.pt"
        modelfile.save(inspector, path)
        return path.read_bytes()


def read_model(payload: bytes) -> VisionInspector:
    """A model from its file's bytes; anything else is refused with the reason."""
    with tempfile.TemporaryDirectory(prefix="openfab-model-") as folder:
        path = Path(folder) / "model.pt"
        path.write_bytes(payload)
        return modelfile.load(path)
