"""Bad input to root-cause analysis names every problem at once; statistics are checked
against independent implementations."""

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from openfab.quality.rca import Factor, InspectedUnit, RcaInputError, rank_causes
from openfab.quality.rca import statistics as st


def _u(i: int, defect: object = False, **factors: object) -> InspectedUnit:
    return InspectedUnit(f"U{i}", defect, factors)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("units", "kwargs", "code"),
    [
        # nothing to analyse
        ([], {}, "too_few"),
        # the same serial twice
        ([_u(1, machine="M1"), _u(1, machine="M2")], {}, "duplicate"),
        # a defect flag that is not a boolean
        ([_u(1, "yes", machine="M1")], {}, "invalid"),
        # a numeric factor with text in it
        (
            [_u(1, temp=1.0), _u(2, temp="hot")],
            {"factors": [Factor("temp", "numeric")]},
            "not_numeric",
        ),
        # an infinite parameter value
        (
            [_u(1, temp=1.0), _u(2, temp=math.inf)],
            {"factors": [Factor("temp", "numeric")]},
            "not_numeric",
        ),
        # a factor no unit records
        ([_u(1, machine="M1")], {"factors": [Factor("lot", "categorical")]}, "unknown_factor"),
        # a measurement outcome without measurements
        ([_u(1, machine="M1")], {"outcome": "measurement"}, "missing"),
        # units without any genealogy
        ([_u(1), _u(2)], {}, "too_few"),
    ],
)
def test_bad_input_is_named(units: list[InspectedUnit], kwargs: dict, code: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(RcaInputError) as err:
        rank_causes(units, **kwargs)
    assert code in {p.code for p in err.value.problems}


def test_all_problems_are_listed_together() -> None:
    units = [_u(1, "no", temp="x"), _u(1, temp=2.0)]
    with pytest.raises(RcaInputError) as err:
        rank_causes(units, factors=[Factor("temp", "numeric"), Factor("lot", "categorical")])
    assert {p.code for p in err.value.problems} == {
        "duplicate",
        "invalid",
        "not_numeric",
        "unknown_factor",
    }


def test_missing_values_are_left_out_not_errors() -> None:
    units = [_u(i, i % 10 == 0, machine=None if i % 7 == 0 else f"M{i % 3}") for i in range(200)]
    report = rank_causes(units)
    assert report.units == 200


def test_no_defects_is_an_honest_empty_answer() -> None:
    report = rank_causes([_u(i, machine=f"M{i % 3}") for i in range(100)])
    assert not report.found
    assert "0 failed" in report.summary


def test_identifiers_are_skipped_with_a_reason() -> None:
    units = [_u(i, i % 9 == 0, serial=f"S{i}", machine=f"M{i % 2}") for i in range(300)]
    report = rank_causes(units)
    assert any(s.startswith("serial: 300 levels") for s in report.skipped)
    assert report.factors_tested == ("machine",)


def test_fisher_matches_scipy() -> None:
    rng = np.random.default_rng(0)
    defect = rng.random(400) < 0.1
    masks = rng.random((5, 400)) < 0.3
    within = np.ones(400, dtype=bool)
    p = st.fisher_greater(defect, masks, within)
    for m, pi in zip(masks, p, strict=True):
        table = [
            [int((m & defect).sum()), int((m & ~defect).sum())],
            [int((~m & defect).sum()), int((~m & ~defect).sum())],
        ]
        assert pi == pytest.approx(stats.fisher_exact(table, alternative="greater")[1])


def test_welch_matches_scipy() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(0, 1, 300)
    masks = rng.random((4, 300)) < 0.4
    p = st.welch(y, masks, np.ones(300, dtype=bool))
    for m, pi in zip(masks, p, strict=True):
        assert pi == pytest.approx(stats.ttest_ind(y[m], y[~m], equal_var=False).pvalue)


def test_bh_matches_statsmodels() -> None:
    p = np.random.default_rng(2).random(50) ** 3
    assert st.bh_qvalues(p) == pytest.approx(multipletests(p, method="fdr_bh")[1])
