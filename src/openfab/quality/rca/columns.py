"""Turn inspected units into columns, checking everything and naming every problem."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from openfab.errors import ProblemCollector
from openfab.quality.rca.model import Factor, FactorValue, InspectedUnit, RcaInputError

MAX_LISTED = 10
Outcome = Literal["defect", "measurement"]


@dataclass(frozen=True)
class Column:
    factor: Factor
    codes: NDArray[np.int64] | None
    """Categorical: index into ``levels``; -1 where unknown."""
    levels: tuple[str, ...]
    values: NDArray[np.float64] | None
    """Numeric: the value; NaN where unknown."""


@dataclass(frozen=True)
class Table:
    units: tuple[str, ...]
    defect: NDArray[np.bool_]
    measurement: NDArray[np.float64] | None
    columns: tuple[Column, ...]


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


NUMBER_TYPES = {int, float, np.float64, np.float32, np.int64, np.int32}


def _gather(units: Sequence[InspectedUnit]) -> dict[str, list[FactorValue]]:
    """Each factor's values in unit order (None where a unit does not record it): one pass."""
    cols: dict[str, list[FactorValue]] = {}
    n = len(units)
    for i, u in enumerate(units):
        for name, v in u.factors.items():
            col = cols.get(name)
            if col is None:
                col = cols[name] = [None] * n
            col[i] = v
    return cols


def _infer(name: str, raw: list[FactorValue]) -> Factor:
    kinds = set(map(type, raw)) - {type(None)}
    numeric = bool(kinds) and kinds <= NUMBER_TYPES
    return Factor(name, "numeric" if numeric else "categorical")


def _limited(pc: ProblemCollector, bad: list[tuple[str, str]], code: str) -> None:
    for loc, msg in bad[:MAX_LISTED]:
        pc.add(loc, msg, code)
    if len(bad) > MAX_LISTED:
        pc.add(bad[MAX_LISTED][0], f"and {len(bad) - MAX_LISTED} more like it", code)


def _numbers(factor: Factor, raw: list[FactorValue], pc: ProblemCollector) -> Column:
    if set(map(type, raw)) <= NUMBER_TYPES | {type(None)}:
        values = np.array(raw, dtype=float)  # None becomes NaN (unknown)
        bad_idx = np.flatnonzero(np.isinf(values))
    else:
        values = np.full(len(raw), np.nan)
        bad_list = []
        for i, v in enumerate(raw):
            if v is None:
                continue
            if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
                values[i] = float(v)
            else:
                bad_list.append(i)
        bad_idx = np.array(bad_list, dtype=int)
    _limited(
        pc,
        [
            (
                f"units[{i}].factors.{factor.name}",
                f"{raw[i]!r} is not a finite number (use None for unknown)",
            )
            for i in bad_idx
        ],
        "not_numeric",
    )
    return Column(factor, None, (), values)


def _column(factor: Factor, raw: list[FactorValue], pc: ProblemCollector) -> Column:
    if factor.kind == "numeric":
        return _numbers(factor, raw, pc)
    levels: dict[str, int] = {}
    codes = np.array(
        [-1 if v is None else levels.setdefault(str(v), len(levels)) for v in raw],
        dtype=np.int64,
    )
    return Column(factor, codes, tuple(levels), None)


def build(
    units: Sequence[InspectedUnit],
    factors: Sequence[Factor] | None,
    *,
    outcome: Outcome,
    defect_type: str | None,
) -> Table:
    """Columns for the units kept (with ``defect_type``: the good ones and that type only)."""
    pc = ProblemCollector()
    if not units:
        pc.add("units", "no inspected units given", "too_few")
    if outcome not in ("defect", "measurement"):
        pc.add("outcome", f"{outcome!r} is not 'defect' or 'measurement'", "invalid")
    if defect_type is not None:
        units = [u for u in units if not u.defect or u.defect_type == defect_type]
    seen: dict[str, int] = {}
    dupes = []
    for i, u in enumerate(units):
        if u.unit in seen:
            dupes.append((f"units[{i}]", f"unit {u.unit!r} also at units[{seen[u.unit]}]"))
        seen.setdefault(u.unit, i)
    _limited(pc, dupes, "duplicate")
    _limited(
        pc,
        [
            (f"units[{i}].defect", f"{u.defect!r} is not True or False")
            for i, u in enumerate(units)
            if not isinstance(u.defect, bool | np.bool_)
        ],
        "invalid",
    )
    raw = _gather(units)
    names = sorted(raw)
    given: Mapping[str, Factor] = {f.name: f for f in factors or ()}
    for f in given.values():
        if f.name not in names and units:
            pc.add(f"factors.{f.name}", "no unit records this factor", "unknown_factor")
        if f.kind not in ("categorical", "numeric"):
            pc.add(f"factors.{f.name}", f"kind {f.kind!r} is not categorical or numeric", "invalid")
    chosen = (
        [_infer(n, raw[n]) for n in names]
        if factors is None
        else [f for f in given.values() if f.name in names]
    )
    columns = tuple(_column(f, raw[f.name], pc) for f in chosen)
    if not columns and units:
        pc.add("factors", "the units record no genealogy factors", "too_few")
    measurement = None
    if outcome == "measurement":
        measurement = np.array(
            [math.nan if u.measurement is None else float(u.measurement) for u in units]
        )
        _limited(
            pc,
            [
                (f"units[{i}].measurement", "missing or not a finite number")
                for i in np.flatnonzero(~np.isfinite(measurement))
            ],
            "missing",
        )
    pc.raise_if_any("cannot analyse root causes", RcaInputError)
    return Table(
        tuple(u.unit for u in units),
        np.array([bool(u.defect) for u in units], dtype=bool),
        measurement,
        columns,
    )
