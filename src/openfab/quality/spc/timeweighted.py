"""Time-weighted charts for small sustained shifts: EWMA and the tabular CUSUM.

Both watch individual values (pass subgroup means with a ``Standard`` whose sigma is that of
the means). Mean and sigma come from the baseline (sigma = MR-bar / d2(2), robust to a shift
later in the series) or from a ``Standard``. Their statistics are autocorrelated, so only the
limits are checked; zone and run rules would fire falsely.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from openfab.errors import ProblemCollector
from openfab.quality.spc import constants as consts
from openfab.quality.spc.charting import baseline_note, make_chart, phases
from openfab.quality.spc.checks import (
    check_baseline,
    check_count,
    check_not_constant,
    finite_values,
    raise_if_any,
)
from openfab.quality.spc.model import CusumChart, EwmaChart, Standard, Violation

MIN_INDIVIDUALS = 10


def _estimate(
    values: Sequence[float],
    baseline: int | None,
    standard: Standard | None,
    min_baseline: int,
    pc: ProblemCollector,
    what: str,
) -> tuple[NDArray[np.float64], int, float, float]:
    x = finite_values(values, "values", pc)
    b = check_baseline(len(x), baseline, standard, pc)
    if standard is None:
        check_count(b, max(2, min_baseline), "baseline", "baseline values", pc)
        check_not_constant(x[:b], "baseline", pc)
    else:
        check_count(len(x), 1, "values", "values", pc)
    raise_if_any(pc, what)
    if standard is not None:
        return x, b, standard.mean, standard.sigma
    mr_bar = float(np.mean(np.abs(np.diff(x[:b]))))
    return x, b, float(np.mean(x[:b])), mr_bar / consts.d2(2)


def ewma(
    values: Sequence[float],
    *,
    lam: float = 0.2,
    width: float = 3.0,
    baseline: int | None = None,
    standard: Standard | None = None,
    min_baseline: int = MIN_INDIVIDUALS,
) -> EwmaChart:
    """EWMA z_i = lam·x_i + (1-lam)·z_(i-1), z_0 = mean; limits mean ± width·sigma·
    sqrt(lam/(2-lam)·(1-(1-lam)^(2i))), exact per point (no steady-state shortcut)."""
    pc = ProblemCollector()
    if not (0.0 < lam <= 1.0):
        pc.add("lam", f"{lam} must be in (0, 1]", "range")
    if not (width > 0.0 and math.isfinite(width)):
        pc.add("width", f"{width} must be a positive number (L, in sigmas)", "range")
    x, b, mean, sigma = _estimate(values, baseline, standard, min_baseline, pc, "EWMA chart")
    z = np.empty_like(x)
    prev = mean
    for i, v in enumerate(x):
        prev = lam * v + (1.0 - lam) * prev
        z[i] = prev
    steps = np.arange(1, len(x) + 1)
    half = width * sigma * np.sqrt(lam / (2.0 - lam) * (1.0 - (1.0 - lam) ** (2 * steps)))
    chart = make_chart(
        "EWMA",
        z,
        mean,
        mean - half,
        mean + half,
        phase=phases(len(x), b),
        sigma=sigma,
        codes=(),
        zones=False,
    )
    found = _ewma_violations(z, mean, half)
    notes = baseline_note(b, "individual values") if standard is None else ()
    return EwmaChart(replace(chart, violations=found), mean, sigma, lam, width, notes)


def _excursions(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """[start, end) of each run of consecutive True values."""
    out: list[tuple[int, int]] = []
    i, n = 0, len(mask)
    while i < n:
        if mask[i]:
            j = i
            while j < n and mask[j]:
                j += 1
            out.append((i, j))
            i = j
        else:
            i += 1
    return out


def _ewma_violations(
    z: NDArray[np.float64], mean: float, half: NDArray[np.float64]
) -> tuple[Violation, ...]:
    """One violation per excursion beyond a limit, on each side."""
    found: list[Violation] = []
    for side, mask in (("above", z > mean + half), ("below", z < mean - half)):
        for i, j in _excursions(mask):
            limit = mean + half[i] if side == "above" else mean - half[i]
            found.append(
                Violation(
                    "ewma",
                    "EWMA limit",
                    tuple(range(i, j)),
                    i,
                    f"EWMA: point {i} ({z[i]:.4g}) is {side} its limit {limit:.4g}"
                    f"{f' and stays out to point {j - 1}' if j - 1 > i else ''}; the mean has "
                    f"likely moved toward {z[j - 1]:.4g} (target {mean:.4g})",
                )
            )
    return tuple(sorted(found, key=lambda v: v.at))


def _cusum_violations(
    c: NDArray[np.float64],
    runs: NDArray[np.int64],
    limit: float,
    mean: float,
    slack: float,
    upper: bool,
) -> tuple[Violation, ...]:
    """One violation per excursion above H; it estimates where the mean has moved."""
    out: list[Violation] = []
    for i, j in _excursions(c > limit):
        shift = slack + c[i] / max(int(runs[i]), 1)
        new_mean = mean + shift if upper else mean - shift
        side, code = ("upper", "cusum-upper") if upper else ("lower", "cusum-lower")
        start = i - int(runs[i]) + 1
        out.append(
            Violation(
                code,
                f"CUSUM {side}",
                tuple(range(i, j)),
                i,
                f"CUSUM {side}: exceeded H = {limit:.4g} at point {i} (sum {c[i]:.4g}, rising "
                f"since point {start}); the mean has likely moved to about {new_mean:.4g} "
                f"(target {mean:.4g})",
            )
        )
        i = j
    return tuple(out)


def cusum(
    values: Sequence[float],
    *,
    k: float = 0.5,
    h: float = 5.0,
    baseline: int | None = None,
    standard: Standard | None = None,
    min_baseline: int = MIN_INDIVIDUALS,
) -> CusumChart:
    """Tabular CUSUM with reference value K = k·sigma and decision interval H = h·sigma:
    C+_i = max(0, x_i - (mean + K) + C+_(i-1)), C-_i = max(0, (mean - K) - x_i + C-_(i-1))."""
    pc = ProblemCollector()
    if not (k >= 0.0 and math.isfinite(k)):
        pc.add("k", f"{k} must be a number >= 0 (in sigmas; 0.5 detects a 1-sigma shift)", "range")
    if not (h > 0.0 and math.isfinite(h)):
        pc.add("h", f"{h} must be a positive number (in sigmas; 4 or 5 are usual)", "range")
    x, b, mean, sigma = _estimate(values, baseline, standard, min_baseline, pc, "CUSUM chart")
    slack, limit = k * sigma, h * sigma
    hi, lo = np.empty_like(x), np.empty_like(x)
    n_hi, n_lo = np.zeros(len(x), dtype=np.int64), np.zeros(len(x), dtype=np.int64)
    ch = cl = 0.0
    rh = rl = 0
    for i, v in enumerate(x):
        ch = max(0.0, v - mean - slack + ch)
        cl = max(0.0, mean - slack - v + cl)
        rh = rh + 1 if ch > 0 else 0
        rl = rl + 1 if cl > 0 else 0
        hi[i], lo[i], n_hi[i], n_lo[i] = ch, cl, rh, rl
    phase = phases(len(x), b)
    up = make_chart(
        "CUSUM upper", hi, 0.0, 0.0, limit, phase=phase, sigma=sigma, codes=(), zones=False
    )
    down = make_chart(
        "CUSUM lower", -lo, 0.0, -limit, 0.0, phase=phase, sigma=sigma, codes=(), zones=False
    )
    notes = baseline_note(b, "individual values") if standard is None else ()
    return CusumChart(
        replace(up, violations=_cusum_violations(hi, n_hi, limit, mean, slack, True)),
        replace(down, violations=_cusum_violations(lo, n_lo, limit, mean, slack, False)),
        mean,
        sigma,
        k,
        h,
        notes,
    )
