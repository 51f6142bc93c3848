"""Small generated surfaces: a woven texture (two crossed gratings with noise) whose defect
is a patch woven the other way — same brightness, same contrast, so only a detector that
reads texture finds it; a pixel-brightness baseline cannot."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import torch

from openfab.quality.vision import Scan, Settings, VisionInspector

SIDE = 64
FAST = Settings(size=64, head_steps=100, batch=8, seed=0)


@dataclass(frozen=True)
class Sample:
    scan: Scan
    box: tuple[int, int, int, int] | None  # row0, row1, col0, col1 of the defect


def weave(rng: np.random.Generator, defect: bool = False) -> Sample:
    yy, xx = np.mgrid[:SIDE, :SIDE].astype(np.float64)
    period = rng.uniform(5.5, 6.5)
    phase = rng.uniform(0, 2 * np.pi, 2)
    rows = np.sin(2 * np.pi * yy / period + phase[0])
    cols = np.sin(2 * np.pi * xx / (period * 1.7) + phase[1])
    img = 0.5 + 0.25 * rows * (cols > 0) + rng.normal(0, 0.04, (SIDE, SIDE))
    box = None
    if defect:
        w = int(rng.integers(12, 18))
        r, c = (int(v) for v in rng.integers(8, SIDE - 8 - w, 2))
        turned = 0.5 + 0.25 * np.sin(2 * np.pi * xx / period + phase[0]) * (
            np.sin(2 * np.pi * yy / (period * 1.7)) > 0
        )
        img[r : r + w, c : c + w] = turned[r : r + w, c : c + w]
        box = (r, r + w, c, c + w)
    pixels = np.clip(img * 255, 0, 255).astype(np.uint8)
    return Sample(Scan(pixels), box)


@pytest.fixture(scope="session")
def weaves() -> dict[str, list[Sample]]:
    """30 normal training weaves; a test set of 20 normal and 20 defective ones."""
    rng = np.random.default_rng(7)
    return {
        "train": [weave(rng) for _ in range(30)],
        "normal": [weave(rng) for _ in range(20)],
        "defect": [weave(rng, defect=True) for _ in range(20)],
    }


@pytest.fixture(scope="session")
def inspector(weaves: dict[str, list[Sample]]) -> VisionInspector:
    torch.set_num_threads(1)
    return VisionInspector.fit([s.scan for s in weaves["train"]], FAST)
