"""Cleaning counts each injected problem, repairs it, and never leaves NaN behind."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from openfab.maintenance.series import Fleet, UnitSeries
from openfab.maintenance.telemetry_clean import KELVIN, CleaningReport, clean_unit


def _with(unit: UnitSeries, cycles: np.ndarray, sensors: np.ndarray) -> UnitSeries:
    return UnitSeries(unit.unit, cycles, unit.settings[: len(cycles)], sensors)


def test_a_clean_unit_is_left_alone(small_fleet: Fleet) -> None:
    unit = small_fleet.units[0]
    cleaned, report = clean_unit(unit)
    assert report.clock_jumps == report.duplicate_cycles == report.stuck_runs == 0
    assert report.unit_changes == report.missing_values == 0
    assert report.spikes <= 2  # a 5-sigma Hampel filter may flag the odd noise peak
    np.testing.assert_array_equal(cleaned.cycles, unit.cycles)


def _long_unit(fleet: Fleet) -> tuple[UnitSeries, list[int]]:
    """The longest unit, and its sensors that move (constant ones would look stuck)."""
    unit = max(fleet.units, key=len)
    return unit, [j for j in range(unit.sensors.shape[1]) if np.ptp(unit.sensors[:, j]) > 0]


def test_injected_problems_are_counted_and_repaired(small_fleet: Fleet) -> None:
    unit, moving = _long_unit(small_fleet)
    assert len(unit) >= 150 and len(moving) >= 5
    sensors, cycles = unit.sensors[:, moving[:5]].copy(), unit.cycles.copy()
    truth = sensors.copy()
    sensors[10, 0] = np.nan  # a gap in one sensor
    sensors[[20, 70], 1] += 40 * np.std(np.diff(sensors[:, 1]))  # two spikes
    sensors[40:60, 2] = sensors[40, 2]  # stuck for 20 cycles
    sensors[100:, 3] *= 1000  # a unit change (e.g. kPa -> Pa)
    sensors[80:, 4] += KELVIN  # degC -> K
    cycles[120:] += 5000  # the clock jumps
    dup = np.r_[np.arange(30), 29, np.arange(30, len(cycles))]  # cycle 30 sent twice
    messy = UnitSeries(unit.unit, cycles[dup], unit.settings[dup], sensors[dup])

    cleaned, report = clean_unit(messy)

    assert report.missing_values == 1
    assert report.spikes >= 2
    assert report.stuck_runs == 1 and report.stuck_values == 19
    assert report.unit_changes == 2
    assert report.clock_jumps == 1
    assert report.duplicate_cycles == 1
    np.testing.assert_array_equal(cleaned.cycles, unit.cycles)
    error = np.abs(cleaned.sensors - truth).max(axis=0)
    assert error[3] < 1e-6 and error[4] < 1e-6  # converted back exactly
    noise = np.std(np.diff(truth, axis=0), axis=0)
    assert np.all(error[:3] < 6 * noise[:3])  # filled near the truth


def test_reference_decides_the_unit_when_the_change_came_first(small_fleet: Fleet) -> None:
    unit, moving = _long_unit(small_fleet)
    sensors = unit.sensors.copy()
    sensors[:100, moving[0]] *= 1000  # read in the wrong unit from the start, then fixed
    reference = np.median(unit.sensors, axis=0)[None, :]
    cleaned, report = clean_unit(_with(unit, unit.cycles, sensors), reference=reference)
    assert report.unit_changes == 1
    np.testing.assert_allclose(cleaned.sensors[:, moving[0]], unit.sensors[:, moving[0]])


def test_a_dead_sensor_is_filled_from_the_reference(small_fleet: Fleet) -> None:
    unit = small_fleet.units[3]
    sensors = unit.sensors.copy()
    sensors[:, 0] = np.nan
    reference = np.full((1, sensors.shape[1]), 7.0)
    cleaned, report = clean_unit(_with(unit, unit.cycles, sensors), reference=reference)
    assert report.dead_sensors == 1
    assert np.all(cleaned.sensors[:, 0] == 7.0)


def test_reports_add_up() -> None:
    total = CleaningReport(rows=3, spikes=1) + CleaningReport(rows=2, clock_jumps=1)
    assert total.as_dict()["rows"] == 5 and total.spikes == 1 and total.clock_jumps == 1


values = st.one_of(st.floats(min_value=-1e9, max_value=1e9), st.just(np.nan), st.just(np.inf))


@settings(max_examples=60, deadline=None)
@given(
    data=arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(1, 4)), elements=values),
    cycles=st.lists(st.integers(-10_000, 10_000), min_size=40, max_size=40),
)
def test_cleaning_never_crashes_or_returns_nan(data: np.ndarray, cycles: list[int]) -> None:
    n = len(data)
    unit = UnitSeries(1, np.array(cycles[:n], dtype=np.int64), np.zeros((n, 3)), data)
    cleaned, report = clean_unit(unit)
    assert np.all(np.isfinite(cleaned.sensors)) and np.all(np.isfinite(cleaned.settings))
    assert np.all(np.diff(cleaned.cycles) > 0)
    assert len(cleaned) == n - report.duplicate_cycles
