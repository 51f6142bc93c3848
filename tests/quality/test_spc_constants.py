"""Control-chart constants: the tabulated d2/d3 are recomputed, the factors match textbooks."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from openfab.quality.spc import constants as k

# Textbook (ASTM / Montgomery) factors for n = 2..10, three decimals.
TEXTBOOK = {
    2: (1.880, 0.000, 3.267),
    3: (1.023, 0.000, 2.574),
    4: (0.729, 0.000, 2.282),
    5: (0.577, 0.000, 2.114),
    6: (0.483, 0.000, 2.004),
    7: (0.419, 0.076, 1.924),
    8: (0.373, 0.136, 1.864),
    9: (0.337, 0.184, 1.816),
    10: (0.308, 0.223, 1.777),
}


@pytest.mark.parametrize("n", sorted(TEXTBOOK))
def test_factors_match_the_textbook_table(n: int) -> None:
    a2, d3, d4 = TEXTBOOK[n]
    assert k.a2(n) == pytest.approx(a2, abs=1.5e-3)
    assert k.d3_factor(n) == pytest.approx(d3, abs=1.5e-3)
    assert k.d4_factor(n) == pytest.approx(d4, abs=1.5e-3)


def test_n5_is_the_classic_example() -> None:
    assert round(k.a2(5), 3) == 0.577
    assert k.d3_factor(5) == 0.0
    assert round(k.d4_factor(5), 2) == 2.11
    assert round(k.c4(5), 4) == 0.9400


@pytest.mark.parametrize("n", [2, 3, 5, 8, 10, 17, 25])
def test_d2_is_the_mean_range_of_normal_samples(n: int) -> None:
    """d2(n) = integral of 1 - Phi^n - (1 - Phi)^n, computed here independently."""
    expected, _ = integrate.quad(
        lambda x: 1 - stats.norm.cdf(x) ** n - stats.norm.sf(x) ** n, -np.inf, np.inf
    )
    assert k.d2(n) == pytest.approx(expected, abs=2e-5)


@pytest.mark.parametrize("n", [2, 5, 10, 25])
def test_d3_is_the_spread_of_the_range(n: int) -> None:
    ranges = np.ptp(np.random.default_rng(n).standard_normal((200_000, n)), axis=1)
    assert k.d3(n) == pytest.approx(ranges.std(), abs=6e-3)
    assert k.d2(n) == pytest.approx(ranges.mean(), abs=6e-3)


def test_c4_is_the_mean_sample_sd() -> None:
    s = np.random.default_rng(0).standard_normal((200_000, 4)).std(axis=1, ddof=1)
    assert k.c4(4) == pytest.approx(s.mean(), abs=3e-3)
    assert k.b4(4) == pytest.approx(1 + 3 * math.sqrt(1 - k.c4(4) ** 2) / k.c4(4))


@pytest.mark.parametrize("n", [1, 26])
def test_sizes_outside_the_table_are_refused(n: int) -> None:
    with pytest.raises(ValueError, match="subgroup size"):
        k.d2(n)
