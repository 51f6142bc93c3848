"""What the inspector reads and answers: a scan of one unit and its inspection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from openfab.errors import InvalidInput, Problem

Verdict = Literal["ok", "defect"]
MIN_SIDE = 16  # below this no feature map is left to score


@dataclass(frozen=True)
class Scan:
    """One unit's surface: an 8-bit image (H×W grey or H×W×3 colour) and, from a 3D camera,
    a height map (H×W float, any unit) of the same size."""

    image: np.ndarray
    height: np.ndarray | None = None

    def __post_init__(self) -> None:
        problems = scan_problems(self)
        if problems:
            raise InvalidInput("not a valid scan", problems)

    @property
    def size(self) -> tuple[int, int]:
        """``(rows, columns)`` of the image."""
        return int(self.image.shape[0]), int(self.image.shape[1])

    @property
    def colour(self) -> bool:
        return self.image.ndim == 3


def scan_problems(scan: Scan) -> list[Problem]:
    """Every way ``scan`` is unusable (an empty list when it is fine)."""
    img, problems = scan.image, []
    if not isinstance(img, np.ndarray):
        return [Problem("image", f"expected a numpy array, got {type(img).__name__}")]
    if img.dtype != np.uint8:
        problems.append(Problem("image", f"expected 8-bit pixels (uint8), got {img.dtype}"))
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] != 3):
        problems.append(Problem("image", f"expected H×W or H×W×3, got shape {img.shape}"))
    elif min(img.shape[:2]) < MIN_SIDE:
        problems.append(Problem("image", f"{img.shape[1]}×{img.shape[0]} px is below {MIN_SIDE}"))
    if scan.height is not None:
        h = scan.height
        if not isinstance(h, np.ndarray) or h.shape != img.shape[:2]:
            shape = getattr(h, "shape", None)
            problems.append(Problem("height", f"expected shape {img.shape[:2]}, got {shape}"))
        elif not np.all(np.isfinite(h)):
            problems.append(Problem("height", "contains NaN or infinite values"))
    return problems


@dataclass(frozen=True)
class Inspection:
    """The detector's answer for one scan.

    ``heat_map`` has the image's size; its values are on the score's scale (how many
    normal-image spreads above a typical normal image a pixel looks), so a pixel above
    ``threshold`` is where the detector would reject the unit.
    """

    score: float
    heat_map: np.ndarray
    verdict: Verdict
    threshold: float
