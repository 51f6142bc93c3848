"""The threshold for a target false-reject rate from held-out normal scores: an image's score
is the maximum of its anomaly map, so a skewed (Gumbel) tail, not a normal one."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openfab.errors import InvalidInput
from openfab.quality.vision.calibration import TAIL_FIT, calibrate


@pytest.mark.parametrize("seed", range(5))
def test_on_gumbel_scores_the_rate_holds_where_the_normal_bound_rejects_too_many(
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    held = rng.gumbel(0.0, 1.0, 48)
    unseen = rng.gumbel(0.0, 1.0, 200_000)
    fitted = calibrate(held, 0.01)
    assert fitted.method == "gumbel quantile"
    assert np.mean(unseen > fitted.threshold) < 0.03  # 1 % target, 48 samples to fit from
    few = calibrate(held[: TAIL_FIT - 1], 0.01)
    assert few.method == "normal prediction bound"


def test_the_tail_fit_is_on_target_on_average() -> None:
    rng = np.random.default_rng(11)
    rates = []
    for _ in range(200):
        threshold = calibrate(rng.gumbel(5.0, 0.5, 48), 0.01).threshold
        rates.append(float(np.exp(-np.exp(-(threshold - 5.0) / 0.5))))  # Gumbel CDF
    assert 0.005 < 1 - np.mean(rates) < 0.02


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=120), st.floats(0.001, 0.05))
def test_any_scores_give_a_finite_threshold_and_a_bound_above_the_median(
    scores: list[float], rate: float
) -> None:
    calibration = calibrate(np.array(scores), rate)
    assert np.isfinite(calibration.threshold)
    if calibration.method != "gumbel quantile":  # |mean - median| <= s: t(0.95) spreads clear it
        assert calibration.threshold >= float(np.median(scores)) - 1e-6


def test_too_few_scores_or_a_bad_rate_are_refused_naming_both() -> None:
    with pytest.raises(InvalidInput) as refused:
        calibrate(np.array([1.0]), 0.7)
    assert {p.loc for p in refused.value.problems} == {"scores", "false_reject_rate"}
