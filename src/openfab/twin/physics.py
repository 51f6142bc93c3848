"""The twin's physical models as pure functions: hazard, failure time, defects, signals.

Kept apart from the simulator so each can be tested and plotted on its own.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from openfab.twin.config import TwinConfig
from openfab.twin.layout import MachineState

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
SIGNALS = ("vibration", "temperature", "current")
SIGNAL_UNITS = ("mm/s", "degC", "A")
STATE_CODES = tuple(MachineState)
STATE_INDEX = {s: i for i, s in enumerate(STATE_CODES)}
VIBRATION = {  # mm/s RMS at no wear
    MachineState.RUNNING: 2.2,
    MachineState.SETUP: 0.9,
    MachineState.IDLE: 0.3,
    MachineState.DOWN: 0.05,
    MachineState.MAINTENANCE: 0.05,
}
VIBRATION_BY_CODE = np.array([VIBRATION[s] for s in STATE_CODES])
HEAT = {MachineState.RUNNING: 18.0, MachineState.SETUP: 6.0, MachineState.IDLE: 3.0}
HEAT_BY_CODE = np.array([HEAT.get(s, 0.0) for s in STATE_CODES])
AMBIENT_C = 24.0
VOLTS = 400.0 * math.sqrt(3)


def hazard_rate(wear: float, load: float, wear_rate_per_hour: float, cfg: TwinConfig) -> float:
    """Failures per running hour at ``wear`` and ``load`` (grows with both)."""
    k, eta = cfg.weibull_shape, cfg.wear_scale
    per_wear = load**cfg.load_exponent * k / eta * (max(wear, 0.0) / eta) ** (k - 1)
    return float(per_wear * wear_rate_per_hour * load + cfg.random_failures_per_hour)


def wear_hazard(wear: float, load: float, cfg: TwinConfig) -> float:
    """Cumulative wear hazard from new to ``wear`` at a constant ``load``."""
    return float(load**cfg.load_exponent * (max(wear, 0.0) / cfg.wear_scale) ** cfg.weibull_shape)


def wear_to_failure(wear: float, load: float, budget: float, cfg: TwinConfig) -> float:
    """The wear at which ``budget`` more wear hazard has accrued, running at ``load``."""
    scaled = (
        budget / load**cfg.load_exponent + (max(wear, 0.0) / cfg.wear_scale) ** cfg.weibull_shape
    )
    return float(cfg.wear_scale * scaled ** (1.0 / cfg.weibull_shape))


def defect_probability(deviation: float, cfg: TwinConfig) -> float:
    """Chance of a defect per unit and operation, logistic in the deviation (tolerances)."""
    return float(1.0 / (1.0 + math.exp(-(cfg.defect_logit + cfg.defect_slope * deviation))))


def signals(
    codes: FloatArray | IntArray,
    wear: FloatArray,
    load: FloatArray,
    kw: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Noise-free vibration (mm/s RMS), target housing temperature (degC) and phase current
    (A) of machines in states ``codes`` (indices into :data:`STATE_CODES`).

    Wear shows before a failure: bearings and guides get loud (vibration grows with wear
    squared), friction heats the housing and raises the current.
    """
    base = VIBRATION_BY_CODE[codes]
    vibration = np.where(base > 0.1, base * (1.0 + 2.5 * wear * wear), base)
    temperature = AMBIENT_C + HEAT_BY_CODE[codes] * load * (1.0 + 0.8 * wear)
    current = kw * 1000.0 / VOLTS * (1.0 + 0.35 * wear)
    return vibration, temperature, current
