"""Control limits against hand-computed values; EWMA/CUSUM against Shewhart; invariances."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openfab.quality.spc import Standard, cusum, ewma, imr, xbar_r, xbar_s

# Five subgroups of five: means 11, 12, 10, 11, 12 (X-double-bar 11.2); ranges 4, 4, 4, 2, 4
# (R-bar 3.6). By hand with A2 = 0.577, D3 = 0, D4 = 2.114:
SUBGROUPS = [
    [10, 12, 11, 9, 13],
    [12, 11, 10, 14, 13],
    [9, 10, 11, 12, 8],
    [11, 12, 12, 10, 10],
    [13, 10, 11, 12, 14],
]


def test_xbar_r_limits_match_the_hand_computation() -> None:
    charts = xbar_r(SUBGROUPS)
    assert charts.location.center[0] == pytest.approx(11.2)
    assert charts.location.ucl[0] == pytest.approx(11.2 + 0.577 * 3.6, abs=2e-3)  # 13.277
    assert charts.location.lcl[0] == pytest.approx(11.2 - 0.577 * 3.6, abs=2e-3)  # 9.123
    assert charts.spread.center[0] == pytest.approx(3.6)
    assert charts.spread.ucl[0] == pytest.approx(2.114 * 3.6, abs=5e-3)  # 7.610
    assert charts.spread.lcl[0] == 0.0
    assert charts.sigma == pytest.approx(3.6 / 2.326, abs=1e-3)
    assert charts.location.statistic == (11.0, 12.0, 10.0, 11.0, 12.0)
    assert charts.notes  # five subgroups are too few to trust


def test_imr_limits_match_the_hand_computation() -> None:
    # mean 7.0; moving ranges 2,1,2,1,2,1,2,1,0 -> MR-bar 12/9; limits 7 ± 2.66 MR-bar
    values = [5, 7, 6, 8, 7, 9, 8, 6, 7, 7]
    charts = imr(values)
    mr_bar = 12 / 9
    assert charts.location.center[0] == pytest.approx(7.0)
    assert charts.location.ucl[0] == pytest.approx(7 + 2.66 * mr_bar, abs=2e-3)
    assert charts.location.lcl[0] == pytest.approx(7 - 2.66 * mr_bar, abs=2e-3)
    assert charts.spread.ucl[0] == pytest.approx(3.267 * mr_bar, abs=2e-3)
    assert charts.spread.index == tuple(range(1, 10))  # the first moving range is at point 1
    assert len(charts.spread) == 9


def test_excluded_baseline_points_leave_the_estimate_but_stay_on_the_chart() -> None:
    values = [5, 7, 6, 8, 7, 30, 8, 6, 7, 7, 6, 8]  # point 5: a special cause, found and fixed
    charts = imr(values, exclude=[5])
    others = [v for i, v in enumerate(values) if i != 5]
    ranges = [abs(values[i + 1] - values[i]) for i in range(11) if 5 not in (i, i + 1)]
    assert charts.mean == pytest.approx(np.mean(others))
    assert charts.spread.center[0] == pytest.approx(np.mean(ranges))
    assert charts.location.statistic[5] == 30
    assert any(v.at == 5 for v in charts.location.violations)
    groups = xbar_r([*SUBGROUPS, [30, 31, 29, 30, 30]], exclude=[5])
    assert groups.location.center[0] == pytest.approx(11.2)
    assert groups.location.violations[-1].at == 5


def test_xbar_s_limits_use_c4() -> None:
    charts = xbar_s(SUBGROUPS)
    s_bar = float(np.mean([np.std(g, ddof=1) for g in SUBGROUPS]))
    a3, b4 = 1.427, 2.089  # n = 5
    assert charts.location.ucl[0] == pytest.approx(11.2 + a3 * s_bar, abs=3e-3)
    assert charts.spread.ucl[0] == pytest.approx(b4 * s_bar, abs=3e-3)
    assert charts.spread.lcl[0] == 0.0


def test_phase_two_points_get_the_baseline_limits() -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(50, 2, 25)
    later = rng.normal(58, 2, 5)  # a 4-sigma shift
    charts = imr([*base, *later], baseline=25)
    assert charts.location.phase == ("I",) * 25 + ("II",) * 5
    assert charts.mean == pytest.approx(base.mean())
    assert len(set(charts.location.ucl)) == 1  # fixed limits
    assert charts.location.signals("II")
    rows = charts.location.rows()
    assert rows[29]["phase"] == "II"
    assert rows[29]["signal"] is True


def test_a_standard_sets_the_limits_without_a_baseline() -> None:
    charts = xbar_r(SUBGROUPS, standard=Standard(mean=11.0, sigma=2.0))
    assert charts.location.ucl[0] == pytest.approx(11 + 3 * 2 / math.sqrt(5))
    assert charts.spread.center[0] == pytest.approx(2.326 * 2.0, abs=2e-3)
    assert set(charts.location.phase) == {"II"}


def test_ewma_limits_are_exact_and_widen_to_the_asymptote() -> None:
    values = [1.0] + [0.0] * 59
    chart = ewma(values, lam=0.2, width=3.0, standard=Standard(0.0, 1.0)).chart
    # first point: 3·sqrt(0.2/1.8·(1 - 0.8²)) = 3·0.2 = 0.6; the EWMA is 0.2·1 = 0.2
    assert chart.ucl[0] == pytest.approx(0.6)
    assert chart.statistic[0] == pytest.approx(0.2)
    assert chart.statistic[1] == pytest.approx(0.16)
    assert chart.ucl[-1] == pytest.approx(3 * math.sqrt(0.2 / 1.8), rel=1e-4)
    assert all(a <= b for a, b in zip(chart.ucl, chart.ucl[1:], strict=False))
    assert chart.lcl[0] == pytest.approx(-0.6)


def test_cusum_matches_the_tabular_recursion() -> None:
    charts = cusum([1, 1, 1, -1, 0, 2, 2], k=0.5, h=2.0, standard=Standard(0.0, 1.0))
    assert charts.upper.statistic == (0.5, 1.0, 1.5, 0.0, 0.0, 1.5, 3.0)
    assert charts.lower.statistic == (0.0, 0.0, 0.0, -0.5, 0.0, 0.0, 0.0)
    (v,) = charts.violations
    assert (v.rule, v.at) == ("cusum-upper", 6)
    assert "about 2" in v.message  # mean + K + C+/N+ = 0 + 0.5 + 3/2


def _run_length(signals: list[int], start: int, cap: int) -> int:
    after = [s for s in signals if s >= start]
    return (min(after) - start + 1) if after else cap


def test_ewma_and_cusum_catch_a_one_sigma_shift_sooner_than_shewhart() -> None:
    """Average run length after a 1-sigma shift over 40 seeds (textbook: ~44 vs ~10)."""
    std, start, n = Standard(0.0, 1.0), 20, 220
    runs: dict[str, list[int]] = {"shewhart": [], "ewma": [], "cusum": []}
    for seed in range(40):
        x = np.random.default_rng(seed).standard_normal(n)
        x[start:] += 1.0
        values = list(x)
        shew = imr(values, standard=std, rules="limits").location.violations
        ew = ewma(values, standard=std).chart.violations
        cu = cusum(values, standard=std).violations
        cap = n - start
        runs["shewhart"].append(_run_length([v.at for v in shew], start, cap))
        runs["ewma"].append(_run_length([v.at for v in ew], start, cap))
        runs["cusum"].append(_run_length([v.at for v in cu], start, cap))
    mean = {k: float(np.mean(v)) for k, v in runs.items()}
    assert mean["ewma"] < 0.5 * mean["shewhart"]
    assert mean["cusum"] < 0.5 * mean["shewhart"]


def test_ewma_and_cusum_stay_quiet_in_control() -> None:
    """Fair comparison: the time-weighted charts do not buy speed with false alarms. With an
    in-control run length of about 500, some 18 % of 100-point runs alarm (7 of 40)."""
    std = Standard(0.0, 1.0)
    alarms = {"ewma": 0, "cusum": 0}
    for seed in range(40):
        values = list(np.random.default_rng(100 + seed).standard_normal(100))
        alarms["ewma"] += bool(ewma(values, standard=std).chart.violations)
        alarms["cusum"] += bool(cusum(values, standard=std).violations)
    assert alarms["ewma"] <= 14
    assert alarms["cusum"] <= 14


finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)
varied = st.lists(finite, min_size=12, max_size=40).filter(
    lambda xs: np.ptp(xs) > 1e-3 and np.abs(np.diff(xs)).mean() > 1e-3
)


@settings(max_examples=60, deadline=None)
@given(varied, st.floats(0.1, 100.0), st.floats(-1e4, 1e4))
def test_imr_limits_are_ordered_and_equivariant(xs: list[float], a: float, b: float) -> None:
    base = imr(xs)
    moved = imr([a * v + b for v in xs])
    for chart in (base.location, base.spread):
        assert all(math.isfinite(v) for v in chart.lcl + chart.center + chart.ucl)
        assert all(
            lo <= c <= hi for lo, c, hi in zip(chart.lcl, chart.center, chart.ucl, strict=True)
        )
    scale = max(1.0, abs(b), a * float(np.abs(xs).max()))
    assert moved.location.ucl[0] == pytest.approx(a * base.location.ucl[0] + b, abs=1e-9 * scale)
    assert moved.location.lcl[0] == pytest.approx(a * base.location.lcl[0] + b, abs=1e-9 * scale)
    assert moved.spread.ucl[0] == pytest.approx(a * base.spread.ucl[0], abs=1e-9 * scale)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(finite, min_size=4, max_size=4), min_size=5, max_size=15).filter(
        lambda gs: min(np.ptp(g) for g in gs) > 1e-3
    ),
    st.floats(0.1, 100.0),
    st.floats(-1e4, 1e4),
)
def test_xbar_r_limits_are_ordered_and_equivariant(
    groups: list[list[float]], a: float, b: float
) -> None:
    base = xbar_r(groups)
    moved = xbar_r([[a * v + b for v in g] for g in groups])
    assert base.location.lcl[0] <= base.location.center[0] <= base.location.ucl[0]
    assert base.spread.lcl[0] <= base.spread.center[0] <= base.spread.ucl[0]
    scale = max(1.0, abs(b), a * float(np.abs(groups).max()))
    assert moved.location.ucl[0] == pytest.approx(a * base.location.ucl[0] + b, abs=1e-9 * scale)
    assert moved.spread.ucl[0] == pytest.approx(a * base.spread.ucl[0], abs=1e-9 * scale)


@settings(max_examples=40, deadline=None)
@given(varied, st.floats(0.1, 100.0), st.floats(-1e4, 1e4))
def test_ewma_and_cusum_are_equivariant(xs: list[float], a: float, b: float) -> None:
    moved = [a * v + b for v in xs]
    e0, e1 = ewma(xs), ewma(moved)
    scale = max(1.0, abs(b), a * float(np.abs(xs).max()))
    for u, v in zip(e0.chart.ucl, e1.chart.ucl, strict=True):
        assert v == pytest.approx(a * u + b, abs=1e-9 * scale)
    assert all(
        lo <= c <= hi for lo, c, hi in zip(e0.chart.lcl, e0.chart.center, e0.chart.ucl, strict=True)
    )
    c0, c1 = cusum(xs), cusum(moved)
    for u, v in zip(c0.upper.statistic, c1.upper.statistic, strict=True):
        assert v == pytest.approx(a * u, abs=1e-9 * scale)
