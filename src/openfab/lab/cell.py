"""The virtual battery cell: a PyBaMM model (bundled ``Chen2020`` parameters, offline) that
turns a cell engineer's design into what the lab would measure.

Per design two simulations run: a 1C discharge from full (capacity, energy → Wh/kg and Wh/L
of the cell stack: electrodes, separator, current collectors, electrolyte in the pores) and
a constant-current charge at ``charge_rate`` C from empty (fast-charge acceptance: the share
of the capacity taken before the voltage limit; lithium-plating margin: the lowest
solid-electrolyte potential difference at the anode/separator interface, < 0 V means plating).
A simulation that fails to converge is a failed experiment, not a crash.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from openfab.lab.experiments import Experiment, design_key
from openfab.lab.space import Value
from openfab.lab.study import Study, parse_study

log = logging.getLogger(__name__)
CellModel = Literal["SPM", "SPMe", "DFN"]
ELECTROLYTE_DENSITY = 1280.0  # kg/m³, LiPF6 in EC:EMC (Chen2020 has none)


@dataclass(frozen=True)
class CellVariable:
    name: str
    low: float
    high: float
    default: float
    unit: str
    pybamm: str
    scale: float = 1.0  # value in ``unit`` × scale = SI value PyBaMM takes


CELL_VARIABLES: tuple[CellVariable, ...] = (
    CellVariable("pos_thickness", 40, 120, 75.6, "µm", "Positive electrode thickness [m]", 1e-6),
    CellVariable("neg_thickness", 40, 130, 85.2, "µm", "Negative electrode thickness [m]", 1e-6),
    CellVariable("pos_porosity", 0.2, 0.45, 0.335, "", "Positive electrode porosity"),
    CellVariable("neg_porosity", 0.2, 0.45, 0.25, "", "Negative electrode porosity"),
    CellVariable("pos_radius", 2, 12, 5.22, "µm", "Positive particle radius [m]", 1e-6),
    CellVariable("neg_radius", 2, 12, 5.86, "µm", "Negative particle radius [m]", 1e-6),
    CellVariable(
        "pos_active_fraction",
        0.5,
        0.8,
        0.665,
        "",
        "Positive electrode active material volume fraction",
    ),
    CellVariable(
        "electrolyte_conc",
        600,
        1600,
        1000,
        "mol/m³",
        "Initial concentration in electrolyte [mol.m-3]",
    ),
)
VARIABLES = {v.name: v for v in CELL_VARIABLES}


@dataclass(frozen=True)
class CellResult:
    """What the virtual lab measured; ``failed`` with a reason when the model did not solve."""

    design: dict[str, float]
    wh_per_kg: float = math.nan
    wh_per_l: float = math.nan
    capacity_ah: float = math.nan
    fast_charge_acceptance: float = math.nan
    plating_margin_v: float = math.nan
    failed: bool = False
    reason: str = ""
    model: str = "DFN"
    charge_rate: float = 2.0
    extra: dict[str, float] = field(default_factory=dict)

    def results(self) -> dict[str, float]:
        return {
            "energy_density": self.wh_per_kg,
            "volumetric_energy": self.wh_per_l,
            "fast_charge": self.fast_charge_acceptance,
            "plating_margin": self.plating_margin_v,
        }

    def experiment(self) -> Experiment:
        values: dict[str, Value] = dict(self.design)
        if self.failed:
            return Experiment(values, {}, failed=True, note=self.reason[:200])
        return Experiment(values, self.results())


def full_design(overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """Defaults (Chen2020's LG M50 cell) with the given variables replaced; unknown names
    and values outside the ranges are refused with every problem named."""
    from openfab.errors import InvalidInput, ProblemCollector

    found = ProblemCollector()
    design = {v.name: v.default for v in CELL_VARIABLES}
    for name, value in (overrides or {}).items():
        var = VARIABLES.get(name)
        if var is None:
            found.add(name, f"unknown design variable; use one of {sorted(VARIABLES)}", "unknown")
        elif not isinstance(value, int | float) or not var.low <= float(value) <= var.high:
            found.add(name, f"{value!r} is outside [{var.low}, {var.high}] {var.unit}", "range")
        else:
            design[name] = float(value)
    found.raise_if_any("invalid cell design", InvalidInput)
    return design


class VirtualCell:
    """``VirtualCell(model="DFN").evaluate(design)``; results cached on disk by design hash."""

    def __init__(
        self,
        *,
        model: CellModel = "DFN",
        charge_rate: float = 2.0,
        cache_dir: Path | None = None,
    ) -> None:
        self.model = model
        self.charge_rate = charge_rate
        self.cache_dir = cache_dir

    def evaluate(self, design: Mapping[str, float] | None = None) -> CellResult:
        full = full_design(design)
        path = self._cache_path(full)
        if path is not None and path.exists():
            try:
                return CellResult(**json.loads(path.read_text()))
            except (OSError, ValueError, TypeError):
                log.warning("unreadable cache entry %s ignored", path)
        result = self._simulate(full)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(asdict(result)))
            tmp.replace(path)
        return result

    def _cache_path(self, design: Mapping[str, float]) -> Path | None:
        if self.cache_dir is None:
            return None
        tag = design_key({**design, "_model": self.model, "_rate": self.charge_rate})
        return self.cache_dir / f"{tag}.json"

    def _simulate(self, design: dict[str, float]) -> CellResult:
        try:
            return _simulate(design, self.model, self.charge_rate)
        except Exception as exc:
            log.info("cell simulation failed: %s", exc)
            reason = f"simulation failed: {type(exc).__name__}: {exc}"
            return CellResult(design, failed=True, reason=reason, model=self.model)


def _parameters(design: Mapping[str, float]) -> Any:
    import pybamm

    values = pybamm.ParameterValues("Chen2020")
    values.update({VARIABLES[k].pybamm: v * VARIABLES[k].scale for k, v in design.items()})
    return values


def _stack(values: Any) -> tuple[float, float]:
    """Mass (kg) and volume (m³) of one electrode stack of the cell's area."""
    area = values["Electrode height [m]"] * values["Electrode width [m]"]
    mass_per_area = 0.0
    thickness = 0.0
    for part in ("Negative electrode", "Separator", "Positive electrode"):
        t = values[f"{part} thickness [m]"]
        eps = values[f"{part} porosity"]
        mass_per_area += t * (
            (1 - eps) * values[f"{part} density [kg.m-3]"] + eps * ELECTROLYTE_DENSITY
        )
        thickness += t
    for side in ("Negative", "Positive"):
        t = values[f"{side} current collector thickness [m]"]
        mass_per_area += t * values[f"{side} current collector density [kg.m-3]"]
        thickness += t
    return mass_per_area * area, thickness * area


def _model(name: CellModel) -> Any:
    import pybamm

    return {
        "SPM": pybamm.lithium_ion.SPM,
        "SPMe": pybamm.lithium_ion.SPMe,
        "DFN": pybamm.lithium_ion.DFN,
    }[name]()


THRESHOLDS = {"energy_density": 200.0, "volumetric_energy": 500.0, "fast_charge": 0.0}
"""Worst values still worth having: the hypervolume's reference point."""
MESH = {"x_n": 12, "x_s": 6, "x_p": 12, "r_n": 12, "r_p": 12}


def _theoretical_capacity(values: Any) -> float:
    area = values["Electrode height [m]"] * values["Electrode width [m]"]
    caps = []
    for side, window in (("Negative", 0.85), ("Positive", 0.65)):
        volume = values[f"{side} electrode thickness [m]"] * area
        frac = values[f"{side} electrode active material volume fraction"]
        c_max = values[f"Maximum concentration in {side.lower()} electrode [mol.m-3]"]
        caps.append(float(volume * frac * c_max * window * 96485.33 / 3600))
    return min(caps)


def _simulate(design: dict[str, float], model: CellModel, rate: float) -> CellResult:
    import pybamm

    pybamm.set_logging_level("ERROR")
    values = _parameters(design)
    guess = _theoretical_capacity(values)
    values.update({"Nominal cell capacity [A.h]": guess, "Current function [A]": guess})
    sim = pybamm.Simulation(_model(model), parameter_values=values, var_pts=dict(MESH))
    sol = sim.solve([0, 2 * 3600], initial_soc=1.0)
    capacity = float(sol["Discharge capacity [A.h]"].entries[-1])
    voltage = np.asarray(sol["Voltage [V]"].entries)
    charge = np.asarray(sol["Discharge capacity [A.h]"].entries)
    energy = float(np.sum(0.5 * (voltage[1:] + voltage[:-1]) * np.diff(charge)))
    if not capacity > 0.05 * guess:
        raise RuntimeError(f"discharge stopped at {capacity:.3f} A.h")
    values = _parameters(design)
    values.update(
        {"Nominal cell capacity [A.h]": capacity, "Current function [A]": -rate * capacity}
    )
    sim = pybamm.Simulation(_model(model), parameter_values=values, var_pts=dict(MESH))
    sol = sim.solve([0, 1.2 * 3600 / rate], initial_soc=0.0)
    accepted = -float(sol["Discharge capacity [A.h]"].entries[-1])
    margin = float(
        np.min(
            sol[
                "Negative electrode surface potential difference at separator interface [V]"
            ].entries
        )
    )
    mass, volume = _stack(values)
    return CellResult(
        design=dict(design),
        wh_per_kg=energy / mass,
        wh_per_l=energy / (volume * 1000),
        capacity_ah=capacity,
        fast_charge_acceptance=min(accepted / capacity, 1.0),
        plating_margin_v=margin,
        model=model,
        charge_rate=rate,
    )


def cell_study(*, objectives: tuple[str, ...] = ("energy_density", "fast_charge")) -> Study:
    """The virtual cell as a study: every design variable, the chosen objectives (maximized)
    and the plating margin as an outcome constraint (>= 0 V)."""
    units = {"energy_density": "Wh/kg", "volumetric_energy": "Wh/L", "fast_charge": "share"}
    return parse_study(
        {
            "name": "virtual-cell",
            "description": "PyBaMM Chen2020 cell: energy density vs fast-charge acceptance",
            "parameters": [
                {"name": v.name, "type": "continuous", "low": v.low, "high": v.high, "unit": v.unit}
                for v in CELL_VARIABLES
            ],
            "objectives": [
                {
                    "name": o,
                    "goal": "maximize",
                    "unit": units.get(o, ""),
                    "threshold": THRESHOLDS[o],
                }
                for o in objectives
            ],
            "constraints": [
                {"type": "outcome", "property": "plating_margin", "min": 0.0, "unit": "V"}
            ],
        }
    )
