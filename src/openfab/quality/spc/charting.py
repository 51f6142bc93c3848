"""Assemble a ControlChart from arrays: limits per point, phases, rule violations."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from openfab.quality.spc import rules as rulebook
from openfab.quality.spc.model import ControlChart, Phase

MIN_RECOMMENDED = 20
"""Points (or subgroups) below which phase-I limits are rough; a note says so."""


def _full(v: float | NDArray[np.float64], n: int) -> NDArray[np.float64]:
    return np.broadcast_to(np.asarray(v, dtype=float), (n,)).astype(float)


def phases(total: int, baseline: int) -> tuple[Phase, ...]:
    return tuple("I" if i < baseline else "II" for i in range(total))


def make_chart(
    name: str,
    statistic: NDArray[np.float64],
    center: float | NDArray[np.float64],
    lcl: float | NDArray[np.float64],
    ucl: float | NDArray[np.float64],
    *,
    phase: Sequence[Phase],
    sigma: float,
    codes: Sequence[str],
    zones: bool,
    first: int = 0,
) -> ControlChart:
    """A chart over positions ``first, first+1, ...``; rules see this chart's own limits."""
    n = len(statistic)
    cl, lo, hi = _full(center, n), _full(lcl, n), _full(ucl, n)
    found = rulebook.apply(statistic, cl, lo, hi, codes, zones=zones, first=first)
    return ControlChart(
        name=name,
        index=tuple(range(first, first + n)),
        statistic=tuple(float(v) for v in statistic),
        center=tuple(float(v) for v in cl),
        lcl=tuple(float(v) for v in lo),
        ucl=tuple(float(v) for v in hi),
        phase=tuple(phase),
        violations=found,
        sigma=float(sigma),
    )


def baseline_note(count: int, what: str) -> tuple[str, ...]:
    if count >= MIN_RECOMMENDED:
        return ()
    return (
        f"limits rest on {count} {what}; {MIN_RECOMMENDED}-25 are recommended before trusting them",
    )
