"""Reading inspection images: what is read, what is converted, and every refusal's reason."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from openfab.errors import InvalidInput
from openfab.quality.images import load_image, read_folder, read_training_folder


def _save(path: Path, img: Image.Image, fmt: str = "PNG") -> Path:
    img.save(path, fmt)
    return path


def _noise(size: tuple[int, int] = (80, 96), mode: str = "L") -> Image.Image:
    rng = np.random.default_rng(0)
    shape = (size[1], size[0]) + ((3,) if mode == "RGB" else ())
    return Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode)


@given(
    width=st.integers(64, 300),
    height=st.integers(64, 300),
    colour=st.booleans(),
    fmt=st.sampled_from(["PNG", "JPEG"]),
)
@settings(max_examples=15, deadline=None)
def test_reads_grey_and_colour_png_and_jpeg_of_any_allowed_size(
    tmp_path_factory: pytest.TempPathFactory, width: int, height: int, colour: bool, fmt: str
) -> None:
    path = tmp_path_factory.mktemp("img") / f"x.{fmt.lower()}"
    _save(path, _noise((width, height), "RGB" if colour else "L"), fmt)
    pixels = load_image(path)
    assert pixels.dtype == np.uint8
    assert pixels.shape[:2] == (height, width)
    assert pixels.ndim == (3 if colour else 2)


def test_palette_and_opaque_alpha_are_converted(tmp_path: Path) -> None:
    palette = _save(tmp_path / "p.png", _noise(mode="RGB").convert("P"))
    assert load_image(palette).ndim == 3
    rgba = _noise(mode="RGB").convert("RGBA")
    assert load_image(_save(tmp_path / "a.png", rgba)).shape[2] == 3
    grey_rgb = _noise().convert("RGB")  # three equal channels: read as grey
    assert load_image(_save(tmp_path / "g.png", grey_rgb)).ndim == 2


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _truncated(path: Path) -> Path:
    data = io.BytesIO()
    _noise().save(data, "PNG")
    path.write_bytes(data.getvalue()[: len(data.getvalue()) // 2])
    return path


def _sixteen_bit(path: Path) -> Path:
    Image.fromarray(np.full((80, 80), 4000, np.uint16)).save(path)
    return path


def _cmyk(path: Path) -> Path:
    _noise(mode="RGB").convert("CMYK").save(path, "JPEG")
    return path


def _transparent(path: Path) -> Path:
    img = _noise(mode="RGB").convert("RGBA")
    img.putalpha(128)
    img.save(path)
    return path


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        # zero bytes
        ("empty.png", lambda p: _write(p, b""), "empty file"),
        # random bytes with an image's name
        ("corrupt.png", lambda p: _write(p, b"\x89PNG not really" * 20), "corrupt"),
        ("text.jpg", lambda p: _write(p, b"hello"), "not a PNG or JPEG"),
        # the second half of the file missing
        ("cut.png", _truncated, "truncated"),
        # modes that would need a guess
        ("deep.png", _sixteen_bit, "16-bit"),
        ("print.jpg", _cmyk, "CMYK"),
        ("ghost.png", _transparent, "transparent"),
        ("bw.png", lambda p: _save(p, _noise().convert("1")), "1-bit"),
        # sizes out of range
        ("tiny.png", lambda p: _save(p, _noise((63, 100))), "too small"),
        ("huge.png", lambda p: _save(p, _noise((1025, 64))), "too large"),
        # not PNG or JPEG
        ("old.gif", lambda p: _save(p, _noise(), "GIF"), "GIF"),
    ],
)
def test_bad_images_are_refused_naming_the_file_and_the_reason(
    tmp_path: Path, name: str, make: object, reason: str
) -> None:
    path = make(tmp_path / name)  # type: ignore[operator]
    with pytest.raises(InvalidInput) as caught:
        load_image(path)
    assert str(path) in str(caught.value)
    assert reason in str(caught.value)


def test_one_bad_file_in_a_folder_is_reported_and_the_rest_read(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    _save(tmp_path / "a.png", _noise())
    _save(tmp_path / "sub" / "b.jpg", _noise(mode="RGB"), "JPEG")
    (tmp_path / "sub" / "c.png").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not an image, not looked at")
    images, problems = read_folder(tmp_path)
    assert [p.name for p, _ in images] == ["a.png", "b.jpg"]
    assert [p.loc for p in problems] == [str(tmp_path / "sub" / "c.png")]


def test_a_training_folder_without_images_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("no images here")
    with pytest.raises(InvalidInput, match="no PNG or JPEG image") as caught:
        read_training_folder(tmp_path)
    assert str(tmp_path) in str(caught.value)
    with pytest.raises(InvalidInput, match="does not exist"):
        read_training_folder(tmp_path / "missing")


def test_a_training_folder_with_a_bad_image_names_every_bad_one(tmp_path: Path) -> None:
    _save(tmp_path / "good.png", _noise())
    (tmp_path / "empty.png").write_bytes(b"")
    _truncated(tmp_path / "cut.png")
    with pytest.raises(InvalidInput) as caught:
        read_training_folder(tmp_path)
    text = str(caught.value)
    assert "empty.png: empty file" in text and "cut.png: truncated" in text
