"""Reading inspection images from files: PNG or JPEG, grey or colour, 64 to 1024 px a side.

Every refusal names the file and the reason. Modes that convert without guessing are
converted (a palette to RGB, a fully opaque alpha channel dropped); modes that would need a
guess are refused: 16-bit or float pixels (which bits carry the signal?), CMYK (print
separations, no faithful RGB without a colour profile), 1-bit (no grey levels).

A 3D camera's height map travels next to its image as ``<image stem>.height.npy`` (a float
array of the image's size, read without pickle); its presence makes the scan 3D.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from openfab.errors import InvalidInput, Problem

SUFFIXES = (".png", ".jpg", ".jpeg")
HEIGHT_SUFFIX = ".height.npy"
FORMATS = ("PNG", "JPEG")
MIN_SIDE, MAX_SIDE = 64, 1024
_REFUSED = {
    "I;16": "16-bit grey pixels (which bits carry the signal is a guess; save as 8-bit)",
    "I;16B": "16-bit grey pixels (save as 8-bit)",
    "I;16L": "16-bit grey pixels (save as 8-bit)",
    "I": "32-bit integer pixels (save as 8-bit)",
    "F": "floating-point pixels (save as 8-bit)",
    "CMYK": "CMYK colour (print separations; save as RGB)",
    "1": "1-bit black-and-white pixels (no grey levels to inspect)",
}


def load_image(path: Path) -> np.ndarray:
    """The pixels of one image file: ``uint8`` H×W (grey) or H×W×3 (colour)."""
    problem = _problem_reading(path)
    if isinstance(problem, str):
        raise InvalidInput(f"cannot read image {path}", [Problem(str(path), problem)])
    return problem


def height_file(image: Path) -> Path:
    """Where the height map of ``image`` would be."""
    return image.with_name(image.stem + HEIGHT_SUFFIX)


def load_height(image: Path, shape: tuple[int, int]) -> np.ndarray | None:
    """The height map stored next to ``image`` (None when there is none)."""
    path = height_file(image)
    if not path.exists():
        return None
    try:
        height = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise _bad_height(path, f"not a NumPy array file ({str(exc).splitlines()[0]})") from None
    if height.ndim != 2 or height.shape != shape:
        raise _bad_height(path, f"shape {height.shape}, the image is {shape}")
    if not np.issubdtype(height.dtype, np.number) or not np.all(np.isfinite(height)):
        raise _bad_height(path, "not all finite numbers")
    out: np.ndarray = height.astype(np.float32)
    return out


def _bad_height(path: Path, reason: str) -> InvalidInput:
    return InvalidInput(f"cannot read height map {path}", [Problem(str(path), reason)])


def image_files(folder: Path) -> list[Path]:
    """Every PNG/JPEG file under ``folder`` (recursively), in a stable order."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)


def read_folder(folder: Path) -> tuple[list[tuple[Path, np.ndarray]], list[Problem]]:
    """``(images, problems)``: the readable images under ``folder`` and one problem per file
    that is not (so one bad file does not stop the rest)."""
    _check_folder(folder)
    images, problems = [], []
    for path, result in _each(folder):
        if isinstance(result, str):
            problems.append(Problem(str(path), result))
        else:
            images.append((path, result))
    return images, problems


def read_training_folder(folder: Path) -> list[tuple[Path, np.ndarray]]:
    """The normal images to learn from; refuses a folder with no image or with a bad one
    (a model trained on a silently skipped file set is not the one the user asked for)."""
    images, problems = read_folder(folder)
    if problems:
        raise InvalidInput(f"unreadable images in training folder {folder}", problems)
    if not images:
        raise InvalidInput(
            f"no PNG or JPEG image in training folder {folder}",
            [Problem(str(folder), "empty: put the normal images to learn from here")],
        )
    return images


def _check_folder(folder: Path) -> None:
    if not folder.exists():
        raise InvalidInput(f"no folder {folder}", [Problem(str(folder), "does not exist")])
    if not folder.is_dir():
        raise InvalidInput(f"{folder} is not a folder", [Problem(str(folder), "not a folder")])


def _each(folder: Path) -> Iterator[tuple[Path, np.ndarray | str]]:
    for path in image_files(folder):
        yield path, _problem_reading(path)


def _problem_reading(path: Path) -> np.ndarray | str:
    """The pixels, or why there are none."""
    try:
        if path.stat().st_size == 0:
            return "empty file (0 bytes)"
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                reason = _header_problem(img)
                if reason:
                    return reason
                img.load()
                return _pixels(img)
    except FileNotFoundError:
        return "no such file"
    except IsADirectoryError:
        return "a folder, not an image file"
    except UnidentifiedImageError:
        return "not a PNG or JPEG image (corrupt or another format)"
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return "too many pixels (decompression bomb guard)"
    except (OSError, SyntaxError, ValueError) as exc:
        text = str(exc)
        if "truncated" in text or "broken data stream" in text:
            return "truncated file (the image data ends early)"
        return f"corrupt image data ({text})"


def _header_problem(img: Image.Image) -> str | None:
    if img.format not in FORMATS:
        return f"{img.format} image; only PNG and JPEG are read"
    if img.mode in _REFUSED:
        return _REFUSED[img.mode]
    width, height = img.size
    if min(width, height) < MIN_SIDE:
        return f"{width}×{height} px is too small (each side at least {MIN_SIDE} px)"
    if max(width, height) > MAX_SIDE:
        return f"{width}×{height} px is too large (each side at most {MAX_SIDE} px)"
    return None


def _pixels(img: Image.Image) -> np.ndarray | str:
    mode = img.mode
    if mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        mode = img.mode
    if mode in ("LA", "RGBA", "PA"):
        alpha = np.asarray(img.getchannel("A"))
        if alpha.min() < 255:
            return "transparent pixels (an alpha channel that is not fully opaque)"
        img = img.convert("L" if mode == "LA" else "RGB")
    elif mode not in ("L", "RGB"):
        try:
            img = img.convert("RGB")
        except ValueError:
            return f"unsupported pixel mode {mode}"
    pixels = np.asarray(img, dtype=np.uint8)
    if pixels.ndim == 3 and _is_grey(pixels):
        pixels = pixels[..., 0]
    return np.ascontiguousarray(pixels)


def _is_grey(pixels: np.ndarray) -> bool:
    return bool(
        np.array_equal(pixels[..., 0], pixels[..., 1])
        and np.array_equal(pixels[..., 1], pixels[..., 2])
    )
