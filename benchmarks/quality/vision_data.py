"""Benchmark images: crops of real photographed textures with synthetic small defects, and
the twin's own surface scans.

The defects here are drawn by this file alone; the detector's self-supervised training
makes its own anomalies (openfab.quality.vision.synthetic) and never sees these.
The photo is cut into four horizontal bands; normal training crops come from the first and
third, test crops from the second and fourth, so no test pixel was seen in training, yet
both sample the same range of the scene (a photo's top and bottom halves may differ in scale
and light).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from openfab.quality.vision import Scan
from openfab.twin.events import Defect
from openfab.twin.scan import defect_mask, place_defect, surface_scan

TUNED_TEXTURES = ("brick", "grass", "gravel", "moon")
HELD_OUT_TEXTURES = ("immunohistochemistry",)
TUNED_DEFECTS = ("scratch", "spot", "smudge", "foreign", "blur", "stain", "warp")
HELD_OUT_DEFECTS = ("crack",)


@dataclass(frozen=True)
class Case:
    scan: Scan
    mask: np.ndarray  # H×W bool, all False for a normal image
    defect: str  # "" for normal


@dataclass(frozen=True)
class Task:
    name: str
    train: list[Scan]
    test: list[Case]
    # more normal images the detector never saw (drawn after the test set, so adding them
    # changes no other image), only to measure the false-reject rate at the threshold
    extra_normals: list[Scan] = field(default_factory=list)


def photo(name: str) -> np.ndarray:
    import skimage.data

    img = getattr(skimage.data, name)()
    return np.asarray(img, dtype=np.uint8)


def texture_task(
    name: str,
    defects: tuple[str, ...],
    *,
    crop: int = 128,
    train: int = 60,
    normals: int = 30,
    per_defect: int = 6,
    extra_normals: int = 0,
    seed: int = 0,
) -> Task:
    rng = np.random.default_rng(seed)
    img = photo(name)
    band = img.shape[0] // 4
    bands = [img[k * band : (k + 1) * band] for k in range(4)]
    top, bottom = [bands[0], bands[2]], [bands[1], bands[3]]
    donor = photo("gravel" if name != "gravel" else "brick")
    train_scans = [Scan(_crop(rng, top, crop)) for _ in range(train)]
    cases = [
        Case(Scan(c), np.zeros(c.shape[:2], bool), "")
        for c in (_crop(rng, bottom, crop) for _ in range(normals))
    ]
    for kind in defects:
        for _ in range(per_defect):
            clean = _crop(rng, bottom, crop).astype(np.float32) / 255
            out, mask = DEFECTS[kind](rng, clean, donor)
            pixels = np.clip(out * 255 + 0.5, 0, 255).astype(np.uint8)
            cases.append(Case(Scan(pixels), mask, kind))
    extra = [Scan(_crop(rng, bottom, crop)) for _ in range(extra_normals)]
    return Task(name, train_scans, cases, extra)


def twin_task(
    three_d: bool,
    *,
    train: int = 60,
    normals: int = 30,
    defects: int = 30,
    extra_normals: int = 0,
    seed: int = 0,
    size: int = 64,
) -> Task:
    rng = np.random.default_rng(seed)

    def scan(found: list[Defect]) -> Scan:
        image, height = surface_scan(rng, found, size)
        return Scan(image, height if three_d else None)

    train_scans = [scan([]) for _ in range(train)]
    cases = [Case(scan([]), np.zeros((size, size), bool), "") for _ in range(normals)]
    for _ in range(defects):
        d = place_defect(rng, size, "inspect", "M1")
        cases.append(Case(scan([d]), _twin_mask(d, size), d.kind))
    extra = [scan([]) for _ in range(extra_normals)]
    return Task("twin 3D" if three_d else "twin 2D", train_scans, cases, extra)


def _twin_mask(d: Defect, size: int) -> np.ndarray:
    # the twin's own mask is a box with a margin; keep the defect's footprint proper
    yy, xx = np.mgrid[:size, :size]
    near = np.hypot(yy - d.row, xx - d.col) <= d.size + 1
    return near & defect_mask(d, size)


def _crop(rng: np.random.Generator, bands: list[np.ndarray], side: int) -> np.ndarray:
    img = bands[int(rng.integers(len(bands)))]
    r = int(rng.integers(0, img.shape[0] - side + 1))
    c = int(rng.integers(0, img.shape[1] - side + 1))
    return np.ascontiguousarray(img[r : r + side, c : c + side])


# ---------------------------------------------------------------------------- defects
Img = np.ndarray


def _where(rng: np.random.Generator, side: int, margin: int) -> tuple[int, int]:
    r, c = rng.integers(margin, side - margin, 2)
    return int(r), int(c)


def _blend(img: Img, other: Img, alpha: np.ndarray) -> Img:
    a = alpha[..., None] if img.ndim == 3 else alpha
    return img * (1 - a) + other * a


def _scratch(rng: np.random.Generator, img: Img, donor: np.ndarray) -> tuple[Img, np.ndarray]:
    side = img.shape[0]
    r, c = _where(rng, side, side // 4)
    angle, length = rng.uniform(0, np.pi), rng.uniform(0.12, 0.3) * side
    yy, xx = np.mgrid[:side, :side]
    along = (xx - c) * np.cos(angle) + (yy - r) * np.sin(angle)
    across = -(xx - c) * np.sin(angle) + (yy - r) * np.cos(angle)
    line = np.exp(-(across**2) / 1.0) * (np.abs(along) <= length / 2)
    level = 1.0 if rng.random() < 0.5 else 0.0
    return _blend(img, np.full_like(img, level), 0.7 * line), line > 0.3


def _crack(rng: np.random.Generator, img: Img, donor: np.ndarray) -> tuple[Img, np.ndarray]:
    side = img.shape[0]
    mask = np.zeros((side, side), bool)
    tips = [np.array(_where(rng, side, side // 4), float)]
    for _ in range(int(rng.integers(2, 4))):
        p = tips[int(rng.integers(len(tips)))].copy()
        heading = rng.uniform(0, 2 * np.pi)
        for _ in range(int(rng.integers(side // 10, side // 5))):
            heading += rng.normal(0, 0.5)
            p = np.clip(p + np.array([np.sin(heading), np.cos(heading)]), 0, side - 1)
            mask[int(p[0]), int(p[1])] = True
        tips.append(p)
    dark = np.where(mask, 0.6, 0.0)
    return _blend(img, img * 0.25, dark), ndimage.binary_dilation(mask)


def _spot(rng: np.random.Generator, img: Img, donor: np.ndarray) -> tuple[Img, np.ndarray]:
    side = img.shape[0]
    r, c = _where(rng, side, 8)
    radius = rng.uniform(2.0, 4.5)
    yy, xx = np.mgrid[:side, :side]
    disc = np.clip(radius + 0.5 - np.hypot(yy - r, xx - c), 0, 1)
    level = rng.choice([0.05, 0.95])
    return _blend(img, np.full_like(img, level), 0.85 * disc), disc > 0.5


def _smudge(rng: np.random.Generator, img: Img, donor: np.ndarray) -> tuple[Img, np.ndarray]:
    side = img.shape[0]
    r, c = _where(rng, side, side // 6)
    sigma = rng.uniform(4, 9)
    yy, xx = np.mgrid[:side, :side]
    blob = np.exp(-((yy - r) ** 2 + (xx - c) ** 2) / (2 * sigma**2))
    out = _blend(img, ndimage.gaussian_filter(img, 2.0) * 0.7, 0.8 * blob)
    return out, blob > 0.3


def _foreign(rng: np.random.Generator, img: Img, donor: np.ndarray) -> tuple[Img, np.ndarray]:
    side = img.shape[0]
    w = int(rng.integers(8, 18))
    r, c = _where(rng, side, w)
    src = (
        donor
        if donor.ndim == img.ndim
        else (np.repeat(donor[..., None], 3, 2) if img.ndim == 3 else donor.mean(axis=2))
    )
    sr, sc = (int(v) for v in rng.integers(0, min(src.shape[:2]) - w, 2))
    patch = src[sr : sr + w, sc : sc + w].astype(np.float32) / 255
    patch = patch * img.std() / (patch.std() + 1e-6)
    patch = patch - patch.mean() + img.mean()
    out = img.copy()
    out[r - w // 2 : r - w // 2 + w, c - w // 2 : c - w // 2 + w] = patch
    mask = np.zeros(img.shape[:2], bool)
    mask[r - w // 2 : r - w // 2 + w, c - w // 2 : c - w // 2 + w] = True
    return out, mask


def _blur(rng: np.random.Generator, img: Img, donor: np.ndarray) -> tuple[Img, np.ndarray]:
    side = img.shape[0]
    r, c = _where(rng, side, side // 6)
    radius = rng.uniform(8, 14)
    yy, xx = np.mgrid[:side, :side]
    disc = np.clip(radius - np.hypot(yy - r, xx - c), 0, 1)
    sig = (2.5, 2.5, 0) if img.ndim == 3 else 2.5
    return _blend(img, ndimage.gaussian_filter(img, sig), disc), disc > 0.5


def _stain(rng: np.random.Generator, img: Img, donor: np.ndarray) -> tuple[Img, np.ndarray]:
    side = img.shape[0]
    r, c = _where(rng, side, side // 5)
    noise = ndimage.gaussian_filter(rng.normal(size=(side, side)), 3)
    yy, xx = np.mgrid[:side, :side]
    region = np.hypot(yy - r, xx - c) < rng.uniform(8, 15) + 8 * noise / noise.std()
    soft = ndimage.gaussian_filter(region.astype(float), 1.5)
    shift = rng.uniform(0.08, 0.14) * rng.choice([-1, 1])
    tone = img + (shift if img.ndim == 2 else shift * rng.uniform(0.3, 1, 3))
    return _blend(img, tone, soft), soft > 0.5


def _warp(rng: np.random.Generator, img: Img, donor: np.ndarray) -> tuple[Img, np.ndarray]:
    side = img.shape[0]
    r, c = _where(rng, side, side // 5)
    radius = rng.uniform(10, 18)
    yy, xx = np.mgrid[:side, :side].astype(float)
    dist = np.hypot(yy - r, xx - c)
    twist = rng.uniform(1.0, 2.0) * np.clip(1 - dist / radius, 0, 1) ** 2
    ang = np.arctan2(yy - r, xx - c) + twist
    sy, sx = r + dist * np.sin(ang), c + dist * np.cos(ang)
    chans = [img] if img.ndim == 2 else [img[..., k] for k in range(3)]
    warped = [ndimage.map_coordinates(ch, [sy, sx], order=1, mode="reflect") for ch in chans]
    out = warped[0] if img.ndim == 2 else np.stack(warped, 2)
    return out, (twist > 0.1) & (np.abs(out - img).reshape(side, side, -1).max(2) > 0.02)


DEFECTS: dict[str, Callable[..., tuple[Img, np.ndarray]]] = {
    "scratch": _scratch,
    "crack": _crack,
    "spot": _spot,
    "smudge": _smudge,
    "foreign": _foreign,
    "blur": _blur,
    "stain": _stain,
    "warp": _warp,
}
