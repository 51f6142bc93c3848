"""Control-chart constants for subgroups of size n (d2, d3, c4 and the factors built on them).

d2 and d3 are the mean and standard deviation of the range of n standard normal values,
computed once by numerical integration (to 5 decimals) and tabulated here; the test suite
recomputes them. c4 has a closed form. Every other factor follows from these three, so the
table cannot disagree with itself the way hand-copied A2/D3/D4 tables sometimes do.
"""

from __future__ import annotations

import math

# n: (d2, d3) for n = 2..25.
_RANGE_MOMENTS: dict[int, tuple[float, float]] = {
    2: (1.12838, 0.85250),
    3: (1.69257, 0.88837),
    4: (2.05875, 0.87981),
    5: (2.32593, 0.86408),
    6: (2.53441, 0.84804),
    7: (2.70436, 0.83321),
    8: (2.84720, 0.81983),
    9: (2.97003, 0.80783),
    10: (3.07751, 0.79705),
    11: (3.17287, 0.78731),
    12: (3.25846, 0.77848),
    13: (3.33598, 0.77042),
    14: (3.40676, 0.76302),
    15: (3.47183, 0.75621),
    16: (3.53198, 0.74991),
    17: (3.58788, 0.74405),
    18: (3.64006, 0.73859),
    19: (3.68896, 0.73348),
    20: (3.73495, 0.72869),
    21: (3.77834, 0.72417),
    22: (3.81938, 0.71991),
    23: (3.85832, 0.71589),
    24: (3.89535, 0.71207),
    25: (3.93063, 0.70844),
}
MIN_SUBGROUP = 2
MAX_SUBGROUP = max(_RANGE_MOMENTS)


def _check(n: int) -> None:
    if not MIN_SUBGROUP <= n <= MAX_SUBGROUP:
        raise ValueError(f"subgroup size {n} outside {MIN_SUBGROUP}..{MAX_SUBGROUP}")


def d2(n: int) -> float:
    """Mean range of n standard normal values: sigma = R-bar / d2."""
    _check(n)
    return _RANGE_MOMENTS[n][0]


def d3(n: int) -> float:
    """Standard deviation of the range of n standard normal values."""
    _check(n)
    return _RANGE_MOMENTS[n][1]


def c4(n: int) -> float:
    """Mean of the sample standard deviation of n standard normal values: sigma = s-bar / c4."""
    if n < MIN_SUBGROUP:
        raise ValueError(f"subgroup size {n} below {MIN_SUBGROUP}")
    return math.sqrt(2.0 / (n - 1)) * math.exp(math.lgamma(n / 2) - math.lgamma((n - 1) / 2))


def a2(n: int) -> float:
    """X-bar limits are X-double-bar ± A2·R-bar."""
    return 3.0 / (d2(n) * math.sqrt(n))


def d3_factor(n: int) -> float:
    """D3: the R chart's lower limit is D3·R-bar (zero up to n = 6)."""
    return max(0.0, 1.0 - 3.0 * d3(n) / d2(n))


def d4_factor(n: int) -> float:
    """D4: the R chart's upper limit is D4·R-bar."""
    return 1.0 + 3.0 * d3(n) / d2(n)


def a3(n: int) -> float:
    """X-bar limits from s-bar: X-double-bar ± A3·s-bar."""
    return 3.0 / (c4(n) * math.sqrt(n))


def b3(n: int) -> float:
    """B3: the S chart's lower limit is B3·s-bar (zero up to n = 5)."""
    c = c4(n)
    return max(0.0, 1.0 - 3.0 * math.sqrt(1.0 - c * c) / c)


def b4(n: int) -> float:
    """B4: the S chart's upper limit is B4·s-bar."""
    c = c4(n)
    return 1.0 + 3.0 * math.sqrt(1.0 - c * c) / c
