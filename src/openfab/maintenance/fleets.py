"""Simulated run-to-failure fleets in the C-MAPSS layout, for tests and benchmarks.

Like the turbofan data set: every cycle runs in one of a few operating regimes (the three
settings) that shift every sensor by far more than wear does; each unit starts with some
wear, degrades exponentially or by a power law at its own rate, and fails when its wear
reaches 1. Some sensors follow wear (with their own sign, gain and curvature), some are
noise only, some are constant. :func:`random_spec` draws all of that from a seed, so a method
can be checked on fleets it was never tuned on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from openfab.errors import ProblemCollector
from openfab.maintenance.series import Fleet, IntArray, UnitSeries

Shape = Literal["exponential", "power"]


@dataclass(frozen=True)
class FleetSpec:
    """How a simulated fleet degrades. Cycles are whole operating cycles (flights, shifts)."""

    units: int = 100
    sensors: int = 14
    informative: int = 8
    """Sensors that follow wear; of the rest, ``constant`` never move, the others are noise."""
    constant: int = 2
    regimes: int = 1
    mean_life: float = 220.0
    life_spread: float = 0.25
    """Unit-to-unit spread of the wear rate (log-normal sigma)."""
    initial_wear: float = 0.15
    """Units start with a uniform share of this much wear (not all are new)."""
    shape: Shape = "exponential"
    noise: float = 0.04
    """Sensor noise as a share of the sensor's wear signal at failure."""
    regime_offset: float = 8.0
    """Regime shifts in units of the wear signal at failure (C-MAPSS: large)."""

    def __post_init__(self) -> None:
        errors = ProblemCollector()
        if self.units < 1:
            errors.add("units", "must be >= 1")
        if self.sensors < 1 or not 0 <= self.informative + self.constant <= self.sensors:
            errors.add("sensors", "need sensors >= 1 and informative + constant <= sensors")
        if self.regimes < 1:
            errors.add("regimes", "must be >= 1")
        if self.mean_life < 20:
            errors.add("mean_life", "must be >= 20 cycles")
        if not 0 <= self.initial_wear < 0.8:
            errors.add("initial_wear", "must be within 0..0.8")
        for name in ("life_spread", "noise", "regime_offset"):
            if getattr(self, name) < 0:
                errors.add(name, "must be >= 0")
        errors.raise_if_any("invalid fleet spec")


def random_spec(seed: int, *, units: int = 100, regimes: int | None = None) -> FleetSpec:
    """A fleet spec drawn from ``seed``: sensor count, informative share, life, curvature,
    noise and regimes all vary (for checks on fleets nobody tuned on)."""
    rng = np.random.default_rng([seed, 7001])
    sensors = int(rng.integers(8, 22))
    informative = int(rng.integers(3, max(4, sensors * 2 // 3)))
    constant = int(rng.integers(0, min(3, sensors - informative) + 1))
    return FleetSpec(
        units=units,
        sensors=sensors,
        informative=informative,
        constant=constant,
        regimes=int(rng.choice([1, 3, 6])) if regimes is None else regimes,
        mean_life=float(rng.uniform(150, 320)),
        life_spread=float(rng.uniform(0.15, 0.35)),
        initial_wear=float(rng.uniform(0.05, 0.25)),
        shape="exponential" if rng.random() < 0.5 else "power",
        noise=float(rng.uniform(0.02, 0.08)),
        regime_offset=float(rng.uniform(3, 15)),
    )


def generate_fleet(spec: FleetSpec, seed: int, *, first_unit: int = 1) -> Fleet:
    """Full lives (last cycle = failure) of ``spec.units`` units, reproducible from ``seed``."""
    rng = np.random.default_rng([seed, 7002])
    plan = _Sensors.draw(spec, rng)
    units = tuple(_unit(spec, plan, first_unit + i, rng) for i in range(spec.units))
    return Fleet(units, tuple(f"s{k + 1}" for k in range(spec.sensors)))


def cut_short(fleet: Fleet, seed: int, *, min_cycles: int = 5) -> tuple[Fleet, IntArray]:
    """Each unit cut at a uniformly drawn cycle (a test fleet) and its true RUL there."""
    rng = np.random.default_rng([seed, 7003])
    units, rul = [], []
    for u in fleet.units:
        n = int(rng.integers(min(min_cycles, len(u)), len(u) + 1))
        units.append(u.head(n))
        rul.append(u.last_cycle - int(u.cycles[n - 1]))
    return Fleet(tuple(units), fleet.sensor_names), np.array(rul, dtype=np.int64)


@dataclass(frozen=True)
class _Sensors:
    gain: np.ndarray  # (s,) signal at wear 1; 0 = not informative
    curve: np.ndarray  # (s,) exponent of wear
    base: np.ndarray  # (s,) level when new
    offsets: np.ndarray  # (regimes, s) regime shifts
    settings: np.ndarray  # (regimes, 3)
    noise: np.ndarray  # (s,)

    @staticmethod
    def draw(spec: FleetSpec, rng: np.random.Generator) -> _Sensors:
        s = spec.sensors
        kinds = np.array(
            ["wear"] * spec.informative
            + ["const"] * spec.constant
            + ["noise"] * (s - spec.informative - spec.constant)
        )
        rng.shuffle(kinds)
        scale = rng.uniform(0.5, 50.0, s)  # sensors in different units (degC, psi, rpm ...)
        gain = np.where(kinds == "wear", scale * rng.choice([-1.0, 1.0], s), 0.0)
        offsets = spec.regime_offset * scale * rng.standard_normal((spec.regimes, s))
        offsets[:, kinds == "const"] = 0.0
        settings = np.column_stack(
            (
                rng.uniform(0, 42, spec.regimes),
                rng.uniform(0, 0.84, spec.regimes),
                rng.choice([60.0, 80.0, 100.0], spec.regimes),
            )
        )
        if spec.regimes == 1:
            settings[0] = (0.0, 0.0, 100.0)
        noise = np.where(kinds == "const", 0.0, spec.noise * scale)
        return _Sensors(
            gain,
            rng.uniform(1.0, 2.0, s),
            rng.uniform(10, 1000, s) * scale / 10,
            offsets,
            settings,
            noise,
        )


def _unit(spec: FleetSpec, plan: _Sensors, unit: int, rng: np.random.Generator) -> UnitSeries:
    w0 = spec.initial_wear * rng.random()
    life = spec.mean_life * float(np.exp(spec.life_spread * rng.standard_normal()))
    life = max(life, 15.0)
    t = np.arange(1, round(life) + 1, dtype=np.float64)
    x = t / t[-1]
    if spec.shape == "exponential":  # w(t) = w0 + (1 - w0) (e^{b x} - 1) / (e^b - 1)
        b = rng.uniform(3.0, 6.0)
        wear = w0 + (1 - w0) * np.expm1(b * x) / np.expm1(b)
    else:
        wear = w0 + (1 - w0) * x ** rng.uniform(1.5, 3.0)
    n = len(t)
    regime = rng.integers(0, spec.regimes, n)
    settings = plan.settings[regime] + rng.normal(0, [0.002, 0.0002, 0.0], (n, 3))
    sensors = (
        plan.base
        + plan.offsets[regime]
        + plan.gain * wear[:, None] ** plan.curve
        + plan.noise * rng.standard_normal((n, len(plan.gain)))
    )
    return UnitSeries(unit, t.astype(np.int64), settings, sensors)
