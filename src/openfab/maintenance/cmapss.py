"""Read and write run-to-failure CSVs in the NASA C-MAPSS column layout.

``unit,cycle,setting1,setting2,setting3,s1,...,sN`` with a header row (columns in any order,
N >= 1 sensors numbered without holes). A training file holds full lives (last cycle =
failure); a test file holds lives cut short.

Every problem is named with its line, all at once. What is harmless is repaired and counted
instead: an empty or ``nan`` sensor cell is a missing reading (the cleaner fills it), a row
repeated exactly is dropped, rows out of cycle order are sorted.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import defaultdict

import numpy as np

from openfab.errors import InvalidInput, Problem, ProblemCollector
from openfab.maintenance.series import SETTINGS, Fleet, UnitSeries

MAX_PROBLEMS = 100
"""Problems named one by one; beyond, one line says how many more (a garbage file would
otherwise print a million lines)."""
SENSOR = re.compile(r"^s([1-9][0-9]*)$")
MISSING = {"", "nan", "na", "null"}


def read_cmapss(text: str, *, min_cycles: int = 3, source: str = "csv") -> Fleet:
    """Parse ``text`` into a :class:`Fleet`; :class:`InvalidInput` naming every problem.

    ``min_cycles``: a unit with fewer cycles is refused (nothing to learn or predict from).
    """
    errors = ProblemCollector()
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise InvalidInput(f"{source} is empty", [_p("line 1", "no header row")])
    header = [c.strip() for c in rows[0]]
    sensors = _check_header(header, errors)
    if errors.problems:  # nothing after a bad header can be read reliably
        errors.raise_if_any(f"{source} does not have the C-MAPSS column layout")
    if len(rows) == 1:
        raise InvalidInput(f"{source} has no data rows", [_p("line 2", "no data rows")])
    index = {name: header.index(name) for name in header}
    order = ["unit", "cycle", *SETTINGS, *sensors]
    by_unit: dict[int, dict[int, tuple[int, list[float]]]] = defaultdict(dict)
    notes = {"missing_values": 0, "repeated_rows": 0, "reordered_units": 0}
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue  # a blank line
        parsed = _parse_row(row, line, len(header), index, order, errors, notes)
        if parsed is None:
            continue
        unit, cycle, values = parsed
        seen = by_unit[unit].get(cycle)
        if seen is None:
            by_unit[unit][cycle] = (line, values)
        elif np.array_equal(np.array(seen[1]), np.array(values), equal_nan=True):
            notes["repeated_rows"] += 1
        else:
            errors.add(
                f"line {line}",
                f"unit {unit} cycle {cycle} repeats line {seen[0]} with other values",
                "duplicate",
            )
    units = _units(by_unit, min_cycles, errors, notes)
    _raise(errors, source)
    return Fleet(tuple(units), tuple(sensors), notes)


def _check_header(header: list[str], errors: ProblemCollector) -> list[str]:
    sensors = sorted((h for h in header if SENSOR.match(h)), key=lambda h: int(h[1:]))
    for name in ["unit", "cycle", *SETTINGS]:
        if name not in header:
            errors.add("header", f"missing column {name!r}", "missing_column")
    if not sensors:
        errors.add("header", "no sensor columns (s1, s2, ...)", "missing_column")
    else:
        top = int(sensors[-1][1:])
        for k in range(1, top + 1):
            if f"s{k}" not in sensors:
                errors.add(
                    "header", f"missing column 's{k}' (sensors are s1..s{top})", "missing_column"
                )
    known = {"unit", "cycle", *SETTINGS, *sensors}
    for position, name in enumerate(header, start=1):
        if name not in known:
            errors.add("header", f"unexpected column {name!r} (column {position})", "extra_column")
    for name in sorted({h for h in header if header.count(h) > 1}):
        errors.add("header", f"column {name!r} appears {header.count(name)} times", "duplicate")
    return sensors


def _parse_row(
    row: list[str],
    line: int,
    width: int,
    index: dict[str, int],
    order: list[str],
    errors: ProblemCollector,
    notes: dict[str, int],
) -> tuple[int, int, list[float]] | None:
    if len(row) != width:
        errors.add(f"line {line}", f"{len(row)} cells, the header has {width}", "shape")
        return None
    ok = True
    values: list[float] = []
    ids: list[int] = []
    for name in order:
        cell = row[index[name]].strip()
        if name in ("unit", "cycle"):
            number = _integer(cell)
            if number is None or number < 0:
                what = "negative" if number is not None else "not a whole number"
                errors.add(f"line {line}", f"{name} {cell!r} is {what}", "bad_cell")
                ok = False
            else:
                ids.append(number)
            continue
        if cell.lower() in MISSING:
            notes["missing_values"] += 1
            values.append(math.nan)
            continue
        try:
            value = float(cell)
        except ValueError:
            value = math.inf
        if not math.isfinite(value):
            errors.add(f"line {line}", f"{name} {cell!r} is not a finite number", "bad_cell")
            ok = False
        values.append(value)
    return (ids[0], ids[1], values) if ok else None


def _integer(cell: str) -> int | None:
    try:
        value = float(cell)
    except ValueError:
        return None
    return int(value) if math.isfinite(value) and value == int(value) else None


def _units(
    by_unit: dict[int, dict[int, tuple[int, list[float]]]],
    min_cycles: int,
    errors: ProblemCollector,
    notes: dict[str, int],
) -> list[UnitSeries]:
    units = []
    for unit in sorted(by_unit):
        rows = by_unit[unit]
        cycles = list(rows)
        if cycles != sorted(cycles):
            notes["reordered_units"] += 1
        if len(cycles) < min_cycles:
            first = min(line for line, _ in rows.values())
            errors.add(
                f"unit {unit}",
                f"{len(cycles)} cycles (from line {first}), at least {min_cycles} needed",
                "too_short",
            )
            continue
        keys = sorted(cycles)
        data = np.array([rows[c][1] for c in keys], dtype=np.float64)
        units.append(UnitSeries(unit, np.array(keys, dtype=np.int64), data[:, :3], data[:, 3:]))
    return units


def _raise(errors: ProblemCollector, source: str) -> None:
    problems = errors.problems
    if not problems:
        return
    shown = problems[:MAX_PROBLEMS]
    if len(problems) > MAX_PROBLEMS:
        shown.append(_p("", f"... and {len(problems) - MAX_PROBLEMS} more problems"))
    raise InvalidInput(f"{source}: {len(problems)} problems", shown)


def _p(loc: str, msg: str) -> Problem:
    return Problem(loc, msg)


def write_cmapss(fleet: Fleet) -> str:
    """The fleet as C-MAPSS-layout CSV text (round-trips through :func:`read_cmapss`)."""
    out = io.StringIO()
    out.write(",".join(["unit", "cycle", *SETTINGS, *fleet.sensor_names]) + "\n")
    for u in fleet.units:
        for i, cycle in enumerate(u.cycles):
            cells = [*u.settings[i], *u.sensors[i]]
            text = ",".join("" if math.isnan(v) else f"{v:.6g}" for v in cells)
            out.write(f"{u.unit},{int(cycle)},{text}\n")
    return out.getvalue()
