"""The tests behind a cause: one-sided Fisher for defect rates, Welch for measurements,
risk and odds ratios with log-scale intervals, Benjamini-Hochberg q-values.

Each test compares units *exposed* to a suspect (a mask) with the other units, among those
``within`` a stratum (all units, or those not exposed to a stronger cause).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats  # type: ignore[import-untyped, unused-ignore]

Mask = NDArray[np.bool_]
Z95 = 1.959963984540054


def bh_qvalues(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """Benjamini-Hochberg adjusted p-values (monotone, capped at 1)."""
    m = len(p)
    if m == 0:
        return p.copy()
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out


@dataclass(frozen=True)
class Counts:
    exposed: int
    exposed_defects: int
    other: int
    other_defects: int


def counts(defect: Mask, mask: Mask, within: Mask) -> Counts:
    e, o = mask & within, ~mask & within
    return Counts(int(e.sum()), int((defect & e).sum()), int(o.sum()), int((defect & o).sum()))


def fisher_greater(defect: Mask, masks: NDArray[np.bool_], within: Mask) -> NDArray[np.float64]:
    """One-sided Fisher exact p (exposed units fail more often) for each row of ``masks``."""
    w = within
    total, bad = int(w.sum()), int((defect & w).sum())
    exposed = (masks & w).sum(axis=1)
    hits = (masks & (defect & w)).sum(axis=1)
    p = np.asarray(stats.hypergeom.sf(hits - 1, total, bad, exposed), dtype=float)
    out: NDArray[np.float64] = np.clip(p, 0.0, 1.0)
    return out


def risk_ratio(c: Counts) -> tuple[float, float, float]:
    """Risk ratio and 95 % CI (Katz log method; 0.5 added to every cell if one is zero)."""
    a, n1, b, n0 = (
        float(c.exposed_defects),
        float(c.exposed),
        float(c.other_defects),
        float(c.other),
    )
    if min(a, n1 - a, b, n0 - b) == 0:
        a, b, n1, n0 = a + 0.5, b + 0.5, n1 + 1, n0 + 1
    rr = (a / n1) / (b / n0)
    se = math.sqrt(max(1 / a - 1 / n1 + 1 / b - 1 / n0, 0.0))
    return rr, rr * math.exp(-Z95 * se), rr * math.exp(Z95 * se)


def odds_ratio(c: Counts) -> float:
    a, b = float(c.exposed_defects), float(c.exposed - c.exposed_defects)
    d_, e = float(c.other_defects), float(c.other - c.other_defects)
    if min(a, b, d_, e) == 0:
        a, b, d_, e = a + 0.5, b + 0.5, d_ + 0.5, e + 0.5
    return (a * e) / (b * d_)


def welch(y: NDArray[np.float64], masks: NDArray[np.bool_], within: Mask) -> NDArray[np.float64]:
    """Two-sided Welch t-test p of the measurement, exposed vs other, for each mask row."""
    e, o = masks & within, ~masks & within
    n1, n0 = e.sum(axis=1).astype(float), o.sum(axis=1).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        m1, m0 = (e * y).sum(axis=1) / n1, (o * y).sum(axis=1) / n0
        v1 = (e * (y - m1[:, None]) ** 2).sum(axis=1) / (n1 - 1)
        v0 = (o * (y - m0[:, None]) ** 2).sum(axis=1) / (n0 - 1)
        se2 = v1 / n1 + v0 / n0
        t = (m1 - m0) / np.sqrt(se2)
        df = se2**2 / ((v1 / n1) ** 2 / (n1 - 1) + (v0 / n0) ** 2 / (n0 - 1))
        p = 2 * stats.t.sf(np.abs(t), df)
    p = np.where(np.isfinite(p), p, 1.0)
    out: NDArray[np.float64] = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    return out


def mean_shift(
    y: NDArray[np.float64], mask: Mask, within: Mask
) -> tuple[float, float, float, float, float]:
    """Exposed mean, other mean, their difference and its 95 % Welch interval."""
    a, b = y[mask & within], y[~mask & within]
    if len(a) < 2 or len(b) < 2:
        nan = math.nan
        return (
            float(a.mean()) if len(a) else nan,
            float(b.mean()) if len(b) else nan,
            nan,
            nan,
            nan,
        )
    d = float(a.mean() - b.mean())
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1)) if se > 0 else 1.0
    half = float(stats.t.ppf(0.975, df)) * se
    return float(a.mean()), float(b.mean()), d, d - half, d + half


def rank_biserial(values: NDArray[np.float64], defect: Mask) -> float:
    """Mann-Whitney effect: P(defect value > good value) - P(<), from -1 to 1."""
    ok = np.isfinite(values)
    x, y = values[ok & defect], values[ok & ~defect]
    if len(x) == 0 or len(y) == 0:
        return 0.0
    u = stats.mannwhitneyu(x, y, alternative="two-sided").statistic
    return float(2 * u / (len(x) * len(y)) - 1)
