"""Sentences a quality engineer can check by hand: counts, rates, effect, interval, p and q."""

from __future__ import annotations

import math

from openfab.quality.rca.model import Evidence


def pct(k: int, n: int) -> str:
    return f"{100 * k / n:.1f} %" if n else "n/a"


def sig(v: float) -> str:
    """Two significant figures, whole numbers from 100 up (17, 6.6, 0.45, 170)."""
    if not math.isfinite(v):
        return "∞" if v > 0 else "-∞"
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.2g}"


def pval(p: float, name: str = "p") -> str:
    """``p < 1e-9`` for tiny values (a bound, not false precision), else ``p = 0.0023``."""
    if p < 1e-4:
        k = min(300, math.floor(-math.log10(p))) if p > 0 else 300
        return f"{name} < 1e-{k}"
    return f"{name} = {p:.2g}"


def rates(ev: Evidence, other: str) -> str:
    assert ev.exposed_defects is not None and ev.other_defects is not None
    return (
        f"failed {ev.exposed_defects} of {ev.exposed_units} "
        f"({pct(ev.exposed_defects, ev.exposed_units)}) vs {ev.other_defects} of "
        f"{ev.other_units} ({pct(ev.other_defects, ev.other_units)}) {other}"
    )


def effect(ev: Evidence) -> str:
    if ev.effect == "risk ratio":
        return f"risk ratio {sig(ev.effect_size)} (95 % CI {sig(ev.ci_low)}-{sig(ev.ci_high)})"
    return f"shift {ev.effect_size:+.3g} (95 % CI {ev.ci_low:+.3g} to {ev.ci_high:+.3g})"


def test_part(ev: Evidence) -> str:
    searched = f" over {ev.cuts_tried} ranges searched" if ev.cuts_tried > 1 else ""
    name = "Fisher" if ev.test.startswith("Fisher") else "Welch t"
    return f"{name} {pval(ev.p_value)}{searched}, {pval(ev.q_value, 'q')}"


def cause_sentence(subject: str, ev: Evidence, other: str) -> str:
    """E.g. 'Units through paint-line-2 failed 14 of 120 (11.7 %) vs 6 of 880 (0.7 %)
    elsewhere; risk ratio 17 (95 % CI 6.6-43), Fisher p < 1e-9, q < 1e-8.'"""
    if ev.exposed_defects is not None:
        head = f"Units {subject} {rates(ev, other)}"
    else:
        assert ev.exposed_mean is not None and ev.other_mean is not None
        head = (
            f"Units {subject} measured {ev.exposed_mean:.4g} on average vs "
            f"{ev.other_mean:.4g} {other} ({ev.exposed_units} vs {ev.other_units} units)"
        )
    tail = ""
    if ev.rank_biserial is not None:
        side = "higher" if ev.rank_biserial > 0 else "lower"
        tail = f"; failed units ran {side} overall (rank-biserial {ev.rank_biserial:+.2f})"
    return f"{head}; {effect(ev)}, {test_part(ev)}{tail}."
