"""The demo's KPIs from plain records: ratios stay ratios, percentiles stay in range."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openfab.demo.inspection import InspectionTally, Judged, judge
from openfab.demo.kpis import (
    Kpis,
    OrderOutcome,
    Production,
    busy_hours,
    change_percent,
    compare_seeds,
    compute,
    on_time,
    percentile,
    time_average,
)

T0 = datetime(2026, 1, 5, tzinfo=UTC)
DAY = timedelta(days=1)


def outcome(placed_h: float, promise_h: float, ship_h: float | None) -> OrderOutcome:
    shipped = T0 + timedelta(hours=ship_h) if ship_h is not None else None
    return OrderOutcome(T0 + timedelta(hours=placed_h), T0 + timedelta(hours=promise_h), 1, shipped)


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 95) == 5.0
    assert percentile([], 50) is None


@pytest.mark.parametrize("q", [-1, 101])  # outside 0..100
def test_percentile_refuses_a_rank_outside_the_range(q: float) -> None:
    with pytest.raises(ValueError, match=r"within 0\.\.100"):
        percentile([1.0], q)


@given(st.lists(st.floats(-1e6, 1e6), min_size=1), st.floats(0, 100), st.floats(0, 100))
def test_percentile_is_monotone_and_within_the_values(
    values: list[float], q1: float, q2: float
) -> None:
    low, high = sorted((q1, q2))
    a, b = percentile(values, low), percentile(values, high)
    assert a is not None and b is not None
    assert min(values) - 1e-6 <= a <= b + 1e-6 <= max(values) + 2e-6


def test_on_time_counts_late_unshipped_orders_and_skips_undecided_ones() -> None:
    orders = [
        outcome(0, 48, 10),  # arrives at 34 h: on time
        outcome(0, 30, 10),  # arrives at 34 h: late
        outcome(0, 20, None),  # due before the end and not shipped: late
        outcome(0, 200, None),  # not due yet: not counted
    ]
    assert on_time(orders, end=T0 + 2 * DAY, shipping=DAY) == pytest.approx(1 / 3)


def test_on_time_is_none_when_nothing_was_decided() -> None:
    assert on_time([outcome(0, 500, None)], end=T0 + DAY, shipping=DAY) is None


@given(
    st.lists(
        st.tuples(st.floats(0, 100), st.floats(0, 300), st.one_of(st.none(), st.floats(0, 200))),
        max_size=30,
    ),
    st.integers(0, 500),
    st.integers(0, 500),
    st.floats(0, 1e5),
    st.floats(0, 1),
    st.one_of(st.none(), st.floats(-0.5, 1.5)),
)
def test_ratios_stay_within_zero_and_one(
    rows: list[tuple[float, float, float | None]],
    good: int,
    scrap: int,
    energy: float,
    solar_part: float,
    oee: float | None,
) -> None:
    orders = [outcome(p, p + d, None if s is None else p + s) for p, d, s in rows]
    production = Production(good + scrap, good, scrap, good, energy, energy * solar_part)
    kpis = compute(orders, production, end=T0 + 7 * DAY, shipping=DAY, oee=oee)
    for value in (kpis.on_time_delivery, kpis.oee, kpis.first_pass_yield, kpis.solar_share):
        assert value is None or 0 <= value <= 1
    assert kpis.orders_shipped == sum(s is not None for _, _, s in rows)
    if kpis.order_to_ship_median_h is not None:
        assert kpis.order_to_ship_p95_h is not None
        assert 0 <= kpis.order_to_ship_median_h <= kpis.order_to_ship_p95_h + 1e-9


def test_change_percent_and_side_by_side_comparison() -> None:
    assert change_percent(50, 75) == 50
    assert change_percent(-2, -1) == 50
    assert change_percent(0, 3) is None
    assert change_percent(None, 3) is None
    base = compute(
        [outcome(0, 48, 20)], Production(4, 3, 1, 3, 100, 10), end=T0 + DAY, shipping=DAY, oee=0.5
    )
    new = compute(
        [outcome(0, 48, 10)], Production(4, 4, 0, 4, 100, 20), end=T0 + DAY, shipping=DAY, oee=0.6
    )
    changes = {name: c.change for name, c in compare_seeds([base], [new]).items()}
    assert changes["order_to_ship_median_h"] == pytest.approx(-50)
    assert changes["oee"] == pytest.approx(20)
    assert changes["first_pass_yield"] == pytest.approx(100 / 3)


def test_material_kpis_pass_through_and_compare() -> None:
    """Purchase orders, inventory value, shortages and blocked hours: lower is better, so a
    drop shows as a negative change."""
    base = Production(4, 4, 0, 4, 100, 10, 50, 2000.0, 8, 12.0)
    new = Production(4, 4, 0, 4, 100, 10, 10, 1500.0, 2, 3.0)
    before = compute([], base, end=T0 + DAY, shipping=DAY, oee=None)
    after = compute([], new, end=T0 + DAY, shipping=DAY, oee=None)
    assert (before.purchase_orders, before.material_shortages) == (50, 8)
    assert after.average_inventory_value == 1500.0 and after.material_blocked_hours == 3.0
    changes = {name: c.change for name, c in compare_seeds([before], [after]).items()}
    assert changes["purchase_orders"] == pytest.approx(-80)
    assert changes["average_inventory_value"] == pytest.approx(-25)
    assert changes["material_shortages"] == pytest.approx(-75)
    assert changes["material_blocked_hours"] == pytest.approx(-75)


def test_time_average_weights_by_duration() -> None:
    assert time_average([(1.0, 10.0), (3.0, 2.0)]) == pytest.approx(4.0)
    assert time_average([]) == 0.0
    assert time_average([(0.0, 5.0)]) == 0.0


def test_over_seeds_the_change_is_of_the_means_and_the_spread_per_seed() -> None:
    def run(median_h: float) -> Kpis:
        return compute(
            [outcome(0, 48, median_h)],
            Production(1, 1, 0, 1, 10, 1),
            end=T0 + DAY,
            shipping=DAY,
            oee=None,
        )

    rows = compare_seeds([run(10), run(30)], [run(5), run(27)])
    median = rows["order_to_ship_median_h"]
    assert (median.baseline, median.arm) == (pytest.approx(20), pytest.approx(16))
    assert median.change == pytest.approx(-20)
    assert (median.low, median.high) == (pytest.approx(-50), pytest.approx(-10))
    with pytest.raises(ValueError, match="same seeds"):
        compare_seeds([run(10)], [])


def test_inspection_is_judged_against_the_twins_truth_and_defects_made_count_all() -> None:
    """Two defective units (one caught, one escaped), one good unit wrongly rejected, two
    good units passed: defects made are 2 of 5 whatever inspection said."""
    tally = InspectionTally(defective={"a": True, "b": True, "c": False, "d": False, "e": False})
    judged = judge(tally, rejected={"a", "c"})
    assert judged == Judged(accepted_good=2, rejected=2, escaped=1, false_rejects=1, defective=2)
    production = Production(
        units_started=5,
        units_good=judged.accepted_good + judged.escaped,
        units_scrapped=judged.rejected,
        first_pass_units=judged.accepted_good,
        energy_kwh=1.0,
        solar_kwh=0.0,
        defective_units=judged.defective,
        escaped_defects=judged.escaped,
        false_rejects=judged.false_rejects,
    )
    kpis = compute([], production, end=T0, shipping=DAY, oee=None)
    assert (kpis.defects_made_per_1000, kpis.escaped_defects_per_1000) == (400.0, 200.0)
    assert kpis.false_rejects_per_1000 == 200.0


def test_energy_per_defect_free_unit_leaves_escaped_defects_out() -> None:
    production = Production(
        units_started=5,
        units_good=4,  # of them one defect inspection missed
        units_scrapped=1,
        first_pass_units=3,
        energy_kwh=30.0,
        solar_kwh=0.0,
        escaped_defects=1,
    )
    kpis = compute([], production, end=T0, shipping=DAY, oee=None)
    assert kpis.energy_per_good_unit_kwh == pytest.approx(7.5)
    assert kpis.energy_per_defect_free_unit_kwh == pytest.approx(10.0)


def test_busy_hours_count_overlapping_operations_once() -> None:
    def span(a: float, b: float) -> tuple[datetime, datetime]:
        return T0 + timedelta(hours=a), T0 + timedelta(hours=b)

    assert busy_hours([]) == 0
    assert busy_hours([span(0, 1), span(0.5, 2), span(3, 4)]) == pytest.approx(3.0)
    assert busy_hours([span(0, 5), span(1, 2)]) == pytest.approx(5.0)  # one inside another


def test_order_to_ship_splits_into_parts_that_add_up_to_its_mean() -> None:
    """Ordered at 0, first start 1 h, working 2 h of a 3 h span, finished at 4 h, shipped at
    4.5 h; a second order never started on the floor is left out of the split."""
    first = replace(
        outcome(0, 48, 4.5),
        first_start=T0 + timedelta(hours=1),
        last_finish=T0 + timedelta(hours=4),
        working_hours=2.0,
    )
    kpis = compute([first, outcome(0, 48, 9)], PRODUCTION, end=T0, shipping=DAY, oee=None)
    parts = (
        kpis.to_ship_before_floor_h,
        kpis.to_ship_working_h,
        kpis.to_ship_between_steps_h,
        kpis.to_ship_after_floor_h,
    )
    assert parts == pytest.approx((1.0, 2.0, 1.0, 0.5))
    assert sum(p or 0 for p in parts) == pytest.approx(4.5)
    assert (
        compute([outcome(0, 48, 9)], PRODUCTION, end=T0, shipping=DAY, oee=None).to_ship_working_h
        is None
    )


PRODUCTION = Production(
    units_started=1,
    units_good=1,
    units_scrapped=0,
    first_pass_units=1,
    energy_kwh=1.0,
    solar_kwh=0.0,
)
