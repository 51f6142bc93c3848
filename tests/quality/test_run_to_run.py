"""Run-to-run control: a setting whose smoothed value leaves the dead band is sent back to
its target, once, and judged again only after the correction had time to arrive; noise
inside the band is never chased; settings without a spec are not touched."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from openfab.gateway.equipment import ParameterSpec
from openfab.quality.run_to_run import RunToRun

SPECS = {
    "paint-1": {
        "oven_temperature_c": ParameterSpec("paint_line", 190.0, 6.0),
        "film_thickness_um": ParameterSpec("paint_line", 80.0, 12.0),
    }
}


def test_a_setting_past_the_dead_band_is_sent_back_to_its_target() -> None:
    control = RunToRun(SPECS)
    assert control.observe("paint-1", {"oven_temperature_c": 191.0}) == []  # 1/6 tolerance
    moves = control.observe("paint-1", {"oven_temperature_c": 195.0})  # smoothed 193: 1/2
    assert [(m.machine, m.parameter, m.target) for m in moves] == [
        ("paint-1", "oven_temperature_c", 190.0)
    ]
    assert moves[0].observed == 195.0 and moves[0].smoothed == 193.0
    assert "+0.50 tolerances" in moves[0].reason


def test_after_a_correction_the_next_readings_settle_before_it_is_judged_again() -> None:
    control = RunToRun(SPECS, settle=2)
    assert control.observe("paint-1", {"film_thickness_um": 90.0})  # 10/12 off: at once
    assert control.observe("paint-1", {"film_thickness_um": 90.0}) == []  # not arrived yet
    assert control.observe("paint-1", {"film_thickness_um": 90.0}) == []
    assert control.observe("paint-1", {"film_thickness_um": 90.0})  # still off: again


def test_each_setting_and_machine_is_its_own_estimate() -> None:
    control = RunToRun(SPECS)
    moves = control.observe("paint-1", {"oven_temperature_c": 190.5, "film_thickness_um": 70.0})
    assert [m.parameter for m in moves] == ["film_thickness_um"]


def test_unknown_machines_settings_and_values_that_are_not_numbers_are_left_alone() -> None:
    control = RunToRun(SPECS)
    assert control.observe("press-9", {"oven_temperature_c": 400.0}) == []
    assert control.observe("paint-1", {"line_speed": 400.0}) == []
    odd: dict[str, object] = {"oven_temperature_c": math.nan, "film_thickness_um": "90"}
    assert control.observe("paint-1", odd) == []
    assert control.observe("paint-1", {"oven_temperature_c": True}) == []
    assert control.observe("paint-1", {"oven_temperature_c": math.inf}) == []


@given(st.lists(st.floats(-0.25, 0.25), min_size=1, max_size=60))
def test_readings_inside_the_dead_band_are_never_corrected(offsets: list[float]) -> None:
    control = RunToRun(SPECS)
    for off in offsets:
        assert control.observe("paint-1", {"oven_temperature_c": 190.0 + 6.0 * off}) == []


@given(st.lists(st.floats(-3.0, 3.0), min_size=1, max_size=60))
def test_every_correction_aims_at_the_target_from_outside_the_band(offsets: list[float]) -> None:
    control = RunToRun(SPECS)
    for off in offsets:
        for move in control.observe("paint-1", {"oven_temperature_c": 190.0 + 6.0 * off}):
            assert move.target == 190.0
            assert abs(move.smoothed - 190.0) > 0.25 * 6.0
