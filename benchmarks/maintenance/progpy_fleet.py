"""A run-to-failure fleet from NASA progpy's centrifugal pump model (offline, benchmark only).

Each unit is a pump with its own impeller and bearing wear rates (unit-to-unit variation) and
its own starting wear; every cycle (``cycle_s`` simulated seconds) it runs in one of
``regimes`` operating points (speed, discharge pressure, ambient temperature: the settings).
The sensors are the model's outputs (speed, flow, three temperatures) with measurement
noise. A unit's life ends at the first of progpy's failure events (impeller worn, oil or a
bearing overheated); the cycle of that event is the failure.
"""

from __future__ import annotations

import warnings

import numpy as np

from openfab.maintenance.series import Fleet, UnitSeries

OUTPUTS = ("w", "Qout", "Tt", "Tr", "To")
NOISE = {"w": 0.5, "Qout": 2e-4, "Tt": 0.3, "Tr": 0.3, "To": 0.3}


def progpy_fleet(
    units: int, seed: int, *, regimes: int = 3, cycle_s: float = 60.0, dt: float = 2.0
) -> Fleet:
    warnings.filterwarnings("ignore", module="progpy")
    from progpy.models import CentrifugalPump

    rng = np.random.default_rng([seed, 9001])
    pump = CentrifugalPump(process_noise=0, measurement_noise=0)
    points = [
        (471.2389 * f, 928654 * p, 290.0 + a)
        for f, p, a in zip(
            rng.uniform(0.9, 1.1, regimes),
            rng.uniform(0.95, 1.05, regimes),
            rng.uniform(-5, 10, regimes),
            strict=True,
        )
    ]
    out = []
    for k in range(units):
        u0 = pump.InputContainer(
            {
                "Tamb": 290.0,
                "V": 471.2389,
                "pdisch": 928654,
                "psuc": 239179,
                "wsync": 471.2389 * 0.8,
            }
        )
        x0 = dict(pump.initialize(u0))
        x0["wA"] = 4.8e-2 * rng.lognormal(0, 0.3)
        x0["wRadial"] = 6.6e-11 * rng.lognormal(0, 0.3)
        x0["wThrust"] = 4.8e-11 * rng.lognormal(0, 0.3)
        x0["A"] = x0["A"] * (1 - rng.uniform(0, 0.05))
        schedule = rng.integers(0, regimes, 100_000)

        def load(t: float, x: object = None, sched: np.ndarray = schedule) -> object:
            v, pd, ta = points[int(sched[int(t // cycle_s)])]
            return pump.InputContainer(
                {"Tamb": ta, "V": v, "pdisch": pd, "psuc": 239179, "wsync": v * 0.8}
            )

        x0 = pump.StateContainer(x0)
        sim = pump.simulate_to_threshold(load, x=x0, dt=dt, save_freq=cycle_s, horizon=3e5)
        t = np.array(sim.times)[1:]
        outputs = np.array([[float(o[name]) for name in OUTPUTS] for o in sim.outputs])[1:]
        outputs += rng.normal(0, [NOISE[n] for n in OUTPUTS], outputs.shape)
        cycles = np.arange(1, len(t) + 1, dtype=np.int64)
        settings = np.array([points[int(schedule[int(tt // cycle_s) - 1])] for tt in t])
        out.append(UnitSeries(k + 1, cycles, settings, outputs))
    return Fleet(tuple(out), tuple(f"s{i + 1}" for i in range(len(OUTPUTS))))


if __name__ == "__main__":
    import time

    start = time.perf_counter()
    fleet = progpy_fleet(4, 0)
    print(fleet.lives, f"{time.perf_counter() - start:.1f} s")
    print(fleet.units[0].sensors[[0, -1]])
