"""OEE = availability × performance × quality: hand-computed cases, and properties that hold
for any machine history (every factor between 0 and 1, OEE their product)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openfab.execution.oee import (
    NO_WORK,
    NO_WORK_SECONDS,
    MachineOee,
    OeeInput,
    ProductionCount,
    StateInterval,
    busy_intervals,
    combine,
    compute_oee,
    intervals_from_changes,
)
from openfab.execution.states import MachineState

T0 = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
R, IDLE, S, D, M = (
    MachineState.RUNNING,
    MachineState.IDLE,
    MachineState.SETUP,
    MachineState.DOWN,
    MachineState.MAINTENANCE,
)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def span(state: MachineState, first: float, last: float) -> StateInterval:
    return StateInterval(state, at(first), at(last))


def test_the_textbook_shift() -> None:
    """An 8-hour shift: 30 min planned maintenance (not a loss), 20 min setup, 40 min down,
    390 min running; 1 min ideal cycle, 360 units, 342 good."""
    result = compute_oee(
        OeeInput(
            "press-1",
            at(0),
            at(480),
            intervals=(
                span(M, 0, 30),
                span(S, 30, 50),
                span(R, 50, 260),
                span(D, 260, 300),
                span(R, 300, 480),
            ),
            counts=(ProductionCount(ideal_cycle_seconds=60, total=360, good=342),),
        )
    )
    assert result.planned_seconds == 450 * 60
    assert result.running_seconds == 390 * 60
    assert result.availability == pytest.approx(390 / 450)
    assert result.performance == pytest.approx(360 / 390)
    assert result.quality == pytest.approx(342 / 360)
    assert result.oee == pytest.approx(342 / 450)  # good units × ideal time ÷ planned time
    assert result.seconds["Maintenance"] == 30 * 60


def test_mixed_products_weigh_each_by_its_own_ideal_time() -> None:
    result = compute_oee(
        OeeInput(
            "assembly-1",
            at(0),
            at(100),
            intervals=(span(R, 0, 80), span(IDLE, 80, 100)),
            counts=(ProductionCount(120, 10, 10), ProductionCount(30, 40, 36)),
        )
    )
    assert result.availability == pytest.approx(0.8)
    assert result.ideal_seconds == 10 * 120 + 40 * 30
    assert result.performance == pytest.approx(2400 / 4800)
    assert result.quality == pytest.approx(46 / 50)


def test_intervals_are_clipped_to_the_window() -> None:
    result = compute_oee(
        OeeInput("m", at(60), at(120), intervals=(span(R, 0, 90), span(D, 90, 200)))
    )
    assert result.running_seconds == 30 * 60
    assert result.planned_seconds == 60 * 60
    assert result.availability == pytest.approx(0.5)


def test_faster_than_ideal_is_capped_at_one() -> None:
    result = compute_oee(
        OeeInput(
            "m", at(0), at(10), intervals=(span(R, 0, 10),), counts=(ProductionCount(60, 20, 20),)
        )
    )
    assert result.performance == 1.0


def test_a_machine_that_did_nothing_scores_zero_not_one() -> None:
    result = compute_oee(OeeInput("m", at(0), at(60)))
    assert (result.availability, result.performance, result.quality, result.oee) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        # a window that ends before it starts
        (lambda: OeeInput("m", at(10), at(0)), "end after"),
        # an interval running backwards
        (lambda: StateInterval(R, at(5), at(1)), "before it starts"),
        # more good units than units
        (lambda: ProductionCount(60, 3, 4), "good count"),
        # a negative ideal cycle time
        (lambda: ProductionCount(-1, 3, 3), "negative"),
    ],
)
def test_invalid_inputs_are_refused(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]


def test_state_changes_become_intervals_in_any_arrival_order() -> None:
    changes = [(at(50), R), (at(-30), D), (at(20), IDLE), (at(200), S)]
    intervals = intervals_from_changes(changes, at(0), at(100))
    assert intervals == (span(D, 0, 20), span(IDLE, 20, 50), span(R, 50, 100))


def test_busy_intervals_merge_overlapping_operations() -> None:
    merged = busy_intervals([(at(10), at(20)), (at(0), at(12)), (at(30), at(40))])
    assert merged == (span(R, 0, 20), span(R, 30, 40))


def test_combine_weighs_busy_machines_more() -> None:
    a = compute_oee(
        OeeInput("a", at(0), at(100), (span(R, 0, 100),), (ProductionCount(60, 100, 100),))
    )
    b = compute_oee(
        OeeInput(
            "b",
            at(0),
            at(100),
            (span(IDLE, 0, 90), span(R, 90, 100)),
            (ProductionCount(60, 10, 5),),
        )
    )
    plant = combine([a, b])
    assert plant.availability == pytest.approx(110 / 200)
    assert plant.quality == pytest.approx(105 / 110)
    assert plant.total_count == 110


# -- properties ---------------------------------------------------------------------------------
states = st.sampled_from(list(MachineState))
changes = st.lists(
    st.tuples(st.floats(min_value=-600, max_value=2000, allow_nan=False), states), max_size=30
)
counts = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=3600, allow_nan=False),
        st.integers(min_value=0, max_value=10_000),
        st.floats(min_value=0, max_value=1),
    ).map(lambda t: ProductionCount(t[0], t[1], int(t[1] * t[2]))),
    max_size=5,
)


@given(changes=changes, counts=counts, length=st.floats(min_value=1, max_value=1440))
def test_every_factor_lies_between_zero_and_one(
    changes: list[tuple[float, MachineState]], counts: list[ProductionCount], length: float
) -> None:
    start, end = at(0), at(length)
    intervals = intervals_from_changes([(at(m), s) for m, s in changes], start, end)
    result = compute_oee(OeeInput("m", start, end, intervals, tuple(counts)))
    for factor in (result.availability, result.performance, result.quality, result.oee):
        assert 0.0 <= factor <= 1.0
    assert result.oee == pytest.approx(result.availability * result.performance * result.quality)
    covered = sum(result.seconds.values())
    assert covered <= (end - start).total_seconds() + 1e-6  # intervals never overlap
    assert result.running_seconds <= result.planned_seconds + 1e-6


@given(changes=changes, counts=counts)
def test_combining_keeps_factors_in_range_and_sums_counts(
    changes: list[tuple[float, MachineState]], counts: list[ProductionCount]
) -> None:
    start, end = at(0), at(480)
    intervals = intervals_from_changes([(at(m), s) for m, s in changes], start, end)
    parts = [compute_oee(OeeInput(n, start, end, intervals, tuple(counts))) for n in "ab"]
    plant: MachineOee = combine(parts)
    assert plant.total_count == 2 * sum(c.total for c in counts)
    for factor in (plant.availability, plant.performance, plant.quality):
        assert 0.0 <= factor <= 1.0


def test_idle_without_work_is_no_loss_but_idle_waiting_is() -> None:
    """A machine with nothing released to it is not losing time (ISO 22400 leaves time without
    orders out of planned busy time); one starved of material or waiting for its planned
    start is."""
    changes = [
        (at(0), IDLE, NO_WORK),
        (at(120), R, ""),
        (at(180), IDLE, "waiting for material"),
        (at(200), R, ""),
        (at(260), IDLE, NO_WORK),
    ]
    intervals = intervals_from_changes(changes, at(0), at(480))
    result = compute_oee(OeeInput("press-1", at(0), at(480), intervals=intervals))
    assert result.seconds[NO_WORK_SECONDS] == (120 + 220) * 60
    assert result.planned_seconds == (60 + 20 + 60) * 60
    assert result.availability == pytest.approx(120 / 140)
    plant = combine([result, result])
    assert plant.seconds[NO_WORK_SECONDS] == 2 * (120 + 220) * 60
