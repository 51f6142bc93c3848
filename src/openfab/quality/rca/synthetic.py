"""Generated genealogies with a known cause, to test and benchmark the ranking honestly.

A plant of six machines, twenty material lots from three suppliers, three shifts, four crews,
process parameters and hours since maintenance, plus filler factors that do nothing. One
cause (or none) raises the defect rate of the units it touches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from openfab.quality.rca.model import FactorValue, InspectedUnit

CauseKind = Literal["none", "machine", "lot", "parameter", "shift", "tool_wear", "supplier"]
CAUSES: tuple[CauseKind, ...] = ("machine", "lot", "parameter", "shift", "tool_wear", "supplier")


@dataclass(frozen=True)
class Truth:
    """The injected cause: which factor, and the level or the range it acts through."""

    kind: CauseKind
    factor: str | None
    level: str | None = None
    threshold: float | None = None


def genealogies(
    n: int = 1000,
    *,
    cause: CauseKind = "machine",
    seed: int = 0,
    base_rate: float = 0.02,
    risk: float = 6.0,
    fillers: int = 20,
    confound: bool = False,
) -> tuple[list[InspectedUnit], Truth]:
    """``n`` units; the cause multiplies the defect rate by ``risk`` on the units it touches.

    With ``confound`` every unit of lot L07 ran on machine M2 and M2 ran nothing else."""
    rng = np.random.default_rng(seed)
    machine = rng.choice([f"M{i}" for i in range(1, 7)], n)
    lot_idx = rng.integers(0, 20, n)
    lot = np.array([f"L{i + 1:02d}" for i in lot_idx])
    supplier = np.array([f"S{(i % 3) + 1}" for i in lot_idx])
    if confound:
        on_m2 = machine == "M2"
        lot[on_m2], supplier[on_m2] = "L07", "S1"
        lot[~on_m2 & (lot == "L07")] = "L08"
    shift = rng.choice(["early", "late", "night"], n)
    crew = rng.choice(list("ABCD"), n)
    temp = rng.normal(200.0, 3.0, n)
    pressure = rng.normal(5.0, 0.2, n)
    hours = rng.uniform(0.0, 300.0, n)
    exposed, truth = _exposure(cause, machine, lot, supplier, shift, temp, hours)
    p = np.where(exposed, min(1.0, base_rate * risk), base_rate)
    defect = rng.random(n) < p
    fill_num = rng.normal(0.0, 1.0, (fillers // 2, n))
    fill_cat = rng.integers(0, 4, (fillers - fillers // 2, n))
    units = []
    for i in range(n):
        f: dict[str, FactorValue] = {
            "machine": str(machine[i]),
            "material_lot": str(lot[i]),
            "supplier": str(supplier[i]),
            "shift": str(shift[i]),
            "crew": str(crew[i]),
            "temperature": float(temp[i]),
            "pressure": float(pressure[i]),
            "hours_since_maintenance": float(hours[i]),
        }
        for j, row in enumerate(fill_num):
            f[f"param_{j}"] = float(row[i])
        for j, row in enumerate(fill_cat):
            f[f"tag_{j}"] = f"t{row[i]}"
        units.append(InspectedUnit(f"U{i:05d}", bool(defect[i]), f))
    return units, truth


def _exposure(
    cause: CauseKind,
    machine: np.ndarray,
    lot: np.ndarray,
    supplier: np.ndarray,
    shift: np.ndarray,
    temp: np.ndarray,
    hours: np.ndarray,
) -> tuple[np.ndarray, Truth]:
    if cause == "machine":
        return machine == "M2", Truth(cause, "machine", level="M2")
    if cause == "lot":
        return lot == "L07", Truth(cause, "material_lot", level="L07")
    if cause == "supplier":
        return supplier == "S3", Truth(cause, "supplier", level="S3")
    if cause == "shift":
        return shift == "night", Truth(cause, "shift", level="night")
    if cause == "parameter":
        return temp > 204.0, Truth(cause, "temperature", threshold=204.0)  # top ~9 %
    if cause == "tool_wear":
        return hours > 240.0, Truth(cause, "hours_since_maintenance", threshold=240.0)
    return np.zeros(len(machine), dtype=bool), Truth("none", None)
