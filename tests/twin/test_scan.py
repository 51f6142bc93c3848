"""Surface scans: defects show in the height map and the image exactly where flagged."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage  # type: ignore[import-untyped]

from openfab.twin import ListSink, PlantLayout, Twin, UnitProduced
from openfab.twin.scan import DEFECT_KINDS, defect_mask, place_defect, surface_scan
from tests.twin.conftest import chain_plan, quiet

SIZE = 64


def residual(height: np.ndarray) -> np.ndarray:
    """Height minus its smooth waviness: what a defect adds."""
    smooth: np.ndarray = ndimage.uniform_filter(height, 15, mode="nearest")
    out: np.ndarray = np.abs(height - smooth)
    return out


@pytest.mark.parametrize("kind", DEFECT_KINDS)
def test_each_defect_kind_shows_in_both_arrays(kind: str) -> None:
    rng = np.random.default_rng(7)
    defect = place_defect(rng, SIZE, "op", "m")
    defect = type(defect)(kind, 30, 30, 7.0, 8.0, "op", "m")
    image, height = surface_scan(np.random.default_rng(1), [defect], SIZE)
    clean_image, clean_height = surface_scan(np.random.default_rng(1), [], SIZE)
    assert image.shape == height.shape == (SIZE, SIZE)
    assert image.dtype == np.uint8 and height.dtype == np.float32
    mask = defect_mask(defect, SIZE)
    changed = np.abs(height - clean_height) > 1.0
    assert changed.any() and not (changed & ~mask).any()  # only inside the defect's box
    shaded = np.abs(image.astype(int) - clean_image.astype(int)) > 8
    assert (shaded & mask).sum() >= 3


def test_units_scans_match_their_defect_flags(small_layout: PlantLayout) -> None:
    sink = ListSink()
    cfg = quiet(drift_scale=8.0)
    Twin(small_layout, seed=2, config=cfg, sink=sink).run(chain_plan(40, quantity=3), 5000)
    units = sink.of(UnitProduced)
    flagged = [u for u in units if u.defects]
    clean = [u for u in units if not u.defects]
    assert flagged and clean
    for unit in flagged:
        assert unit.disposition == "scrap"
        for d in unit.defects:
            assert residual(unit.scan_height)[defect_mask(d, SIZE)].max() > 2.0
    for unit in clean:
        assert unit.disposition == "good"
        assert residual(unit.scan_height).max() < 2.0
        assert unit.measurements["surface_roughness_um"] < 1.5
