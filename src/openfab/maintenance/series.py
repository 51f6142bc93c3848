"""Run-to-failure data as plain typed arrays: one :class:`UnitSeries` per unit (a machine or
an engine), a :class:`Fleet` of them sharing one sensor layout.

A *training* fleet holds full lives (its last cycle is the failure); a *test* fleet holds lives
cut short, whose remaining useful life (RUL) is to be predicted at the last cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from openfab.errors import ProblemCollector

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
SETTINGS = ("setting1", "setting2", "setting3")


@dataclass(frozen=True, eq=False)
class UnitSeries:
    """One unit's history: ``cycles`` (n,), operating ``settings`` (n, 3), ``sensors`` (n, s).

    NaN marks a missing reading; cycles are increasing once read or cleaned.
    """

    unit: int
    cycles: IntArray
    settings: FloatArray
    sensors: FloatArray

    def __post_init__(self) -> None:
        n = len(self.cycles)
        errors = ProblemCollector()
        if self.settings.shape != (n, len(SETTINGS)):
            errors.add("settings", f"shape {self.settings.shape}, expected ({n}, {len(SETTINGS)})")
        if self.sensors.ndim != 2 or self.sensors.shape[0] != n or self.sensors.shape[1] < 1:
            errors.add("sensors", f"shape {self.sensors.shape}, expected ({n}, >= 1)")
        errors.raise_if_any(f"unit {self.unit}: inconsistent arrays")

    def __len__(self) -> int:
        return len(self.cycles)

    @property
    def last_cycle(self) -> int:
        return int(self.cycles[-1])

    def head(self, n: int) -> UnitSeries:
        """The first ``n`` cycles (a life cut short)."""
        return UnitSeries(self.unit, self.cycles[:n], self.settings[:n], self.sensors[:n])


@dataclass(frozen=True, eq=False)
class Fleet:
    """Units with one sensor layout. ``notes`` counts what reading quietly repaired."""

    units: tuple[UnitSeries, ...]
    sensor_names: tuple[str, ...]
    notes: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        errors = ProblemCollector()
        if not self.units:
            errors.add("units", "a fleet needs at least one unit")
        ids = [u.unit for u in self.units]
        if len(set(ids)) != len(ids):
            errors.add("units", "unit ids repeat")
        for u in self.units:
            if u.sensors.shape[1] != len(self.sensor_names):
                errors.add(
                    f"unit {u.unit}",
                    f"{u.sensors.shape[1]} sensors, layout has {len(self.sensor_names)}",
                )
        errors.raise_if_any("invalid fleet")

    def __len__(self) -> int:
        return len(self.units)

    @property
    def lives(self) -> IntArray:
        """Last cycle of every unit (the failure cycle in a training fleet)."""
        return np.array([u.last_cycle for u in self.units], dtype=np.int64)

    def subset(self, indices: list[int] | IntArray) -> Fleet:
        return Fleet(tuple(self.units[int(i)] for i in indices), self.sensor_names)
