"""The detectors OpenFab's inspector is compared with, each calibrated the same way.

* ``filter bank``: a memory bank (PatchCore-style nearest neighbour) on classical features —
  Gaussian-derivative responses and their local energy at three scales.
* ``trivial``: how far each pixel's brightness is from the normal images' mean at that pixel,
  in normal spreads, smoothed.

Plain PatchCore on EfficientNet-Lite0 is the inspector itself with only its memory bank,
the two middle blocks and the network's own zero padding (``PATCHCORE`` settings).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as fn
from scipy import ndimage

from openfab.quality.vision import Scan, Settings
from openfab.quality.vision.calibration import Calibration, calibrate
from openfab.quality.vision.memory import MemoryBank

PATCHCORE = Settings(scorers=("bank",), blocks=(4, 7), margin=0)
SIDE = 128  # working side of the classical baselines
STEP = 4  # their feature stride


@dataclass
class Result:
    score: float
    heat_map: np.ndarray
    verdict: str


def _grey(scan: Scan) -> np.ndarray:
    img = scan.image.astype(np.float32) / 255
    img = img.mean(axis=2) if img.ndim == 3 else img
    t = torch.from_numpy(img)[None, None]
    return fn.interpolate(t, size=(SIDE, SIDE), mode="bilinear", antialias=True)[0, 0].numpy()


def filter_features(scan: Scan) -> np.ndarray:
    """H/STEP × W/STEP × C classical texture features."""
    img = _grey(scan)
    chans = []
    for sigma in (1.0, 2.0, 4.0):
        for order in ((0, 0), (0, 1), (1, 0), (0, 2), (2, 0), (1, 1)):
            r = ndimage.gaussian_filter(img, sigma, order=order, mode="reflect")
            chans.append(r)
            if order != (0, 0):
                chans.append(np.sqrt(ndimage.gaussian_filter(r * r, 2 * sigma, mode="reflect")))
    stack = np.stack(chans, axis=2)
    return stack[STEP // 2 :: STEP, STEP // 2 :: STEP]


def _upsample(m: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    t = torch.from_numpy(np.ascontiguousarray(m, dtype=np.float32))[None, None]
    return fn.interpolate(t, size=size, mode="bilinear", align_corners=False)[0, 0].numpy()


class FilterBank:
    def __init__(self, train: Sequence[Scan], rate: float = 0.01) -> None:
        feats = np.stack([filter_features(s) for s in train])
        self.mean = feats.mean(axis=(0, 1, 2))
        self.std = feats.std(axis=(0, 1, 2)) + 1e-6
        z = torch.from_numpy((feats - self.mean) / self.std).float()
        n, h, w, c = z.shape
        owners = torch.arange(n).repeat_interleave(h * w)
        self.bank = MemoryBank.build(z.reshape(-1, c), owners, keep=0.1, max_size=6000)
        held = [self._map(z[i], exclude=i).max() for i in range(n)]
        self.calibration: Calibration = calibrate(np.array(held), rate)

    def _map(self, z: torch.Tensor, exclude: int | None = None) -> np.ndarray:
        h, w, c = z.shape
        d = self.bank.distances(z.reshape(-1, c), exclude=exclude).reshape(h, w).numpy()
        return ndimage.gaussian_filter(d, 1.0)

    def score_many(self, scans: Sequence[Scan]) -> list[Result]:
        out = []
        for s in scans:
            z = torch.from_numpy((filter_features(s) - self.mean) / self.std).float()
            m = self._map(z)
            score = float(m.max())
            verdict = "defect" if score > self.calibration.threshold else "ok"
            out.append(Result(score, _upsample(m, s.size), verdict))
        return out


class Trivial:
    def __init__(self, train: Sequence[Scan], rate: float = 0.01) -> None:
        stack = np.stack([_grey(s) for s in train])
        half = len(stack) // 2
        self.mean, self.std = stack[:half].mean(0), stack[:half].std(0) + 0.02
        held = [self._map(img).max() for img in stack[half:]]
        self.calibration: Calibration = calibrate(np.array(held), rate)

    def _map(self, img: np.ndarray) -> np.ndarray:
        return ndimage.gaussian_filter(np.abs(img - self.mean) / self.std, 2.0)

    def score_many(self, scans: Sequence[Scan]) -> list[Result]:
        out = []
        for s in scans:
            m = self._map(_grey(s))
            score = float(m.max())
            verdict = "defect" if score > self.calibration.threshold else "ok"
            out.append(Result(score, _upsample(m, s.size), verdict))
        return out
