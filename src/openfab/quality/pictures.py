"""Scans as the shop floor sends them (PNG/JPEG bytes) to arrays and back, and heat maps as
pictures a person reads: the unit's image with the anomaly laid over it."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, UnidentifiedImageError

from openfab.errors import InvalidInput, Problem
from openfab.quality.vision.types import Scan

MAX_SIDE = 1024
HEIGHT_COUNTS = 65535


def decode_scan(
    image: bytes | None, height: bytes | None, um_per_count: float, offset_um: float
) -> Scan:
    """The scan in ``image`` (8-bit grey or colour) and ``height`` (16-bit grey counts)."""
    problems: list[Problem] = []
    pixels = _decode(image, "image", problems)
    relief = _decode(height, "height", problems) if height is not None else None
    if pixels is not None and pixels.mode not in ("L", "RGB"):
        pixels = pixels.convert("RGB") if pixels.mode in ("RGBA", "P", "CMYK", "LA") else pixels
        if pixels.mode not in ("L", "RGB"):
            problems.append(Problem("image", f"{pixels.mode} pixels; send 8-bit grey or RGB"))
    if relief is not None and relief.mode not in ("I;16", "I", "L"):
        problems.append(Problem("height", f"{relief.mode} pixels; send a 16-bit grey PNG"))
    if problems or pixels is None:
        raise InvalidInput("unreadable scan", problems)
    array = np.array(pixels, dtype=np.uint8)
    heights = None
    if relief is not None:
        heights = np.asarray(relief, dtype=np.float64) * um_per_count + offset_um
    return Scan(array, heights.astype(np.float32) if heights is not None else None)


def _decode(data: bytes | None, loc: str, problems: list[Problem]) -> Image.Image | None:
    if not data:
        problems.append(Problem(loc, "empty (the picture was not kept or never sent)"))
        return None
    try:
        picture = Image.open(io.BytesIO(data))
        picture.load()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        problems.append(Problem(loc, f"not a readable PNG or JPEG ({exc})"[:200]))
        return None
    if max(picture.size) > MAX_SIDE:
        problems.append(Problem(loc, f"{picture.width}×{picture.height} px; at most {MAX_SIDE}"))
        return None
    return picture


def encode_scan(
    image: np.ndarray, height_um: np.ndarray | None
) -> tuple[bytes, bytes | None, float, float]:
    """A camera's side: the image as PNG and the height map as 16-bit PNG counts with their
    scale and offset (µm per count, µm at count 0)."""
    picture = _png(Image.fromarray(np.asarray(image, dtype=np.uint8)))
    if height_um is None:
        return picture, None, 0.01, 0.0
    low, high = float(np.min(height_um)), float(np.max(height_um))
    scale = max((high - low) / HEIGHT_COUNTS, 1e-6)
    counts = np.round((np.asarray(height_um, dtype=np.float64) - low) / scale)
    relief = Image.fromarray(counts.clip(0, HEIGHT_COUNTS).astype(np.uint16))
    return picture, _png(relief), scale, low


def heat_map_png(image: np.ndarray, heat: np.ndarray, threshold: float) -> bytes:
    """The unit's image in grey with the heat map over it: transparent where the score is
    low, red to yellow from half the threshold up (yellow at twice the threshold)."""
    grey = image if image.ndim == 2 else image.mean(axis=2)
    base = np.repeat(np.asarray(grey, dtype=np.float64)[..., None], 3, axis=2)
    level = np.clip((heat / max(threshold, 1e-9) - 0.5) / 1.5, 0.0, 1.0)[..., None]
    colour = np.concatenate([np.ones_like(level), level, np.zeros_like(level)], axis=2) * 255
    alpha = np.where(level > 0, 0.35 + 0.5 * level, 0.0)
    blended = base * (1 - alpha) + colour * alpha
    return _png(Image.fromarray(blended.clip(0, 255).astype(np.uint8)))


def _png(picture: Image.Image) -> bytes:
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=False)
    return out.getvalue()
