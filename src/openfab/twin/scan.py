"""Surface scans: a grayscale image and a height map of a unit, as 3D line cameras give.

The surface is a gentle waviness plus fine roughness; each defect changes the height map
(a scratch is a thin groove, a dent a round depression, a bump a round rise), and the image
is the surface lit from the upper left, so every defect shows in both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from openfab.twin.events import ByteArray, Defect, FloatArray

DEFECT_KINDS = ("scratch", "dent", "bump")
ROUGHNESS_UM = 0.15
WAVINESS_UM = 0.8


def place_defect(rng: np.random.Generator, size: int, operation: str, machine: str) -> Defect:
    """A random defect somewhere inside the scan (a margin keeps it whole)."""
    kind = DEFECT_KINDS[int(rng.integers(len(DEFECT_KINDS)))]
    margin = max(2, size // 8)
    row, col = (int(v) for v in rng.integers(margin, size - margin, 2))
    extent = float(rng.uniform(0.06, 0.14) * size)
    depth = float(rng.uniform(4.0, 12.0))
    return Defect(kind, row, col, round(extent, 2), round(depth, 2), operation, machine)


def surface_scan(
    rng: np.random.Generator, defects: Sequence[Defect], size: int = 64
) -> tuple[ByteArray, FloatArray]:
    """``(image, height)`` of one unit's surface with ``defects`` in it."""
    axis = np.arange(size, dtype=np.float64)
    fx, fy, px, py = rng.uniform(0.5, 2.0, 4)
    wave_x = np.sin(2 * np.pi * (fx * axis / size + px))
    wave_y = np.cos(2 * np.pi * (fy * axis / size + py))
    height = WAVINESS_UM * np.outer(wave_y, wave_x)
    height += rng.normal(0.0, ROUGHNESS_UM, (size, size))
    if defects:
        pix_y, pix_x = np.meshgrid(axis, axis, indexing="ij")
        for d in defects:
            height += _defect_shape(d, pix_y, pix_x, rng)
    surface = height.astype(np.float32)
    return shade(surface), surface


def shade(height: FloatArray) -> ByteArray:
    """Lambertian shading of a height map lit from the upper left (steep flanks light up)."""
    gy = np.empty_like(height)
    gx = np.empty_like(height)
    gy[1:-1] = (height[2:] - height[:-2]) / 2
    gy[0], gy[-1] = height[1] - height[0], height[-1] - height[-2]
    gx[:, 1:-1] = (height[:, 2:] - height[:, :-2]) / 2
    gx[:, 0], gx[:, -1] = height[:, 1] - height[:, 0], height[:, -1] - height[:, -2]
    light = 0.55 + 0.08 * (-gx - gy)
    image: ByteArray = np.clip(light * 255.0, 0, 255).astype(np.uint8)
    return image


def defect_mask(defect: Defect, size: int) -> np.ndarray:
    """Pixels a defect may touch (its bounding box plus a margin), for checks and labels."""
    mask = np.zeros((size, size), dtype=bool)
    reach = int(np.ceil(defect.size)) + 2
    mask[
        max(0, defect.row - reach) : defect.row + reach + 1,
        max(0, defect.col - reach) : defect.col + reach + 1,
    ] = True
    return mask


def _defect_shape(
    d: Defect, pix_y: np.ndarray, pix_x: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    dy, dx = pix_y - d.row, pix_x - d.col
    if d.kind == "scratch":
        angle = float(rng.uniform(0, np.pi))
        along = dx * np.cos(angle) + dy * np.sin(angle)
        across = -dx * np.sin(angle) + dy * np.cos(angle)
        groove = np.exp(-(across**2) / 0.8) * (np.abs(along) <= d.size)
        scratch: np.ndarray = -d.depth_um * groove
        return scratch
    sigma = d.size / 2.5
    blob: np.ndarray = d.depth_um * np.exp(-(dy**2 + dx**2) / (2 * sigma**2))
    return -blob if d.kind == "dent" else blob
