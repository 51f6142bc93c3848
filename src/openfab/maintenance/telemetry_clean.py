"""Clean one unit's multivariate telemetry, and count every problem found.

What real machine telemetry does, and what is done about it (in this order):

- **clock jumps**: the cycle counter leaps (a reset, a clock set wrong) by more than
  ``max_gap`` cycles, forwards or backwards: later cycles are re-based to carry on one step
  after the last good one. Rows out of order within a segment are sorted.
- **duplicate cycles**: a cycle seen twice keeps its first row.
- **gaps**: cycles missing between neighbours are counted (not invented: the features use
  the rows that exist and the cycle number keeps the age right); missing readings (NaN,
  inf) are filled by interpolation within the same operating regime.
- **stuck sensors**: a run of identical readings far longer than the sensor's own repeats
  would explain is blanked (then filled).
- **unit changes**: a sensor that suddenly reads x1000 (or /1000), or 273.15 off (degC <-> K),
  is converted back to the unit it first read in (or, given a fleet-wide reference, the
  nearest to it).
  A change that reverts within ``min_run`` readings is a spike instead.
- **spikes**: a Hampel filter (rolling median +- ``spike_z`` robust standard deviations)
  within each regime, so a jump between regimes is never mistaken for a spike.

The result never holds NaN or inf for finite-or-missing input.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from openfab.maintenance.series import Fleet, FloatArray, IntArray, UnitSeries

KELVIN = 273.15
Labeller = Callable[[FloatArray], IntArray]


@dataclass(frozen=True)
class CleaningConfig:
    max_gap: int = 50
    """A forward step of more cycles than this is a clock jump, not missing cycles."""
    stuck_min: int = 6
    """Shortest run of identical readings that can count as a stuck sensor."""
    spike_z: float = 5.0
    spike_half_window: int = 3
    min_run: int = 3


@dataclass(frozen=True)
class CleaningReport:
    """What cleaning found and did, summed over units with ``+``."""

    rows: int = 0
    duplicate_cycles: int = 0
    reordered_rows: int = 0
    clock_jumps: int = 0
    missing_cycles: int = 0
    missing_values: int = 0
    stuck_runs: int = 0
    stuck_values: int = 0
    unit_changes: int = 0
    unit_change_values: int = 0
    spikes: int = 0
    dead_sensors: int = 0

    def __add__(self, other: CleaningReport) -> CleaningReport:
        return CleaningReport(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def clean_fleet(
    fleet: Fleet,
    *,
    labeller: Labeller | None = None,
    reference: FloatArray | None = None,
    config: CleaningConfig | None = None,
) -> tuple[Fleet, CleaningReport]:
    """:func:`clean_unit` on every unit; the reports summed."""
    units, report = [], CleaningReport()
    for u in fleet.units:
        cleaned, rep = clean_unit(u, labeller=labeller, reference=reference, config=config)
        units.append(cleaned)
        report = report + rep
    return Fleet(tuple(units), fleet.sensor_names, dict(fleet.notes)), report


def clean_unit(
    unit: UnitSeries,
    *,
    labeller: Labeller | None = None,
    reference: FloatArray | None = None,
    config: CleaningConfig | None = None,
) -> tuple[UnitSeries, CleaningReport]:
    """The unit cleaned, and what was wrong with it.

    ``labeller`` maps settings (n, 3) to operating-regime labels (default: one regime);
    ``reference`` (regimes, sensors) is the fleet's typical reading per regime, used to tell
    which unit a sensor should read in and to fill a sensor that never reported.
    """
    cfg = config or CleaningConfig()
    counts: dict[str, int] = {"rows": len(unit)}
    order, cycles = _clock(unit.cycles.astype(np.int64), cfg.max_gap, counts)
    settings = _finite(unit.settings[order], counts)
    sensors = _finite(unit.sensors[order], counts)
    settings = _fill_columns(settings, np.zeros(len(order), dtype=np.int64), None, counts)
    labels = labeller(settings) if labeller is not None else np.zeros(len(order), np.int64)
    for j in range(sensors.shape[1]):
        col = sensors[:, j]
        _stuck(col, cfg, counts)
        for r in np.unique(labels):
            idx = np.flatnonzero(labels == r)
            ref = _ref(reference, int(r), j)
            col[idx] = _unit_changes(col[idx], ref, cfg, counts)
            col[idx] = _hampel(col[idx], cfg, counts)
    sensors = _fill_columns(sensors, labels, reference, counts)
    cleaned = UnitSeries(unit.unit, cycles, settings, sensors)
    return cleaned, CleaningReport(**counts)


# -- cycles ---------------------------------------------------------------------------------
def _clock(raw: IntArray, max_gap: int, counts: dict[str, int]) -> tuple[IntArray, IntArray]:
    """Row order and re-based cycles: segments split at clock jumps, joined one step apart."""
    n = len(raw)
    if n == 0:
        return np.arange(0), raw
    diffs = np.diff(raw)
    step = int(np.median(diffs[diffs > 0])) if np.any(diffs > 0) else 1
    step = max(step, 1)
    breaks = np.flatnonzero(np.abs(diffs) > max_gap) + 1
    counts["clock_jumps"] = len(breaks)
    rebased = raw.astype(np.int64).copy()
    bounds = [0, *breaks.tolist(), n]
    end = None
    for a, b in itertools.pairwise(bounds):
        seg = rebased[a:b]
        if end is not None:
            seg += end + step - int(seg.min())
        end = int(seg.max())
    order = np.argsort(rebased, kind="stable")
    counts["reordered_rows"] = int(np.sum(order != np.arange(n)))
    sorted_cycles = rebased[order]
    keep = np.concatenate(([True], np.diff(sorted_cycles) != 0))
    counts["duplicate_cycles"] = int(n - keep.sum())
    order, cycles = order[keep], sorted_cycles[keep]
    gaps = np.diff(cycles) // step - 1
    counts["missing_cycles"] = int(gaps[gaps > 0].sum())
    return order, cycles


def _finite(values: FloatArray, counts: dict[str, int]) -> FloatArray:
    out = np.array(values, dtype=np.float64)
    bad = ~np.isfinite(out)
    counts["missing_values"] = counts.get("missing_values", 0) + int(bad.sum())
    out[bad] = np.nan
    return out


# -- one sensor ------------------------------------------------------------------------------
def _noise(v: FloatArray) -> float:
    """Robust noise scale from first differences (immune to trends and level shifts)."""
    d = np.abs(np.diff(v[~np.isnan(v)]))
    return float(1.4826 * np.median(d) / math.sqrt(2)) if len(d) else 0.0


def _stuck(col: FloatArray, cfg: CleaningConfig, counts: dict[str, int]) -> None:
    """Blank runs of identical readings much longer than the sensor's repeats explain."""
    ok = ~np.isnan(col)
    if ok.sum() < cfg.stuck_min + 2:
        return
    same = np.zeros(len(col), dtype=bool)
    same[1:] = (col[1:] == col[:-1]) & ok[1:] & ok[:-1]
    runs = _runs(same)
    if len(runs) == 1 and runs[0][1] - runs[0][0] + 1 >= int(ok.sum()) - 1:
        return  # constant all along: a sensor that never moves, not a stuck one
    pairs = max(int((ok[1:] & ok[:-1]).sum()), 1)
    for a, b in runs:
        length = b - a + 1  # equal pairs in the run
        if length + 1 < cfg.stuck_min:
            continue
        p_same = (same.sum() - length + 1) / pairs  # repeats outside this run (+1 prior)
        if length * math.log(max(p_same, 1e-300)) < math.log(1e-6):
            counts["stuck_runs"] = counts.get("stuck_runs", 0) + 1
            counts["stuck_values"] = counts.get("stuck_values", 0) + length
            col[a : b + 1] = np.nan


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (start, end) of each run of True."""
    padded = np.concatenate(([False], flags, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _unit_changes(
    v: FloatArray, ref: float | None, cfg: CleaningConfig, counts: dict[str, int]
) -> FloatArray:
    """Undo x1000 / /1000 / +-273.15 level changes; short excursions become spikes (NaN)."""
    idx = np.flatnonzero(~np.isnan(v))
    if len(idx) < 2:
        return v
    x = v[idx]
    sigma = max(_noise(x), 1e-12)
    if not np.any((np.abs(np.diff(x)) > 20 * sigma) & (x[:-1] * x[1:] > 0)):
        return v  # no step that could be a change of unit: skip the scan
    decade = np.zeros(len(x), dtype=np.int64)
    kelvin = np.zeros(len(x), dtype=np.int64)
    recent: list[float] = []  # the last steps, for the local noise
    for i in range(1, len(x)):  # steps compared in the units read so far
        a = x[i - 1] / 10.0 ** decade[i - 1] - KELVIN * kelvin[i - 1]
        b = x[i] / 10.0 ** decade[i - 1] - KELVIN * kelvin[i - 1]
        dec, kel = 0, 0
        jump = abs(b - a)
        local = sigma
        if jump > 20 * sigma and a * b > 0 and recent:  # a candidate: check the local noise
            local = max(sigma, 1.4826 * float(np.median(recent)) / math.sqrt(2))
        if jump > 20 * local and a * b > 0:
            ratio = math.log10(abs(b)) - math.log10(abs(a))
            if abs(abs(ratio) - 3) < 0.3:
                dec = 3 if ratio > 0 else -3
            elif abs(jump - KELVIN) < max(6 * local, 0.02 * KELVIN) and 20 * local < KELVIN:
                kel = 1 if b > a else -1
        if dec == 0 and kel == 0:
            recent = [*recent[-7:], jump]
        decade[i] = decade[i - 1] + dec
        kelvin[i] = kelvin[i - 1] + kel
    if not decade.any() and not kelvin.any():
        return v
    states = sorted({(int(d), int(k)) for d, k in zip(decade, kelvin, strict=True)})
    base = _base_state(x, decade, kelvin, states, ref)
    out = v.copy()
    for d, k in states:
        mask = (decade == d) & (kelvin == k)
        if (d, k) == base:
            continue
        where = idx[mask]
        if mask.sum() < cfg.min_run:
            counts["spikes"] = counts.get("spikes", 0) + int(mask.sum())
            out[where] = np.nan
            continue
        counts["unit_changes"] = counts.get("unit_changes", 0) + len(_runs(mask))
        counts["unit_change_values"] = counts.get("unit_change_values", 0) + int(mask.sum())
        out[where] = x[mask] / 10.0 ** (d - base[0]) - KELVIN * (k - base[1])
    return out


def _base_state(
    x: FloatArray,
    decade: IntArray,
    kelvin: IntArray,
    states: list[tuple[int, int]],
    ref: float | None,
) -> tuple[int, int]:
    """The state the sensor should read in: nearest the reference, else the first one read
    (a sensor is installed right and changes later)."""
    if ref is None or not math.isfinite(ref):
        return (int(decade[0]), int(kelvin[0]))

    def miss(s: tuple[int, int]) -> float:
        mask = (decade == s[0]) & (kelvin == s[1])
        return abs(float(np.median(x[mask])) - ref)

    return min(states, key=miss)


def _hampel(v: FloatArray, cfg: CleaningConfig, counts: dict[str, int]) -> FloatArray:
    """Blank readings further than ``spike_z`` robust sigmas from their rolling median."""
    h = cfg.spike_half_window
    idx = np.flatnonzero(~np.isnan(v))
    if len(idx) < 2 * h + 1:
        return v
    x = v[idx]
    padded = np.pad(x, h, mode="reflect")
    windows = sliding_window_view(padded, 2 * h + 1)
    med = np.median(windows, axis=1)
    mad = 1.4826 * np.median(np.abs(windows - med[:, None]), axis=1)
    floor = max(_noise(x), 1e-9 * max(float(np.max(np.abs(x))), 1.0))
    spikes = np.abs(x - med) > cfg.spike_z * np.maximum(mad, floor)
    if spikes.any():
        counts["spikes"] = counts.get("spikes", 0) + int(spikes.sum())
        out = v.copy()
        out[idx[spikes]] = np.nan
        return out
    return v


# -- filling ---------------------------------------------------------------------------------
def _ref(reference: FloatArray | None, regime: int, sensor: int) -> float | None:
    if reference is None or regime >= reference.shape[0]:
        return None
    return float(reference[regime, sensor])


def _fill_columns(
    values: FloatArray, labels: IntArray, reference: FloatArray | None, counts: dict[str, int]
) -> FloatArray:
    """Fill NaN by interpolation within each regime; a column with no reading at all gets
    the reference (or 0) and counts as a dead sensor."""
    out = values.copy()
    rows = np.arange(len(out))
    for j in range(out.shape[1]):
        col = out[:, j]
        if np.isnan(col).all():
            if len(col):
                counts["dead_sensors"] = counts.get("dead_sensors", 0) + 1
            for r in np.unique(labels):
                ref = _ref(reference, int(r), j)
                col[labels == r] = ref if ref is not None and math.isfinite(ref) else 0.0
            continue
        for r in np.unique(labels):
            idx = rows[labels == r]
            seg = col[idx]
            ok = ~np.isnan(seg)
            if ok.all():
                continue
            if ok.any():
                col[idx] = np.interp(idx, idx[ok], seg[ok])
            else:
                col[idx] = float(np.nanmedian(col))
    return out
