"""Input checks shared by the charts: every problem is collected, then raised at once."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from openfab.errors import ProblemCollector
from openfab.quality.spc.constants import MAX_SUBGROUP, MIN_SUBGROUP
from openfab.quality.spc.model import SpcInputError, Standard

MAX_LISTED = 10
"""Bad values named one by one before the rest are counted."""


def finite_values(values: Sequence[float], loc: str, pc: ProblemCollector) -> NDArray[np.float64]:
    """The values as floats; each NaN, infinity or non-number is a problem (the first few named)."""
    out = np.full(len(values), np.nan)
    bad: list[int] = []
    for i, v in enumerate(values):
        try:
            f = float(v)
        except (TypeError, ValueError):
            f = math.nan
        if math.isfinite(f):
            out[i] = f
        else:
            bad.append(i)
    for i in bad[:MAX_LISTED]:
        pc.add(f"{loc}[{i}]", f"{values[i]!r} is not a finite number", "not_finite")
    if len(bad) > MAX_LISTED:
        pc.add(loc, f"{len(bad) - MAX_LISTED} more values are not finite numbers", "not_finite")
    return out


def check_count(n: int, minimum: int, loc: str, what: str, pc: ProblemCollector) -> None:
    if n < minimum:
        pc.add(loc, f"{n} {what}; at least {minimum} are needed", "too_few")


def check_baseline(
    total: int, baseline: int | None, standard: Standard | None, pc: ProblemCollector
) -> int:
    """How many leading points form phase I (all when neither a baseline nor a standard)."""
    if standard is not None:
        if baseline is not None:
            pc.add("baseline", "give a baseline or a standard, not both", "conflict")
        if not (math.isfinite(standard.mean) and math.isfinite(standard.sigma)):
            pc.add("standard", "mean and sigma must be finite numbers", "not_finite")
        elif standard.sigma <= 0:
            pc.add("standard.sigma", f"{standard.sigma} must be positive", "not_positive")
        return 0
    if baseline is None:
        return total
    if baseline < 0 or baseline > total:
        pc.add("baseline", f"{baseline} is outside 0..{total} (the number of points)", "range")
        return total
    return baseline


def check_not_constant(values: NDArray[np.float64], loc: str, pc: ProblemCollector) -> None:
    finite = values[np.isfinite(values)]
    if finite.size >= 2 and float(np.ptp(finite)) == 0.0:
        pc.add(
            loc,
            f"all {finite.size} values equal {finite[0]:g}: no variation to set limits from "
            "(check the gauge resolution, or give a standard)",
            "constant",
        )


def subgroup_matrix(
    subgroups: Sequence[Sequence[float]], pc: ProblemCollector
) -> NDArray[np.float64]:
    """Equal-size subgroups as a (k, n) matrix; each short, long or bad subgroup is named."""
    sizes = [len(g) for g in subgroups]
    if not sizes:
        pc.add("subgroups", "no subgroups given", "too_few")
        return np.empty((0, 0))
    n = Counter(sizes).most_common(1)[0][0]
    for i, s in enumerate(sizes):
        if s != n:
            pc.add(
                f"subgroups[{i}]",
                f"{s} values; the others have {n} (sizes must be equal)",
                "unequal_size",
            )
    if not MIN_SUBGROUP <= n <= MAX_SUBGROUP:
        pc.add("subgroups", f"subgroup size {n} outside {MIN_SUBGROUP}..{MAX_SUBGROUP}", "range")
    matrix = np.full((len(subgroups), n), np.nan)
    for i, g in enumerate(subgroups):
        if len(g) == n:
            matrix[i] = finite_values(g, f"subgroups[{i}]", pc)
    return matrix


def raise_if_any(pc: ProblemCollector, what: str) -> None:
    pc.raise_if_any(f"cannot compute {what}", SpcInputError)


def baseline_kept(exclude: Sequence[int], baseline: int, pc: ProblemCollector) -> NDArray[np.bool_]:
    """Which baseline points estimate the limits: all but those an engineer excluded after
    finding their special cause (they stay on the chart, flagged as before)."""
    kept = np.ones(baseline, dtype=bool)
    for i in exclude:
        if not 0 <= i < baseline:
            pc.add("exclude", f"{i} is not a baseline point (0..{baseline - 1})", "range")
        else:
            kept[i] = False
    return kept
