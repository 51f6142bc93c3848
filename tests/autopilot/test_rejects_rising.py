"""When rejects count as rising: against the plant's own usual share (a p-chart), so a plant
whose usual level is high is not stopped again and again for it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from openfab.autopilot.quality import MIN_REJECTS, MIN_USUAL, REJECT_RATE, rejects_rising


def test_without_a_usual_level_the_floor_rate_decides() -> None:
    assert rejects_rising(7, 100, 0, 0)  # 7 % ≥ 6 %
    assert not rejects_rising(5, 100, 0, 0)  # 5 % < 6 %
    assert not rejects_rising(4, 40, 0, 0)  # too few units to say


def test_a_high_usual_level_is_not_a_rise_but_a_jump_above_it_is() -> None:
    usual = (280, 2000)  # the plant usually rejects 14 %
    assert not rejects_rising(15, 100, *usual)  # 15 %: within the p-chart's limits
    assert not rejects_rising(24, 100, *usual)  # upper limit: 14 % + 3 × 3.5 % ≈ 24.4 %
    assert rejects_rising(26, 100, *usual)


def test_a_low_usual_level_still_needs_the_floor_rate() -> None:
    assert not rejects_rising(5, 100, 20, 2000)  # 5 % vs 1 % usual: fewer than the floor
    assert rejects_rising(7, 100, 20, 2000)


@given(
    st.integers(min_value=0, max_value=100),
    st.integers(min_value=0, max_value=2000),
    st.integers(min_value=MIN_USUAL, max_value=2000),
)
def test_a_rise_is_always_at_least_the_floor_and_above_the_usual_share(
    rejects: int, usual_rejects: int, usual: int
) -> None:
    usual_rejects = min(usual_rejects, usual)
    if rejects_rising(rejects, 100, usual_rejects, usual):
        assert rejects >= MIN_REJECTS and rejects / 100 >= REJECT_RATE
        assert rejects / 100 > usual_rejects / usual
