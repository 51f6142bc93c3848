"""Run-to-failure lives of the sample plant's machines, faithful to OpenFab's twin.

Running the whole twin (a SimPy plant with orders, materials and a one-minute telemetry
stream) with maintenance off until every machine has failed many times would take hours on
this machine, so this replays the twin's own physics per machine, one cycle per hour, with
the twin's functions and defaults (``twin.physics``, ``TwinConfig``, the sample layout):

- wear grows by the work center's ``wear_rate`` x load per running hour; machines start with
  ``initial_wear`` plus a uniform share of ``initial_wear_spread``;
- a failure comes when the Weibull wear hazard (``physics.wear_hazard``, load-dependent) has
  used up an Exp(1) budget, or at the wear-independent random rate — maintenance is off, so
  the first failure ends the life;
- sensors are the hourly means of the twin's vibration, housing temperature and phase current
  while running (``physics.signals``, the twin's noise averaged over the running minutes);
- settings: the hour's load (product mix), running share and the work center's wear rate.
"""

from __future__ import annotations

import numpy as np

from openfab.maintenance.series import Fleet, UnitSeries
from openfab.twin import MachineState, TwinConfig, physics, sample_layout

LOADS = (0.8, 1.0, 1.2)


def twin_fleet(units: int, seed: int) -> Fleet:
    return twin_lives(units, seed)[0]


def twin_lives(units: int, seed: int) -> tuple[Fleet, list[np.ndarray], list[object]]:
    """The fleet, each unit's true wear after every cycle and its work center (what an
    oracle would know: ``twin_oracle.py``)."""
    cfg = TwinConfig()
    rng = np.random.default_rng([seed, 9101])
    centers = [
        wc for area in sample_layout().areas for line in area.lines for wc in line.work_centers
    ]
    running = physics.STATE_INDEX[MachineState.RUNNING]
    out, wears, kinds = [], [], []
    for k in range(units):
        wc = centers[k % len(centers)]
        path: list[float] = []
        kw = wc.kw[MachineState.RUNNING]
        wear = cfg.initial_wear + cfg.initial_wear_spread * rng.random()
        budget, random_budget = rng.exponential(), rng.exponential()
        rows: list[tuple[float, float, float, float, float, float]] = []
        while len(rows) < 5000:
            load = float(rng.choice(LOADS))
            share = float(rng.uniform(0.5, 0.95))
            before = wear
            wear += wc.wear_rate * load * share
            budget -= physics.wear_hazard(wear, load, cfg) - physics.wear_hazard(before, load, cfg)
            random_budget -= cfg.random_failures_per_hour * share
            minutes = 60 * share
            vib, temp, amps = physics.signals(
                np.array([running]), np.array([wear]), np.array([load]), np.array([kw * load])
            )
            noise = rng.standard_normal(3) / np.sqrt(minutes)
            path.append(wear)
            rows.append(
                (
                    load,
                    share,
                    wc.wear_rate,
                    float(vib[0]) * (1 + 0.08 * noise[0]),
                    float(temp[0]) + 0.3 * noise[1],
                    float(amps[0]) * (1 + 0.02 * noise[2]),
                )
            )
            if budget <= 0 or random_budget <= 0:
                break
        data = np.array(rows)
        cycles = np.arange(1, len(data) + 1, dtype=np.int64)
        out.append(UnitSeries(k + 1, cycles, data[:, :3], data[:, 3:]))
        wears.append(np.array(path))
        kinds.append(wc)
    return Fleet(tuple(out), ("s1", "s2", "s3")), wears, kinds


if __name__ == "__main__":
    fleet = twin_fleet(40, 0)
    print(np.sort(fleet.lives), fleet.lives.mean())
