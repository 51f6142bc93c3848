"""Western Electric and Nelson rules: each fires on a sequence that breaks exactly it.

Sequences are in sigma units around a known standard (mean 0, sigma 1), so the individuals
chart's limits are ±3 and a value of 1.5 lies beyond 1 sigma. The pattern under test sits
between two stretches of in-control background that by themselves break no rule.
"""

import pytest

from openfab.quality.spc import NELSON, RULES, WESTERN_ELECTRIC, Standard, imr

# In-control background (12 points, no runs, trends, zone clusters): ends below the centre line,
BEFORE = [1.2, 0.5, -0.5, 1.5, 0.2, -1.2, -0.3, 0.8, -1.6, 0.4, 0.3, -0.7]
# ... and starts below it, so a pattern is not lengthened by its neighbours.
AFTER = [-0.5, 1.5, 0.2, -1.2, -0.3, 0.8, -1.6, 0.4, 0.3, -0.7, 1.2, 0.5]

PATTERNS = {
    "beyond 3 sigma": [3.5],
    "2 of 3 beyond 2 sigma": [2.5, 0.3, 2.4],
    "4 of 5 beyond 1 sigma": [1.5, 1.3, 0.2, 1.6, 1.4],
    "8 on one side": [0.5, 0.3, 0.6, 0.6, 0.4, 0.7, 0.2, 0.5],
    "9 on one side": [0.5, 0.3, 0.6, 0.6, 0.4, 0.7, 0.2, 0.5, 0.4],
    "6 increasing": [-0.9, -0.5, -0.1, 0.3, 0.7, 0.9],
    "14 alternating": [1.5, -0.5] * 7,
    "15 within 1 sigma": [
        0.5,
        -0.5,
        0.3,
        0.4,
        -0.2,
        -0.6,
        0.1,
        0.5,
        -0.3,
        -0.4,
        0.2,
        0.6,
        -0.1,
        0.3,
        -0.5,
    ],
    "8 beyond 1 sigma both sides": [1.5, -1.5, -1.3, 1.4, 1.6, -1.2, 1.3, -1.4],
}
CASES = [
    ("western-electric", "we-1", "beyond 3 sigma"),
    ("western-electric", "we-2", "2 of 3 beyond 2 sigma"),
    ("western-electric", "we-3", "4 of 5 beyond 1 sigma"),
    ("western-electric", "we-4", "8 on one side"),
    ("nelson", "nelson-1", "beyond 3 sigma"),
    ("nelson", "nelson-2", "9 on one side"),
    ("nelson", "nelson-3", "6 increasing"),
    ("nelson", "nelson-4", "14 alternating"),
    ("nelson", "nelson-5", "2 of 3 beyond 2 sigma"),
    ("nelson", "nelson-6", "4 of 5 beyond 1 sigma"),
    ("nelson", "nelson-7", "15 within 1 sigma"),
    ("nelson", "nelson-8", "8 beyond 1 sigma both sides"),
]
STANDARD = Standard(mean=0.0, sigma=1.0)


@pytest.mark.parametrize("rule_set", ["western-electric", "nelson"])
def test_in_control_background_breaks_no_rule(rule_set: str) -> None:
    chart = imr(BEFORE + AFTER + BEFORE + AFTER, standard=STANDARD, rules=rule_set).location
    assert chart.violations == ()


@pytest.mark.parametrize(("rule_set", "code", "pattern"), CASES)
def test_each_rule_fires_alone_on_its_pattern(rule_set: str, code: str, pattern: str) -> None:
    seq = BEFORE + PATTERNS[pattern] + AFTER
    found = imr(seq, standard=STANDARD, rules=rule_set).location.violations
    assert {v.rule for v in found} == {code}
    lo, hi = len(BEFORE), len(BEFORE) + len(PATTERNS[pattern])
    for v in found:
        assert v.name == RULES[code].name
        assert v.at in v.points
        assert all(lo - 3 <= p < hi + 1 for p in v.points)  # the pattern (and neighbours)
        assert v.message.startswith(v.name)
        assert str(v.at) in v.message


def test_a_long_run_is_one_signal_that_fires_at_its_ninth_point() -> None:
    run = [0.5, 0.3, 0.6, 0.4] * 5  # 20 points above the centre line
    found = imr(BEFORE + run + AFTER, standard=STANDARD, rules=("nelson-2",)).location
    (v,) = found.violations
    assert v.points == tuple(range(len(BEFORE), len(BEFORE) + 20))
    assert v.at == len(BEFORE) + 8
    assert "points 12-31" in v.message


def test_rule_sets_are_the_published_ones() -> None:
    assert WESTERN_ELECTRIC == ("we-1", "we-2", "we-3", "we-4")
    assert len(NELSON) == 8
    assert all(c in RULES for c in WESTERN_ELECTRIC + NELSON)


def test_spread_charts_only_check_their_limits() -> None:
    charts = imr([*BEFORE, 3.5, *AFTER], standard=STANDARD, rules="nelson")
    assert {v.rule for v in charts.spread.violations} == {"nelson-1"}
    # the moving ranges into and out of the spike: 4.2 and 4.0 exceed (d2 + 3 d3) sigma
    assert [v.at for v in charts.spread.violations] == [12, 13]


def test_phase_two_signals_are_told_apart() -> None:
    seq = BEFORE + AFTER + [3.5] + AFTER
    charts = imr(seq, baseline=len(BEFORE + AFTER), rules="western-electric", min_baseline=10)
    assert charts.location.signals("I") == ()
    (v,) = charts.location.signals("II")
    assert v.at == 24
