"""Reading C-MAPSS-layout CSVs: every problem named with its line, harmless ones repaired."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openfab.errors import InvalidInput
from openfab.maintenance.cmapss import read_cmapss, write_cmapss
from openfab.maintenance.series import Fleet

HEADER = "unit,cycle,setting1,setting2,setting3,s1,s2"


def _csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


GOOD = [f"1,{c},0,0,100,{10 + c},{5 - c}" for c in (1, 2, 3)]


def _problems(text: str) -> list[str]:
    with pytest.raises(InvalidInput) as err:
        read_cmapss(text)
    return [str(p) for p in err.value.problems]


def test_round_trip(small_fleet: Fleet) -> None:
    back = read_cmapss(write_cmapss(small_fleet))
    assert len(back) == len(small_fleet)
    assert back.sensor_names == small_fleet.sensor_names
    np.testing.assert_array_equal(back.lives, small_fleet.lives)
    np.testing.assert_allclose(back.units[3].sensors, small_fleet.units[3].sensors, rtol=1e-5)


def test_columns_in_any_order_and_sorted_cycles() -> None:
    text = _csv("1,3,0,0,100,13,2", "1,1,0,0,100,11,4", "1,2,0,0,100,12,3")
    fleet = read_cmapss(text)
    assert fleet.units[0].cycles.tolist() == [1, 2, 3]
    assert fleet.notes["reordered_units"] == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a missing settings column
        (_csv(*GOOD, header="unit,cycle,setting1,setting3,s1,s2"), "missing column 'setting2'"),
        # an extra column nobody knows
        (_csv(*GOOD, header=HEADER + ",colour"), "unexpected column 'colour'"),
        # a hole in the sensor numbering
        (_csv(*GOOD, header="unit,cycle,setting1,setting2,setting3,s1,s3"), "missing column 's2'"),
        # no sensors at all
        (_csv(*GOOD, header="unit,cycle,setting1,setting2,setting3"), "no sensor columns"),
        # a word in a sensor cell, named with its line
        (_csv(*GOOD, "1,4,0,0,100,abc,1"), "line 5: s1 'abc' is not a finite number"),
        # a negative cycle
        (_csv(*GOOD, "1,-4,0,0,100,1,1"), "line 5: cycle '-4' is negative"),
        # a cycle that is not a whole number
        (_csv(*GOOD, "1,4.5,0,0,100,1,1"), "line 5: cycle '4.5' is not a whole number"),
        # the same cycle twice with other values
        (_csv(*GOOD, "1,2,0,0,100,99,99"), "line 5: unit 1 cycle 2 repeats line 3"),
        # a short row
        (_csv(*GOOD, "1,4,0,0,100,1"), "line 5: 6 cells, the header has 7"),
        # a unit with too few cycles
        (_csv(*GOOD, "2,1,0,0,100,1,1"), "unit 2: 1 cycles (from line 5), at least 3"),
        # a header only
        (_csv(), "no data rows"),
    ],
)
def test_each_problem_is_named(text: str, expected: str) -> None:
    assert any(expected in p for p in _problems(text)), _problems(text)


def test_empty_file_is_refused() -> None:
    assert _problems("") == ["line 1: no header row"]


def test_every_problem_at_once() -> None:
    text = _csv(*GOOD, "1,4,0,0,100,x,1", "1,-5,0,0,100,1,1", "1,2,0,0,100,0,0")
    problems = _problems(text)
    assert len(problems) == 3
    assert [p.split(":")[0] for p in problems] == ["line 5", "line 6", "line 7"]


def test_missing_cells_and_repeated_rows_are_repaired_and_counted() -> None:
    fleet = read_cmapss(_csv(*GOOD, GOOD[1], "1,4,0,0,100,,NaN"))
    assert fleet.notes["repeated_rows"] == 1
    assert fleet.notes["missing_values"] == 2
    assert math.isnan(fleet.units[0].sensors[-1, 0])
    assert len(fleet.units[0]) == 4


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(["1", "2", "-1", "x", "", "nan", "inf", "3.5", "0"]), max_size=8),
        max_size=8,
    )
)
def test_any_table_reads_or_is_refused_never_crashes(cells: list[list[str]]) -> None:
    text = "\n".join([HEADER, *(",".join(row) for row in cells)])
    problems: list[object] = []
    try:
        fleet = read_cmapss(text, min_cycles=1)
    except InvalidInput as exc:  # refused: then with at least one problem named
        problems = list(exc.problems)
        assert problems
    else:
        assert all(np.all(np.diff(u.cycles) > 0) for u in fleet.units)
