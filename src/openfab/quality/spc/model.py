"""What SPC takes and returns: plain frozen data, ready to chart and to raise alarms from.

A chart's points, centre line and limits are tuples of the same length (limits may vary per
point, as EWMA's do), so a page draws it without knowing which chart it is; each violation
names its rule, the points involved and the point at which the rule first fired (the alarm).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from openfab.errors import InvalidInput

Phase = Literal["I", "II"]


class SpcInputError(InvalidInput):
    """The data cannot be charted as asked; ``problems`` lists every reason."""


@dataclass(frozen=True)
class Standard:
    """Known process mean (the target) and standard deviation: limits without a baseline."""

    mean: float
    sigma: float


@dataclass(frozen=True)
class Violation:
    """One out-of-control signal: a rule broken by ``points`` (indices), first at ``at``."""

    rule: str
    """Stable code, e.g. ``"nelson-2"`` or ``"we-1"``."""
    name: str
    """Human name, e.g. ``"Nelson 2"``."""
    points: tuple[int, ...]
    at: int
    """The point at which the rule first fired: where an alarm belongs."""
    message: str


@dataclass(frozen=True)
class ControlChart:
    """One chart: plotted statistic, centre and limits per point, phase per point, signals."""

    name: str
    index: tuple[int, ...]
    """The point (or subgroup) each value belongs to; a moving range starts at point 1."""
    statistic: tuple[float, ...]
    center: tuple[float, ...]
    lcl: tuple[float, ...]
    ucl: tuple[float, ...]
    phase: tuple[Phase, ...]
    violations: tuple[Violation, ...]
    sigma: float
    """Process sigma behind the limits (of individual values, not of the plotted statistic)."""

    def __len__(self) -> int:
        return len(self.statistic)

    @property
    def in_control(self) -> bool:
        return not self.violations

    def signals(self, phase: Phase | None = None) -> tuple[Violation, ...]:
        """Violations, optionally only those first firing in one phase (II: new points)."""
        if phase is None:
            return self.violations
        first = self.index[0] if self.index else 0
        return tuple(v for v in self.violations if self.phase[v.at - first] == phase)

    def rows(self) -> list[dict[str, float | int | str | bool]]:
        """One dict per point (index, value, centre, limits, phase, out): CSV/JSON ready."""
        flagged = {p for v in self.violations for p in v.points}
        return [
            {
                "index": idx,
                "value": self.statistic[i],
                "center": self.center[i],
                "lcl": self.lcl[i],
                "ucl": self.ucl[i],
                "phase": self.phase[i],
                "signal": idx in flagged,
            }
            for i, idx in enumerate(self.index)
        ]


@dataclass(frozen=True)
class PairedCharts:
    """A location chart and its spread chart (I and MR, X-bar and R, X-bar and S)."""

    kind: Literal["I-MR", "Xbar-R", "Xbar-S"]
    location: ControlChart
    spread: ControlChart
    mean: float
    sigma: float
    """Within-subgroup sigma estimate (R-bar/d2, s-bar/c4 or MR-bar/d2), or the standard."""
    subgroup_size: int
    notes: tuple[str, ...] = ()

    @property
    def violations(self) -> tuple[Violation, ...]:
        return self.location.violations + self.spread.violations


@dataclass(frozen=True)
class EwmaChart:
    """EWMA with exact time-varying limits (they widen to the asymptote as points accrue)."""

    chart: ControlChart
    mean: float
    sigma: float
    lam: float
    width: float
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CusumChart:
    """Tabular CUSUM: upper (C+) and lower (plotted as -C-) with decision interval H = h·sigma."""

    upper: ControlChart
    lower: ControlChart
    mean: float
    sigma: float
    k: float
    h: float
    notes: tuple[str, ...] = ()

    @property
    def violations(self) -> tuple[Violation, ...]:
        return tuple(sorted(self.upper.violations + self.lower.violations, key=lambda v: v.at))


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class Capability:
    """Process capability against spec limits (one may be absent)."""

    n: int
    mean: float
    sigma_within: float
    sigma_overall: float
    lsl: float | None
    usl: float | None
    cp: float | None
    """None for a one-sided spec."""
    cpk: float
    pp: float | None
    ppk: float
    cpk_ci: Interval
    """Bissell's normal approximation at ``confidence``."""
    cp_ci: Interval | None
    confidence: float
    expected_ppm: float
    """Out-of-spec parts per million predicted from the within sigma (normal model)."""
    observed_ppm: float
    summary: str
