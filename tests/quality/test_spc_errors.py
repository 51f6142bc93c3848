"""Bad input raises SpcInputError naming every problem, one parametrized case per way."""

import math

import pytest

from openfab.errors import InvalidInput
from openfab.quality.spc import (
    SpcInputError,
    Standard,
    capability,
    cusum,
    ewma,
    imr,
    xbar_r,
)

GOOD = [10.0, 10.4, 9.8, 10.1, 9.9, 10.3, 10.0, 9.7, 10.2, 10.1, 9.9, 10.0]


@pytest.mark.parametrize(
    ("call", "codes"),
    [
        # too few points for a baseline
        (lambda: imr(GOOD[:5]), {"too_few"}),
        # all-constant data: zero-width limits
        (lambda: imr([5.0] * 12), {"constant"}),
        # NaN and infinity, each named
        (lambda: imr([*GOOD, math.nan, math.inf]), {"not_finite"}),
        # subgroups of unequal size
        (lambda: xbar_r([[1, 2, 3]] * 5 + [[1, 2]]), {"unequal_size"}),
        # subgroups of one
        (lambda: xbar_r([[1]] * 6), {"range"}),
        # zero-range subgroups
        (lambda: xbar_r([[2, 2, 2]] * 6), {"constant"}),
        # spec limits reversed
        (lambda: capability(GOOD, lsl=11.0, usl=9.0), {"reversed"}),
        # no spec at all
        (lambda: capability(GOOD), {"missing"}),
        # baseline longer than the data
        (lambda: imr(GOOD, baseline=20), {"range"}),
        # a baseline and a standard at once
        (lambda: imr(GOOD, baseline=10, standard=Standard(10, 1)), {"conflict"}),
        # a standard with no spread
        (lambda: ewma(GOOD, standard=Standard(10, 0)), {"not_positive"}),
        # EWMA weight outside (0, 1]
        (lambda: ewma(GOOD, lam=1.5), {"range"}),
        # CUSUM with a negative decision interval
        (lambda: cusum(GOOD, h=-1), {"range"}),
        # excluding a point that is not in the baseline
        (lambda: imr(GOOD, baseline=10, exclude=[11]), {"range"}),
        # excluding every other point: no moving range left
        (lambda: imr(GOOD, exclude=list(range(0, 12, 2)), min_baseline=2), {"too_few"}),
        # a misspelt rule set
        (lambda: imr(GOOD, rules="nelsen"), {"unknown_rule"}),
    ],
)
def test_bad_input_is_named(call, codes: set[str]) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SpcInputError) as err:
        call()
    assert codes <= {p.code for p in err.value.problems}


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(InvalidInput) as err:
        xbar_r([[1, 2, math.nan], [1, 2], [3, 4, 5], [1, 2, 3, 4]], rules="bogus")
    text = str(err.value)
    for expected in ("subgroups[0][2]", "subgroups[1]", "subgroups[3]", "bogus", "baseline"):
        assert expected in text
    assert len(err.value.problems) == 5


def test_many_bad_values_are_counted_not_all_listed() -> None:
    with pytest.raises(SpcInputError) as err:
        imr(GOOD + [math.nan] * 25)
    problems = [p for p in err.value.problems if p.code == "not_finite"]
    assert len(problems) == 11
    assert "15 more" in problems[-1].msg
