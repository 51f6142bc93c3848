"""Suspects to test: every level of a categorical factor, and for a numeric factor the range
(low tail, high tail, or both tails) where the outcome is worst.

A numeric factor's best range is searched over a fixed grid of quantile cuts, and its p-value
is multiplied by the number of ranges tried (Bonferroni), so searching cannot manufacture a
cause out of noise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from openfab.quality.rca.columns import Column
from openfab.quality.rca.model import Factor, Suspect

Mask = NDArray[np.bool_]
Tester = Callable[[NDArray[np.bool_], Mask], NDArray[np.float64]]
"""(masks, within) -> p-value per mask row."""

CUTS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
LOW_TAILS = (0.05, 0.1, 0.2)
HIGH_TAILS = (0.8, 0.9, 0.95)


@dataclass(frozen=True)
class Candidate:
    suspect: Suspect
    mask: Mask
    """Units exposed to the suspect (False where the factor is unknown)."""
    known: Mask
    """Units whose factor value is known: the population the test compares within."""
    p_value: float
    cuts: int = 1


def fmt(v: float) -> str:
    return f"{v:.4g}"


def _with_unit(f: Factor, v: float) -> str:
    return f"{fmt(v)} {f.unit}" if f.unit else fmt(v)


def level_phrase(f: Factor, level: str) -> str:
    return f.phrase.format(level=level) if f.phrase else f"with {f.title} {level}"


def categorical(
    col: Column, test: Tester, min_units: int, max_levels: int
) -> tuple[list[Candidate], str | None]:
    """One candidate per level with enough units on both sides; or why the factor is skipped."""
    assert col.codes is not None
    f, codes = col.factor, col.codes
    known = codes >= 0
    if len(col.levels) < 2:
        return [], f"{f.name}: only one level"
    if len(col.levels) > max_levels:
        return [], f"{f.name}: {len(col.levels)} levels, too many to compare (an identifier?)"
    masks, kept = [], []
    n_known = int(known.sum())
    for i, level in enumerate(col.levels):
        m = codes == i
        n = int(m.sum())
        if n >= min_units and n_known - n >= min_units:
            masks.append(m)
            kept.append(level)
    if not masks:
        return [], f"{f.name}: no level has {min_units} units on each side"
    p = test(np.array(masks), known)
    return [
        Candidate(Suspect(f.name, "categorical", f"{f.title} {lv}", level=lv), m, known, float(pi))
        for lv, m, pi in zip(kept, masks, p, strict=True)
    ], None


def _ranges(
    x: NDArray[np.float64], known: Mask, min_units: int, two_sided_test: bool
) -> list[tuple[Mask, float | None, float | None]]:
    """(mask, low, high): ``value <= low`` or ``value > high``; duplicates dropped."""
    v = x[known]
    with np.errstate(invalid="ignore"):
        cuts = np.unique(np.quantile(v, CUTS))
        out: list[tuple[Mask, float | None, float | None]] = []
        for t in cuts:
            out.append((known & (x > t), None, float(t)))
            if not two_sided_test:  # a one-sided test needs the low tail asked separately
                out.append((known & (x <= t), float(t), None))
        for lo_q in LOW_TAILS:
            for hi_q in HIGH_TAILS:
                lo, hi = np.quantile(v, [lo_q, hi_q])
                if lo < hi:
                    out.append((known & ((x <= lo) | (x > hi)), float(lo), float(hi)))
    n_known = int(known.sum())
    seen: set[bytes] = set()
    kept = []
    for m, lo, hi in out:
        n = int(m.sum())
        key = np.packbits(m).tobytes()
        if min_units <= n <= n_known - min_units and key not in seen:
            seen.add(key)
            kept.append((m, lo, hi))
    return kept


def describe_range(f: Factor, low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{f.title} outside {_with_unit(f, low)} to {_with_unit(f, high)}"
    if high is not None:
        return f"{f.title} > {_with_unit(f, high)}"
    assert low is not None
    return f"{f.title} ≤ {_with_unit(f, low)}"


def numeric(
    col: Column, test: Tester, min_units: int, two_sided_test: bool
) -> tuple[list[Candidate], str | None]:
    """The best range of a numeric factor, its p-value corrected for every range tried."""
    assert col.values is not None
    f, x = col.factor, col.values
    known = np.isfinite(x)
    if len(np.unique(x[known])) < 2:
        return [], f"{f.name}: fewer than two distinct values"
    ranges = _ranges(x, known, min_units, two_sided_test)
    if not ranges:
        return [], f"{f.name}: no range holds {min_units} units on each side"
    p = test(np.array([m for m, _, _ in ranges]), known)
    best = int(np.argmin(p))
    m, lo, hi = ranges[best]
    suspect = Suspect(f.name, "numeric", describe_range(f, lo, hi), low=lo, high=hi)
    return [Candidate(suspect, m, known, min(1.0, float(p[best]) * len(ranges)), len(ranges))], None
