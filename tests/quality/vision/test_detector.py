"""The detector learns normal from normal images alone and finds what departs from it."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from openfab.quality.vision import Inspection, Scan, Settings, VisionInspector
from tests.quality.vision.conftest import FAST, SIDE, Sample, weave


def brightness_baseline(train: list[Sample], test: list[Sample]) -> np.ndarray:
    """The trivial detector: how far a pixel's brightness is from the normal images' mean at
    that pixel (in normal spreads), at its worst."""
    stack = np.stack([s.scan.image.astype(float) for s in train])
    mean, std = stack.mean(0), stack.std(0) + 1e-6
    return np.array([np.abs((s.scan.image - mean) / std).max() for s in test])


def test_beats_the_trivial_baseline_by_a_margin(
    weaves: dict[str, list[Sample]], inspector: VisionInspector
) -> None:
    test = weaves["normal"] + weaves["defect"]
    labels = [0] * len(weaves["normal"]) + [1] * len(weaves["defect"])
    ours = roc_auc_score(labels, [r.score for r in inspector.score_many([s.scan for s in test])])
    trivial = roc_auc_score(labels, brightness_baseline(weaves["train"], test))
    assert ours >= 0.9
    assert ours >= trivial + 0.2


def test_heat_map_peaks_at_the_defect(
    weaves: dict[str, list[Sample]], inspector: VisionInspector
) -> None:
    hits = 0
    for sample in weaves["defect"]:
        result = inspector.score(sample.scan)
        assert result.heat_map.shape == sample.scan.image.shape
        row, col = np.unravel_index(np.argmax(result.heat_map), result.heat_map.shape)
        assert sample.box is not None
        r0, r1, c0, c1 = sample.box
        hits += r0 - 6 <= row < r1 + 6 and c0 - 6 <= col < c1 + 6
    assert hits >= 0.8 * len(weaves["defect"])


def test_threshold_meets_the_false_reject_rate_on_held_out_normals(
    weaves: dict[str, list[Sample]],
) -> None:
    """Calibrated for 20 % false rejects, about a fifth of new normal weaves are rejected
    (60 of them: 12 expected; the band is wide enough for the binomial spread)."""
    inspector = VisionInspector.fit(
        [s.scan for s in weaves["train"]], Settings(**{**FAST.__dict__, "false_reject_rate": 0.2})
    )
    rng = np.random.default_rng(99)
    fresh = inspector.score_many([weave(rng).scan for _ in range(60)])
    rejected = sum(r.verdict == "defect" for r in fresh) / len(fresh)
    assert 0.04 <= rejected <= 0.4
    assert inspector.calibration.samples >= 2


def test_verdict_follows_the_threshold(inspector: VisionInspector) -> None:
    rng = np.random.default_rng(3)
    result = inspector.score(weave(rng).scan)
    assert isinstance(result, Inspection)
    assert result.verdict == ("defect" if result.score > inspector.threshold else "ok")
    strict = inspector.with_threshold(result.score - 1e-3)
    assert strict.score(weave(np.random.default_rng(3)).scan).verdict == "defect"


def test_colour_and_odd_sizes_score_with_a_map_of_their_own_size(
    inspector: VisionInspector,
) -> None:
    rng = np.random.default_rng(4)
    grey = weave(rng).scan.image
    colour = np.repeat(grey[:50, :, None], 3, axis=2)  # 64 wide, 50 high, RGB
    result = inspector.score(Scan(colour))
    assert result.heat_map.shape == (50, SIDE)
    assert np.isfinite(result.score)


def test_a_few_images_are_enough_with_the_bank_alone() -> None:
    """Below ten normal images there is no head; the bank is calibrated leave-one-out."""
    rng = np.random.default_rng(5)
    few = VisionInspector.fit([weave(rng).scan for _ in range(4)], FAST)
    assert few.scorers == ("bank",)
    assert few.calibration.samples == 4
