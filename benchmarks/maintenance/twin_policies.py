"""Predictive vs run-to-failure vs time-based preventive maintenance on the twin's physics,
same seeds (common random numbers), one machine per work center of the sample plant.

Wiring the whole product loop into the SimPy twin (orders, plan, one-minute telemetry,
database) for months of simulated time is too slow on this 2-core machine, so this replays
the twin's own physics per machine, one step per hour (like ``twin_fleet.py``): wear grows by
the work center's ``wear_rate`` x load x running share; a failure comes when the Weibull wear
hazard (``twin.physics.wear_hazard``) has used up an Exp(1) budget, or at the wear-independent
random rate; a repair takes the twin's repair time and removes ``repair_restores`` of the wear;
a maintenance stop (90 min) removes all wear. Sensors are the hourly running means of the
twin's vibration, temperature and current with its noise.

Policies (the same machines, loads and failure budgets in each):

- **run-to-failure**: never maintained, repaired when it fails;
- **time-based**: maintained every ``T`` running hours; ``T`` is chosen on the *training*
  seeds, twice: the interval with the lowest cost (stops x ``STOP`` + failures x
  ``FAILURE_COST``, the autopilot's prices), and the shortest-stops interval that prevents
  >= 80 % of the failures there ("time@80");
- **predictive**: the product's engine (:func:`openfab.maintenance.machine_health.assess`)
  every 12 h on the machine's telemetry since its last stop, the drift measured from the
  healthy level recorded after its last full maintenance (a repair only removes part of the
  wear). The drift at failure is a Weibull fitted on the run-to-failure lives of the
  training seeds (:func:`~openfab.maintenance.machine_health.fit_failure_level`); the
  machine is maintained at the next hour when its chance of failing before the next
  assessment (13 h) passes :func:`~openfab.maintenance.machine_health.act_threshold` for
  its age since the last maintenance and the autopilot's prices. Nothing is tuned on the
  seeds it is evaluated on.

"Failures prevented" = 1 - failures / run-to-failure's failures on the same seed; the
wear-independent random failures stay in both counts (the wear-only share is shown too).
A maintenance stop is a *false alarm* when, left alone, the machine would have run more than
a week (168 running hours, at its mean load) before its wear-driven failure.

Usage: ``python benchmarks/maintenance/twin_policies.py [--days 30] [--train 1] [--seeds 2 3 4]``
"""

from __future__ import annotations

import argparse
import json
import math
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from openfab.autopilot.maintenance import FAILURE_COST, STOP
from openfab.maintenance.machine_health import (
    HealthOptions,
    act_threshold,
    assess,
    fit_failure_level,
)
from openfab.twin import MachineState, TwinConfig, physics, sample_layout

LOADS = (0.8, 1.0, 1.2)
STOP_HOURS = 1.5
ASSESS_EVERY = 12
NEXT_CHANCE = ASSESS_EVERY + 1.0
"""Hours until the next chance to stop: the next assessment, plus an hour to stage it."""
STOP_COST = STOP.total_seconds() / 60
FALSE_ALARM_HOURS = 168.0
RESULTS = Path(__file__).parent / "results"


@dataclass
class Tally:
    failures: int = 0
    wear_failures: int = 0
    downtime_hours: float = 0.0
    maintenance_stops: int = 0
    maintenance_hours: float = 0.0
    false_alarms: int = 0
    lives: list[tuple[float, float, bool]] = field(default_factory=list)
    """(drift when first judged, drift at the end, ended in a wear failure) per life."""


def centers() -> list[object]:
    return [wc for a in sample_layout().areas for line in a.lines for wc in line.work_centers]


def simulate(
    wc: object, seed: int, hours: int, policy: str, *, interval: float = 0.0,
    options: HealthOptions | None = None,
) -> Tally:  # fmt: skip
    cfg = TwinConfig()
    rate = float(wc.wear_rate)  # type: ignore[attr-defined]
    kw = wc.kw[MachineState.RUNNING]  # type: ignore[attr-defined]
    running = physics.STATE_INDEX[MachineState.RUNNING]
    code = zlib.crc32(wc.code.encode()) % 10_000  # type: ignore[attr-defined]
    world = np.random.default_rng([seed, code, 1])  # loads, shares, noise: per hour
    loads = world.choice(LOADS, hours)
    shares = world.uniform(0.5, 0.95, hours)
    noise = world.standard_normal((hours, 3))
    budgets = np.random.default_rng([seed, code, 2]).exponential(size=10_000)
    randoms = np.random.default_rng([seed, code, 3]).exponential(size=10_000)
    repairs = np.random.default_rng([seed, code, 4]).lognormal(
        math.log(cfg.repair_minutes / 60), cfg.repair_sigma, 10_000
    )
    wear = cfg.initial_wear + cfg.initial_wear_spread * np.random.default_rng([seed, code]).random()
    life, budget, random_budget = 0, budgets[0], randoms[0]
    tally = Tally()
    since: list[tuple[float, float, float]] = []
    hours_since = 0.0  # running hours since the last stop of any kind (time-based)
    age = 0.0  # running hours since the last maintenance (renewal)
    reference: np.ndarray | None = None  # healthy level after the last maintenance
    first_drift: float | None = None
    t = 0
    while t < hours:
        load, share = float(loads[t]), float(shares[t])
        before = wear
        wear += rate * load * share
        budget -= physics.wear_hazard(wear, load, cfg) - physics.wear_hazard(before, load, cfg)
        random_budget -= cfg.random_failures_per_hour * share
        vib, temp, amps = physics.signals(
            np.array([running]), np.array([wear]), np.array([load]), np.array([kw * load])
        )
        n = noise[t] / np.sqrt(60 * share)
        since.append((float(vib[0]) * (1 + 0.08 * n[0]), float(temp[0]) + 0.3 * n[1],
                      float(amps[0]) * (1 + 0.02 * n[2])))  # fmt: skip
        hours_since += share
        age += share
        t += 1
        if budget <= 0 or random_budget <= 0:  # a breakdown
            tally.failures += 1
            tally.wear_failures += int(budget <= 0)
            if policy == "observe" and first_drift is not None and len(since) >= 12:
                values = np.array(since)
                a = assess(np.arange(len(values)) * 60.0, values, options=options,
                           reference=reference)  # fmt: skip
                tally.lives.append((first_drift, max(a.level, first_drift), budget <= 0))
            first_drift = None
            down = float(repairs[tally.failures % len(repairs)])
            tally.downtime_hours += down
            t += math.ceil(down)
            wear *= 1 - cfg.repair_restores
            life += 1
            budget, random_budget = budgets[life], randoms[life]
            since, hours_since = [], 0.0
            continue
        maintain = False
        if policy == "time" and hours_since >= interval:
            maintain = True
        elif policy in ("predictive", "observe") and t % ASSESS_EVERY == 0 and len(since) >= 12:
            values = np.array(since)
            a = assess(np.arange(len(values)) * 60.0, values, options=options,
                       reference=reference)  # fmt: skip
            if not a.enough:
                continue
            if reference is None:
                reference = np.array(a.reference)
            if first_drift is None:
                first_drift = a.level
            chance = a.failure_probability(NEXT_CHANCE)
            due = act_threshold(age, NEXT_CHANCE, stop_cost=STOP_COST, failure_cost=FAILURE_COST)
            maintain = policy == "predictive" and chance >= due
        if maintain:
            tally.maintenance_stops += 1
            tally.maintenance_hours += STOP_HOURS
            left = _hours_left(wear, budget, rate, cfg)
            tally.false_alarms += int(left > FALSE_ALARM_HOURS)
            wear = 0.0
            t += math.ceil(STOP_HOURS)
            life += 1
            budget, random_budget = budgets[life], randoms[life]
            since, hours_since, age, reference, first_drift = [], 0.0, 0.0, None, None
    if policy == "observe" and first_drift is not None and len(since) >= 12:
        values = np.array(since)
        a = assess(np.arange(len(values)) * 60.0, values, options=options, reference=reference)
        tally.lives.append((first_drift, max(a.level, first_drift), False))
    return tally


def _hours_left(wear: float, budget: float, rate: float, cfg: TwinConfig) -> float:
    """Running hours until the wear failure, left alone at the mean load and share."""
    load, share = 1.0, 0.725
    fail = physics.wear_to_failure(wear, load, budget, cfg)
    return (fail - wear) / (rate * load * share) * share


def _cost(t: Tally) -> float:
    return t.maintenance_stops * STOP_COST + t.failures * FAILURE_COST


def _run(machines: list[object], seeds: list[int], hours: int, policy: str, **kw: object) -> Tally:
    total = Tally()
    for seed in seeds:
        for wc in machines:
            tl = simulate(wc, seed, hours, policy, **kw)  # type: ignore[arg-type]
            total.failures += tl.failures
            total.wear_failures += tl.wear_failures
            total.downtime_hours += tl.downtime_hours
            total.maintenance_stops += tl.maintenance_stops
            total.maintenance_hours += tl.maintenance_hours
            total.false_alarms += tl.false_alarms
            total.lives += tl.lives
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--train", type=int, nargs="+", default=[1])
    parser.add_argument("--seeds", type=int, nargs="+", default=[2, 3, 4])
    args = parser.parse_args()
    hours = args.days * 24
    began = time.perf_counter()
    machines = centers()
    train = list(args.train)
    base_options = HealthOptions(window_minutes=60.0)
    # training seeds only: the failure level (run-to-failure lives) and the time-based interval
    lives = _run(machines, train, hours, "observe", options=base_options).lives
    s0, s1, failed = (np.array(c) for c in zip(*lives, strict=True))
    level = fit_failure_level(s0, s1, failed)
    options = HealthOptions(window_minutes=60.0, fail_drift=level.median, fail_shape=level.shape)
    rtf_train = _run(machines, train, hours, "run-to-failure")
    sweep = []
    for interval in range(30, 401, 10):
        tl = _run(machines, train, hours, "time", interval=float(interval))
        sweep.append((float(interval), tl, 1 - tl.failures / max(rtf_train.failures, 1)))
    cheapest = min(sweep, key=lambda r: _cost(r[1]))[0]
    at80 = [r for r in sweep if r[2] >= 0.8]
    interval80 = max(at80, key=lambda r: r[0])[0] if at80 else sweep[0][0]
    trained_s = time.perf_counter() - began
    policies: dict[str, tuple[str, dict[str, object]]] = {
        "run-to-failure": ("run-to-failure", {}),
        "time (cheapest)": ("time", {"interval": cheapest}),
        "time@80": ("time", {"interval": interval80}),
        "predictive": ("predictive", {"options": options}),
    }
    out: dict[str, object] = {
        "days": args.days, "train_seeds": train, "seeds": args.seeds, "machines": len(machines),
        "failure_level": level.__dict__, "time_interval_cheapest_h": cheapest,
        "time_interval_80_h": interval80, "stop_cost_min": STOP_COST,
        "failure_cost_min": FAILURE_COST, "per_seed": {},
    }  # fmt: skip
    lines = [
        f"{len(machines)} machines x {args.days} days; trained on seeds {train} (failure level "
        f"Weibull median {level.median:.3f}, shape {level.shape:.2f}, {level.failures} "
        f"failures / {level.lives} lives; time-based every {cheapest:.0f} running h = cheapest, "
        f"{interval80:.0f} h = fewest stops preventing >= 80 % on training), evaluated on "
        f"seeds {args.seeds}; prices: stop {STOP_COST:.0f} min, failure {FAILURE_COST:.0f} min",
        "",
        "| seed | policy | failures (wear) | unplanned downtime h | maintenance stops | "
        "failures prevented (wear only) | false alarms | cost h |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for seed in args.seeds:
        rows = {
            name: _run(machines, [seed], hours, policy, **kw)
            for name, (policy, kw) in policies.items()
        }
        base = rows["run-to-failure"]
        seed_out = {}
        for name, r in rows.items():
            prevented = 1 - r.failures / base.failures if base.failures else 0.0
            wear_prev = 1 - r.wear_failures / base.wear_failures if base.wear_failures else 0.0
            seed_out[name] = {
                "failures": r.failures, "wear_failures": r.wear_failures,
                "unplanned_downtime_h": round(r.downtime_hours, 1),
                "maintenance_stops": r.maintenance_stops, "false_alarms": r.false_alarms,
                "failures_prevented": round(prevented, 3),
                "wear_failures_prevented": round(wear_prev, 3),
                "cost_h": round(_cost(r) / 60, 1),
            }  # fmt: skip
            lines.append(
                f"| {seed} | {name} | {r.failures} ({r.wear_failures}) | "
                f"{r.downtime_hours:.0f} | {r.maintenance_stops} | {prevented:.0%} "
                f"({wear_prev:.0%}) | {r.false_alarms} | {_cost(r) / 60:.0f} |"
            )
        out["per_seed"][str(seed)] = seed_out  # type: ignore[index]
    out["seconds"] = round(time.perf_counter() - began, 1)
    lines.append(f"\ntraining {trained_s:.0f} s, wall {time.perf_counter() - began:.0f} s")
    print("\n".join(lines))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "twin_policies.json").write_text(json.dumps(out, indent=2) + "\n")
    (RESULTS / "twin_policies.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
