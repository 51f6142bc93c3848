"""Western Electric (1-4) and Nelson (1-8) run rules, as two selectable sets.

Each rule sees the plotted statistic in sigma units of that statistic, ``z = (x - CL) / s``
with ``s = (UCL - CL) / 3``. Windows that overlap are merged into one violation, so a run of
twelve points above the centre line is one signal, not four; ``at`` is where it first fired.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from openfab.quality.spc.model import Violation

Window = tuple[tuple[int, ...], int]  # (points involved, index at which the rule fired)
Detector = Callable[[NDArray[np.float64], NDArray[np.float64]], list[Window]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    meaning: str
    detect: Detector
    """(values, z) -> windows; ``z`` is NaN where a point has no limits."""


def _runs(cond: NDArray[np.bool_], length: int, lead: int = 0) -> list[Window]:
    """Maximal runs of True at least ``length`` long; ``lead`` earlier points belong to each."""
    out: list[Window] = []
    i, n = 0, len(cond)
    while i < n:
        if not cond[i]:
            i += 1
            continue
        j = i
        while j < n and cond[j]:
            j += 1
        if j - i >= length:
            out.append((tuple(range(i - lead, j)), i + length - 1))
        i = j
    return out


def _k_of_m(z: NDArray[np.float64], k: int, m: int, zone: float) -> list[Window]:
    out: list[Window] = []
    for side in (1.0, -1.0):
        flag = side * z > zone
        for i in (int(j) for j in np.flatnonzero(flag)):
            lo = max(0, i - m + 1)
            hits = [int(j) for j in range(lo, i + 1) if flag[j]]
            if len(hits) >= k:
                out.append((tuple(hits), i))
    return out


def _beyond_limits(x: NDArray[np.float64], z: NDArray[np.float64]) -> list[Window]:
    return [((int(i),), int(i)) for i in np.flatnonzero(np.abs(z) > 3.0)]


def _same_side(length: int) -> Detector:
    def detect(x: NDArray[np.float64], z: NDArray[np.float64]) -> list[Window]:
        return _runs(z > 0, length) + _runs(z < 0, length)

    return detect


def _zone(k: int, m: int, zone: float) -> Detector:
    return lambda x, z: _k_of_m(z, k, m, zone)


def _trend(points: int) -> Detector:
    def detect(x: NDArray[np.float64], z: NDArray[np.float64]) -> list[Window]:
        d = np.diff(x)
        up = np.concatenate(([False], d > 0))
        down = np.concatenate(([False], d < 0))
        return _runs(up, points - 1, lead=1) + _runs(down, points - 1, lead=1)

    return detect


def _alternating(points: int) -> Detector:
    def detect(x: NDArray[np.float64], z: NDArray[np.float64]) -> list[Window]:
        d = np.sign(np.diff(x))
        flips = np.concatenate(([False, False], d[1:] * d[:-1] < 0))
        return _runs(flips, points - 2, lead=2)

    return detect


def _hugging(points: int) -> Detector:
    def detect(x: NDArray[np.float64], z: NDArray[np.float64]) -> list[Window]:
        return _runs(np.abs(z) < 1.0, points)

    return detect


def _avoiding(points: int) -> Detector:
    def detect(x: NDArray[np.float64], z: NDArray[np.float64]) -> list[Window]:
        out: list[Window] = []
        outside = np.abs(z) > 1.0
        for i in range(points - 1, len(z)):
            w = slice(i - points + 1, i + 1)
            if outside[w].all() and (z[w] > 0).any() and (z[w] < 0).any():
                out.append((tuple(range(i - points + 1, i + 1)), i))
        return out

    return detect


RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        Rule("we-1", "Western Electric 1", "a point beyond the 3-sigma limits", _beyond_limits),
        Rule(
            "we-2",
            "Western Electric 2",
            "2 of 3 points beyond 2 sigma on one side",
            _zone(2, 3, 2.0),
        ),
        Rule(
            "we-3",
            "Western Electric 3",
            "4 of 5 points beyond 1 sigma on one side",
            _zone(4, 5, 1.0),
        ),
        Rule(
            "we-4",
            "Western Electric 4",
            "8 points in a row on one side of the centre line",
            _same_side(8),
        ),
        Rule("nelson-1", "Nelson 1", "a point beyond the 3-sigma limits", _beyond_limits),
        Rule(
            "nelson-2",
            "Nelson 2",
            "9 points in a row on one side of the centre line",
            _same_side(9),
        ),
        Rule(
            "nelson-3", "Nelson 3", "6 points in a row steadily increasing or decreasing", _trend(6)
        ),
        Rule(
            "nelson-4", "Nelson 4", "14 points in a row alternating up and down", _alternating(14)
        ),
        Rule("nelson-5", "Nelson 5", "2 of 3 points beyond 2 sigma on one side", _zone(2, 3, 2.0)),
        Rule("nelson-6", "Nelson 6", "4 of 5 points beyond 1 sigma on one side", _zone(4, 5, 1.0)),
        Rule(
            "nelson-7",
            "Nelson 7",
            "15 points in a row within 1 sigma of the centre line",
            _hugging(15),
        ),
        Rule(
            "nelson-8", "Nelson 8", "8 points in a row beyond 1 sigma, on both sides", _avoiding(8)
        ),
    )
}
WESTERN_ELECTRIC = ("we-1", "we-2", "we-3", "we-4")
NELSON = tuple(f"nelson-{i}" for i in range(1, 9))
LIMITS_ONLY = ("limits",)
RULE_SETS: dict[str, tuple[str, ...]] = {
    "western-electric": WESTERN_ELECTRIC,
    "nelson": NELSON,
    "limits": LIMITS_ONLY,
    "none": (),
}
RuleChoice = str | Sequence[str]
"""A set's name (``"western-electric"``, ``"nelson"``, ``"limits"``, ``"none"``) or codes."""

_HINTS = {
    "we-1": "look for a special cause at this point",
    "we-2": "the mean has likely shifted",
    "we-3": "the mean has likely shifted a little",
    "we-4": "the mean has likely shifted",
    "nelson-1": "look for a special cause at this point",
    "nelson-2": "the mean has likely shifted",
    "nelson-3": "a drift, e.g. tool wear or warming up",
    "nelson-4": "over-adjustment or two alternating streams",
    "nelson-5": "the mean has likely shifted",
    "nelson-6": "the mean has likely shifted a little",
    "nelson-7": "limits too wide or mixed streams (stratification)",
    "nelson-8": "a mixture of two processes",
}


def resolve(choice: RuleChoice) -> tuple[list[str], list[str]]:
    """The rule codes a choice stands for, and the names it had that are unknown."""
    codes = (
        list(RULE_SETS[choice])
        if isinstance(choice, str) and choice in RULE_SETS
        else ([choice] if isinstance(choice, str) else list(choice))
    )
    known = [c for c in codes if c in RULES or c == "limits"]
    return known, [c for c in codes if c not in known]


def span(points: tuple[int, ...]) -> str:
    if len(points) == 1:
        return f"point {points[0]}"
    if points == tuple(range(points[0], points[-1] + 1)):
        return f"points {points[0]}-{points[-1]}"
    return "points " + ", ".join(str(p) for p in points)


def _limit_message(i: int, x: float, lcl: float, ucl: float) -> str:
    side, limit = ("above the upper", ucl) if x > ucl else ("below the lower", lcl)
    return f"point {i} ({x:.4g}) is {side} control limit {limit:.4g}"


def _merge(windows: list[Window]) -> list[Window]:
    """Overlapping windows of one rule become one (points united, first firing kept)."""
    merged: list[Window] = []
    for pts, at in sorted(windows, key=lambda w: (w[1], w[0])):
        if merged and min(pts) <= max(merged[-1][0]):
            prev, first = merged[-1]
            merged[-1] = (tuple(sorted(set(prev) | set(pts))), first)
        else:
            merged.append((pts, at))
    return merged


def limit_violations(
    x: NDArray[np.float64],
    lcl: NDArray[np.float64],
    ucl: NDArray[np.float64],
    code: str,
    first: int = 0,
) -> list[Violation]:
    """Points beyond their (possibly asymmetric or one-sided) limits, one violation each."""
    rule = RULES.get(code)
    name = rule.name if rule else "Control limits"
    hint = _HINTS.get(code, "look for a special cause at this point")
    return [
        Violation(
            code,
            name,
            (int(i) + first,),
            int(i) + first,
            f"{name}: {_limit_message(int(i) + first, x[i], lcl[i], ucl[i])}; {hint}",
        )
        for i in np.flatnonzero((x > ucl) | (x < lcl))
    ]


def apply(
    x: NDArray[np.float64],
    center: NDArray[np.float64],
    lcl: NDArray[np.float64],
    ucl: NDArray[np.float64],
    codes: Sequence[str],
    *,
    zones: bool = True,
    first: int = 0,
) -> tuple[Violation, ...]:
    """Run the rules; without ``zones`` (skewed or autocorrelated statistics) only the limits.

    Positions are reported as ``first + position`` (a moving range starts at point 1)."""
    found: list[Violation] = []
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (ucl - center) / 3.0
        z = np.where(s > 0, (x - center) / s, np.nan)
    for code in codes:
        if code in ("we-1", "nelson-1", "limits"):
            found += limit_violations(x, lcl, ucl, code, first)
            continue
        if not zones:
            continue
        rule = RULES[code]
        for raw, raw_at in _merge(rule.detect(x, z)):
            pts, at = tuple(p + first for p in raw), raw_at + first
            fired = f" (signalled at point {at})" if at != pts[-1] else ""
            msg = f"{rule.name}: {span(pts)} show {rule.meaning}{fired}; {_HINTS[code]}"
            found.append(Violation(code, rule.name, pts, at, msg))
    return tuple(sorted(found, key=lambda v: (v.at, v.rule)))
