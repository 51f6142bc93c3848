"""Synthetic anomalies made from normal images, the only teacher a one-class detector has.

Each call changes one region of a normal image in one of several generic ways (another
normal image's content pasted out of place, darker or brighter, tinted, blurred, noisy,
warped, a flat fill) inside a random shape (a smooth blob, a thin polyline, an ellipse).
The segmentation head learns where an image departs from its own texture; it never sees
the defect kinds the benchmark tests with, which are drawn by separate code.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage

Image = np.ndarray  # float32 H×W×C in [0, 1]


def anomaly(
    rng: np.random.Generator,
    image: Image,
    donor: Image,
    height: np.ndarray | None = None,
    *,
    grey: bool = False,
) -> tuple[Image, np.ndarray | None, np.ndarray]:
    """``(image, height, mask)``: ``image`` (and its height map) with one synthetic anomaly;
    ``mask`` (H×W float in [0, 1]) marks the pixels that visibly changed. A ``grey`` image
    stays grey (its three channels equal)."""
    side = image.shape[0]
    shape = _SHAPES[int(rng.integers(len(_SHAPES)))](rng, side)
    soft = ndimage.gaussian_filter(shape, float(rng.uniform(0.3, 1.5)))
    kind = _CHANGES[int(rng.integers(len(_CHANGES)))]
    changed = np.clip(kind(rng, image, donor), 0.0, 1.0)
    if grey:
        changed = np.repeat(changed.mean(axis=2, keepdims=True), 3, axis=2)
    alpha = float(rng.uniform(0.5, 1.0)) * soft[..., None]
    out = image * (1 - alpha) + changed * alpha
    diff = np.abs(out - image).max(axis=2)
    mask = ((soft > 0.3) & (diff > 0.03)).astype(np.float32)
    new_height = None
    if height is not None:
        bump = float(rng.uniform(0.05, 0.4)) * float(rng.choice([-1.0, 1.0]))
        new_height = (height + bump * soft).astype(np.float32)
        mask = np.maximum(mask, (soft > 0.3).astype(np.float32))
    return out.astype(np.float32), new_height, mask


def _blob(rng: np.random.Generator, side: int) -> np.ndarray:
    extent = int(rng.integers(max(4, side // 10), max(6, side // 3)))
    noise = ndimage.gaussian_filter(rng.normal(size=(side, side)), extent / 4)
    window = _ellipse(rng, side, extent)
    return np.asarray((noise > np.quantile(noise, 0.3)) * window, dtype=np.float32)


def _ellipse(rng: np.random.Generator, side: int, extent: int | None = None) -> np.ndarray:
    extent = extent or int(rng.integers(max(3, side // 24), max(5, side // 6)))
    cy, cx = rng.integers(extent, side - extent, 2)
    ry, rx = extent * rng.uniform(0.3, 1.0, 2)
    yy, xx = np.ogrid[:side, :side]
    inside = (((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2) <= 1
    return np.asarray(inside, dtype=np.float32)


def _line(rng: np.random.Generator, side: int) -> np.ndarray:
    mask = np.zeros((side, side), np.float32)
    point = rng.uniform(side * 0.15, side * 0.85, 2)
    angle = rng.uniform(0, 2 * np.pi)
    for _ in range(int(rng.integers(2, 6))):
        length = rng.uniform(side * 0.05, side * 0.25)
        angle += rng.normal(0, 0.6)
        end = np.clip(point + length * np.array([np.sin(angle), np.cos(angle)]), 0, side - 1)
        steps = int(np.ceil(np.abs(end - point).max())) + 1
        rows = np.linspace(point[0], end[0], steps).round().astype(int)
        cols = np.linspace(point[1], end[1], steps).round().astype(int)
        mask[rows, cols] = 1.0
        point = end
    width = int(rng.integers(1, max(2, side // 48) + 1))
    return np.asarray(ndimage.binary_dilation(mask, iterations=width), dtype=np.float32)


def _paste(rng: np.random.Generator, image: Image, donor: Image) -> Image:
    shifted = np.roll(donor, tuple(rng.integers(0, image.shape[0], 2)), axis=(0, 1))
    return np.rot90(shifted, int(rng.integers(4))).copy()


def _shade(rng: np.random.Generator, image: Image, donor: Image) -> Image:
    gain = rng.uniform(0.3, 0.8) if rng.random() < 0.5 else rng.uniform(1.2, 1.8)
    return np.asarray(image * gain + rng.uniform(-0.15, 0.15), dtype=np.float32)


def _tint(rng: np.random.Generator, image: Image, donor: Image) -> Image:
    return np.asarray(image + rng.uniform(-0.3, 0.3, image.shape[2]), dtype=np.float32)


def _blur(rng: np.random.Generator, image: Image, donor: Image) -> Image:
    sigma = float(rng.uniform(1.5, 4.0))
    return np.asarray(ndimage.gaussian_filter(image, (sigma, sigma, 0)), dtype=np.float32)


def _noise(rng: np.random.Generator, image: Image, donor: Image) -> Image:
    return image + rng.normal(0, rng.uniform(0.05, 0.2), image.shape[:2])[..., None]


def _warp(rng: np.random.Generator, image: Image, donor: Image) -> Image:
    side = image.shape[0]
    field = ndimage.gaussian_filter(rng.normal(size=(2, side, side)), (0, 4, 4))
    field *= rng.uniform(3, 8) / (np.abs(field).max() + 1e-6)
    yy, xx = np.mgrid[:side, :side].astype(np.float32)
    coords = [yy + field[0], xx + field[1]]
    return np.stack(
        [ndimage.map_coordinates(image[..., c], coords, order=1, mode="reflect") for c in range(3)],
        axis=2,
    )


def _fill(rng: np.random.Generator, image: Image, donor: Image) -> Image:
    return np.broadcast_to(rng.uniform(0, 1, 3).astype(np.float32), image.shape).copy()


_SHAPES: tuple[Callable[[np.random.Generator, int], np.ndarray], ...] = (_blob, _line, _ellipse)
_CHANGES: tuple[Callable[[np.random.Generator, Image, Image], Image], ...] = (
    _paste,
    _shade,
    _tint,
    _blur,
    _noise,
    _warp,
    _fill,
)
