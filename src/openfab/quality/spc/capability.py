"""Process capability: Cp, Cpk (within sigma) and Pp, Ppk (overall sigma) against spec limits.

A one-sided spec gives Cpk = Cpu or Cpl and no Cp. The Cpk interval is Bissell's normal
approximation, Cpk ± z·sqrt(1/(9n) + Cpk²/(2(n-1))); the Cp interval is exact (chi-square).
Capability only means something for a process in control: chart it first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import stats  # type: ignore[import-untyped, unused-ignore]

from openfab.errors import ProblemCollector
from openfab.quality.spc import constants as consts
from openfab.quality.spc.checks import (
    check_count,
    check_not_constant,
    finite_values,
    raise_if_any,
    subgroup_matrix,
)
from openfab.quality.spc.model import Capability, Interval

MIN_VALUES = 10


def _check_specs(lsl: float | None, usl: float | None, pc: ProblemCollector) -> None:
    if lsl is None and usl is None:
        pc.add("spec", "give a lower or an upper spec limit (or both)", "missing")
    for name, v in (("lsl", lsl), ("usl", usl)):
        if v is not None and not math.isfinite(v):
            pc.add(name, f"{v} is not a finite number", "not_finite")
    if lsl is not None and usl is not None and lsl >= usl:
        pc.add(
            "spec",
            f"lower spec limit {lsl:g} is not below upper spec limit {usl:g} (reversed?)",
            "reversed",
        )


def _check_confidence(confidence: float, pc: ProblemCollector) -> None:
    if not 0.0 < confidence < 1.0:
        pc.add("confidence", f"{confidence} must be between 0 and 1 (e.g. 0.95)", "range")


def capability(
    values: Sequence[float],
    *,
    lsl: float | None = None,
    usl: float | None = None,
    sigma_within: float | None = None,
    confidence: float = 0.95,
    min_values: int = MIN_VALUES,
) -> Capability:
    """Capability of individual values; within sigma = MR-bar / d2(2) unless given."""
    pc = ProblemCollector()
    x = finite_values(values, "values", pc)
    _check_specs(lsl, usl, pc)
    _check_confidence(confidence, pc)
    check_count(len(x), max(2, min_values), "values", "values", pc)
    check_not_constant(x, "values", pc)
    if sigma_within is not None and not (sigma_within > 0 and math.isfinite(sigma_within)):
        pc.add("sigma_within", f"{sigma_within} must be a positive number", "not_positive")
    raise_if_any(pc, "capability")
    within = sigma_within or float(np.mean(np.abs(np.diff(x)))) / consts.d2(2)
    if within == 0.0:  # consecutive repeats only, e.g. 1,1,2,2: fall back on the overall sigma
        within = float(np.std(x, ddof=1))
    return _result(x, within, lsl, usl, confidence)


def capability_subgroups(
    subgroups: Sequence[Sequence[float]],
    *,
    lsl: float | None = None,
    usl: float | None = None,
    confidence: float = 0.95,
    min_subgroups: int = 5,
) -> Capability:
    """Capability from equal subgroups; within sigma = R-bar / d2(n)."""
    pc = ProblemCollector()
    m = subgroup_matrix(subgroups, pc)
    _check_specs(lsl, usl, pc)
    _check_confidence(confidence, pc)
    check_count(len(m), max(1, min_subgroups), "subgroups", "subgroups", pc)
    raise_if_any(pc, "capability")
    r_bar = float(np.ptp(m, axis=1).mean())
    if r_bar == 0.0:
        pc.add(
            "subgroups", "every subgroup has zero range: no within-subgroup variation", "constant"
        )
    raise_if_any(pc, "capability")
    return _result(m.ravel(), r_bar / consts.d2(m.shape[1]), lsl, usl, confidence)


def _index(mean: float, sigma: float, lsl: float | None, usl: float | None) -> float:
    sides = []
    if usl is not None:
        sides.append((usl - mean) / (3 * sigma))
    if lsl is not None:
        sides.append((mean - lsl) / (3 * sigma))
    return min(sides)


def _result(
    x: NDArray[np.float64],
    within: float,
    lsl: float | None,
    usl: float | None,
    confidence: float,
) -> Capability:
    n, mean = len(x), float(np.mean(x))
    overall = float(np.std(x, ddof=1))
    two_sided = lsl is not None and usl is not None
    cp = (usl - lsl) / (6 * within) if lsl is not None and usl is not None else None
    pp = (usl - lsl) / (6 * overall) if lsl is not None and usl is not None else None
    cpk, ppk = _index(mean, within, lsl, usl), _index(mean, overall, lsl, usl)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    half = z * math.sqrt(1.0 / (9 * n) + cpk * cpk / (2 * (n - 1)))
    cp_ci = None
    if cp is not None:
        lo_q = float(stats.chi2.ppf((1 - confidence) / 2, n - 1))
        hi_q = float(stats.chi2.ppf((1 + confidence) / 2, n - 1))
        cp_ci = Interval(cp * math.sqrt(lo_q / (n - 1)), cp * math.sqrt(hi_q / (n - 1)))
    below = float(stats.norm.cdf((lsl - mean) / within)) if lsl is not None else 0.0
    above = float(stats.norm.sf((usl - mean) / within)) if usl is not None else 0.0
    outside = np.zeros(n, dtype=bool)
    if lsl is not None:
        outside |= x < lsl
    if usl is not None:
        outside |= x > usl
    ci = Interval(cpk - half, cpk + half)
    pct = f"{confidence * 100:.0f} %"
    head = f"Cp {cp:.2f}, " if cp is not None else ""
    summary = (
        f"{head}Cpk {cpk:.2f} ({pct} CI {ci.low:.2f}-{ci.high:.2f}, n = {n}); "
        f"{'Pp ' + format(pp, '.2f') + ', ' if pp is not None else ''}Ppk {ppk:.2f}; "
        f"expected {(below + above) * 1e6:.0f} ppm out of spec"
        f"{'' if two_sided else ' (one-sided spec)'}"
    )
    return Capability(
        n=n,
        mean=mean,
        sigma_within=within,
        sigma_overall=overall,
        lsl=lsl,
        usl=usl,
        cp=cp,
        cpk=cpk,
        pp=pp,
        ppk=ppk,
        cpk_ci=ci,
        cp_ci=cp_ci,
        confidence=confidence,
        expected_ppm=(below + above) * 1e6,
        observed_ppm=float(outside.mean()) * 1e6,
        summary=summary,
    )
