"""Shewhart charts: individuals and moving range (I-MR), X-bar and R, X-bar and S.

Limits come from a baseline (phase I: the first ``baseline`` points or subgroups, all of them
by default) and are then applied unchanged to the points after it (phase II); or from a
``Standard`` (a known target and sigma), in which case every point is phase II.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from openfab.errors import ProblemCollector
from openfab.quality.spc import constants as k
from openfab.quality.spc import rules as rulebook
from openfab.quality.spc.charting import baseline_note, make_chart, phases
from openfab.quality.spc.checks import (
    baseline_kept,
    check_baseline,
    check_count,
    check_not_constant,
    finite_values,
    raise_if_any,
    subgroup_matrix,
)
from openfab.quality.spc.model import ControlChart, PairedCharts, Phase, Standard

MIN_INDIVIDUALS = 10
MIN_SUBGROUPS = 5


def _codes(rules: rulebook.RuleChoice, pc: ProblemCollector) -> list[str]:
    codes, unknown = rulebook.resolve(rules)
    for c in unknown:
        pc.add(
            "rules",
            f"unknown rule or rule set {c!r}; sets: {', '.join(rulebook.RULE_SETS)}",
            "unknown_rule",
        )
    return codes


def imr(
    values: Sequence[float],
    *,
    baseline: int | None = None,
    standard: Standard | None = None,
    rules: rulebook.RuleChoice = "western-electric",
    min_baseline: int = MIN_INDIVIDUALS,
    exclude: Sequence[int] = (),
) -> PairedCharts:
    """Individuals and moving-range charts; sigma = MR-bar / d2(2) from the baseline.

    ``exclude``: baseline points left out of the estimate (special causes found and fixed);
    a moving range touching one is left out too."""
    pc = ProblemCollector()
    x = finite_values(values, "values", pc)
    codes = _codes(rules, pc)
    b = check_baseline(len(x), baseline, standard, pc)
    kept = baseline_kept(exclude, b, pc)
    if standard is None:
        check_count(int(kept.sum()), max(2, min_baseline), "baseline", "baseline values", pc)
        check_not_constant(x[:b][kept], "baseline", pc)
    else:
        check_count(len(x), 2, "values", "values", pc)
    raise_if_any(pc, "I-MR chart")

    mr = np.abs(np.diff(x))
    d2, d3 = k.d2(2), k.d3(2)
    if standard is None:
        mr_kept = kept[1:] & kept[:-1]
        if not mr_kept.any() or not mr[: b - 1][mr_kept].any():
            raise_if_any(_no_ranges(), "I-MR chart")
        mean, mr_bar = float(np.mean(x[:b][kept])), float(np.mean(mr[: b - 1][mr_kept]))
        sigma = mr_bar / d2
    else:
        mean, sigma = standard.mean, standard.sigma
        mr_bar = d2 * sigma
    phase = phases(len(x), b)
    ind = make_chart(
        "Individuals",
        x,
        mean,
        mean - 3 * sigma,
        mean + 3 * sigma,
        phase=phase,
        sigma=sigma,
        codes=codes,
        zones=True,
    )
    mrc = make_chart(
        "Moving range",
        mr,
        mr_bar,
        max(0.0, d2 - 3 * d3) * sigma,
        (d2 + 3 * d3) * sigma,
        phase=phase[1:],
        sigma=sigma,
        codes=codes,
        zones=False,
        first=1,
    )
    notes = baseline_note(int(kept.sum()), "individual values") if standard is None else ()
    return PairedCharts("I-MR", ind, mrc, mean, sigma, 1, notes)


def _no_ranges() -> ProblemCollector:
    pc = ProblemCollector()
    pc.add(
        "exclude", "no two consecutive baseline points are left to form a moving range", "too_few"
    )
    return pc


def _subgroup_inputs(
    subgroups: Sequence[Sequence[float]],
    baseline: int | None,
    standard: Standard | None,
    rules: rulebook.RuleChoice,
    min_baseline: int,
    what: str,
    exclude: Sequence[int],
) -> tuple[NDArray[np.float64], int, NDArray[np.bool_], list[str]]:
    pc = ProblemCollector()
    m = subgroup_matrix(subgroups, pc)
    codes = _codes(rules, pc)
    b = check_baseline(len(m), baseline, standard, pc)
    kept = baseline_kept(exclude, b, pc)
    if standard is None:
        check_count(int(kept.sum()), max(1, min_baseline), "baseline", "baseline subgroups", pc)
        if m.size and not pc.problems and float(np.ptp(m[:b][kept], axis=1).max()) == 0.0:
            pc.add(
                "baseline",
                "every baseline subgroup has zero range: no variation to set "
                "limits from (check the gauge resolution, or give a standard)",
                "constant",
            )
    raise_if_any(pc, what)
    return m, b, kept, codes


def _xbar_chart(
    means: NDArray[np.float64],
    center: float,
    sigma: float,
    n: int,
    phase: Sequence[Phase],
    codes: Sequence[str],
) -> ControlChart:
    """The subgroup means' chart: limits at three standard errors (3 sigma / sqrt(n))."""
    half = 3 * sigma / math.sqrt(n)
    return make_chart(
        "X-bar", means, center, center - half, center + half,
        phase=phase, sigma=sigma, codes=codes, zones=True,
    )  # fmt: skip


def xbar_r(
    subgroups: Sequence[Sequence[float]],
    *,
    baseline: int | None = None,
    standard: Standard | None = None,
    rules: rulebook.RuleChoice = "western-electric",
    min_baseline: int = MIN_SUBGROUPS,
    exclude: Sequence[int] = (),
) -> PairedCharts:
    """X-bar and R charts for equal subgroups of 2..25 (limits A2·R-bar, D3·R-bar, D4·R-bar)."""
    m, b, kept, codes = _subgroup_inputs(
        subgroups, baseline, standard, rules, min_baseline, "X-bar and R charts", exclude
    )
    n = m.shape[1]
    means, ranges = m.mean(axis=1), np.ptp(m, axis=1)
    if standard is None:
        center, r_bar = float(means[:b][kept].mean()), float(ranges[:b][kept].mean())
        sigma = r_bar / k.d2(n)
        lo_r, hi_r = k.d3_factor(n) * r_bar, k.d4_factor(n) * r_bar
    else:
        center, sigma = standard.mean, standard.sigma
        r_bar = k.d2(n) * sigma
        lo_r = max(0.0, k.d2(n) - 3 * k.d3(n)) * sigma
        hi_r = (k.d2(n) + 3 * k.d3(n)) * sigma
    phase = phases(len(m), b)
    loc = _xbar_chart(means, center, sigma, n, phase, codes)  # A2·R-bar when sigma = R-bar/d2
    spread = make_chart(
        "Range", ranges, r_bar, lo_r, hi_r, phase=phase, sigma=sigma, codes=codes, zones=False
    )
    notes = baseline_note(int(kept.sum()), "subgroups") if standard is None else ()
    if n > 10:
        notes += (f"subgroups of {n}: X-bar and S uses the data better than ranges above 10",)
    return PairedCharts("Xbar-R", loc, spread, center, sigma, n, notes)


def xbar_s(
    subgroups: Sequence[Sequence[float]],
    *,
    baseline: int | None = None,
    standard: Standard | None = None,
    rules: rulebook.RuleChoice = "western-electric",
    min_baseline: int = MIN_SUBGROUPS,
    exclude: Sequence[int] = (),
) -> PairedCharts:
    """X-bar and S charts for equal subgroups (limits A3·s-bar, B3·s-bar, B4·s-bar)."""
    m, b, kept, codes = _subgroup_inputs(
        subgroups, baseline, standard, rules, min_baseline, "X-bar and S charts", exclude
    )
    n = m.shape[1]
    means, sds = m.mean(axis=1), m.std(axis=1, ddof=1)
    c4 = k.c4(n)
    if standard is None:
        center, s_bar = float(means[:b][kept].mean()), float(sds[:b][kept].mean())
        sigma = s_bar / c4
    else:
        center, sigma = standard.mean, standard.sigma
        s_bar = c4 * sigma
    spread_sd = sigma * math.sqrt(1 - c4 * c4)
    phase = phases(len(m), b)
    loc = _xbar_chart(means, center, sigma, n, phase, codes)
    spread = make_chart(
        "Standard deviation",
        sds,
        s_bar,
        max(0.0, s_bar - 3 * spread_sd),
        s_bar + 3 * spread_sd,
        phase=phase,
        sigma=sigma,
        codes=codes,
        zones=False,
    )
    notes = baseline_note(int(kept.sum()), "subgroups") if standard is None else ()
    return PairedCharts("Xbar-S", loc, spread, center, sigma, n, notes)
