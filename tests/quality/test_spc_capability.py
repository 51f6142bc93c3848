"""Capability indices on data whose sigmas are known by hand."""

import math

import pytest

from openfab.quality.spc import capability, capability_subgroups

# 20 values alternating 9.5, 10.5: mean 10, every moving range 1 -> within sigma 1/1.128;
# overall sd 0.5·sqrt(20/19).
ALTERNATING = [9.5, 10.5] * 10
WITHIN = 1 / 1.12838
OVERALL = 0.5 * math.sqrt(20 / 19)


def test_two_sided_indices() -> None:
    cap = capability(ALTERNATING, lsl=7.0, usl=13.0)
    assert cap.sigma_within == pytest.approx(WITHIN, rel=1e-5)
    assert cap.sigma_overall == pytest.approx(OVERALL)
    assert cap.cp == pytest.approx(6 / (6 * WITHIN), rel=1e-5)  # 1.128
    assert cap.cpk == pytest.approx(cap.cp)  # centred
    assert cap.pp == pytest.approx(6 / (6 * OVERALL))  # 1.949
    assert cap.ppk == pytest.approx(cap.pp)
    # Bissell: 1.96·sqrt(1/(9·20) + Cpk²/(2·19))
    half = 1.959964 * math.sqrt(1 / 180 + cap.cpk**2 / 38)
    assert cap.cpk_ci.low == pytest.approx(cap.cpk - half, rel=1e-5)
    assert cap.cpk_ci.high == pytest.approx(cap.cpk + half, rel=1e-5)
    assert cap.cp_ci is not None
    assert cap.cp_ci.low < cap.cp < cap.cp_ci.high
    assert "Cpk 1.13" in cap.summary


def test_off_centre_process_loses_cpk_not_cp() -> None:
    cap = capability(ALTERNATING, lsl=8.0, usl=14.0)
    assert cap.cp == pytest.approx(1.12838, rel=1e-4)
    assert cap.cpk == pytest.approx((10 - 8) / (3 * WITHIN), rel=1e-5)  # 0.752


def test_one_sided_spec_gives_cpk_without_cp() -> None:
    cap = capability(ALTERNATING, usl=12.0)
    assert cap.cp is None and cap.pp is None and cap.cp_ci is None
    assert cap.cpk == pytest.approx(2 / (3 * WITHIN), rel=1e-5)
    assert cap.ppk == pytest.approx(2 / (3 * OVERALL))
    assert "one-sided" in cap.summary


def test_out_of_spec_parts_are_counted_and_predicted() -> None:
    cap = capability(ALTERNATING, lsl=9.0, usl=10.0)
    assert cap.observed_ppm == pytest.approx(500_000)  # every 10.5 is above 10
    assert cap.expected_ppm > 300_000


def test_subgroups_use_r_bar_over_d2() -> None:
    groups = [
        [9, 10, 11, 10, 10],
        [10, 11, 9, 10, 10],
        [11, 9, 10, 10, 10],
        [10, 10, 9, 11, 10],
        [9, 11, 10, 10, 10],
    ]
    cap = capability_subgroups(groups, lsl=6, usl=14)
    assert cap.sigma_within == pytest.approx(2 / 2.32593, rel=1e-5)
    assert cap.cp == pytest.approx(8 / (6 * 2 / 2.32593), rel=1e-5)
    assert cap.n == 25
