"""Sampling processes: telemetry of every machine, energy per machine and for the plant.

One SimPy process each for the whole plant (not one per machine), and telemetry computed
for all machines at once with numpy, so a week at a one-minute rate stays cheap.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from openfab.twin import physics
from openfab.twin.events import EnergySample, TelemetryBatch, TwinEvent
from openfab.twin.layout import MachineState
from openfab.twin.topics import site_topic

if TYPE_CHECKING:
    from openfab.twin.simulator import Twin

Process = Generator[simpy.Event, Any, None]


def telemetry_process(twin: Twin) -> Process:
    """Every period: vibration, temperature (a first-order lag) and current of all machines."""
    period = twin.cfg.telemetry_period
    machines = list(twin.machines.values())
    names = tuple(m.id for m in machines)
    topics = tuple(tuple(twin.topics[m.id][s] for s in physics.SIGNALS) for m in machines)
    batch_topic = site_topic(twin.layout.site, "telemetry")
    kw_table = np.array([[m.info.work_center.kw[s] for s in physics.STATE_CODES] for m in machines])
    rows = np.arange(len(machines))
    running = physics.STATE_INDEX[MachineState.RUNNING]
    temperature = np.full(len(machines), physics.AMBIENT_C)
    rng = twin.rng["telemetry"]
    decay = 1.0 - math.exp(-period / 20.0)
    count = len(machines)
    while True:
        yield twin.env.timeout(period)
        now = np.array([(m.code, m.wear, m.load) for m in machines])
        codes = now[:, 0].astype(np.int64)
        wear = now[:, 1]
        load = np.where(codes == running, now[:, 2], 1.0)
        vib, target, amps = physics.signals(codes, wear, load, kw_table[rows, codes] * load)
        temperature += (target - temperature) * decay
        noise = rng.standard_normal((count, 3))
        values = np.column_stack(
            (
                vib * (1 + 0.08 * noise[:, 0]),
                temperature + 0.3 * noise[:, 1],
                amps * (1 + 0.02 * noise[:, 2]),
            )
        )
        batch = TelemetryBatch(
            twin.message_id(),
            twin.time(twin.now),
            batch_topic,
            names,
            topics,
            physics.SIGNALS,
            physics.SIGNAL_UNITS,
            values,
            twin.prefix,
            twin.reserve_ids(values.size),
        )
        twin._seq += values.size
        if twin.cfg.telemetry_batches:
            twin.emit(batch)
        else:
            for reading in batch.readings():
                twin.emit(reading)


def energy_process(twin: Twin) -> Process:
    """Every period: energy per machine, and for the plant with the solar part of it."""
    period = twin.cfg.energy_period
    plant = site_topic(twin.layout.site, "energy")
    while True:
        yield twin.env.timeout(period)
        now = twin.now
        for m in twin.machines.values():
            twin.account(m)
        total = sum(m.period_kwh for m in twin.machines.values())
        pv = twin.solar.energy_kwh(now - period, now)
        used = min(pv, total)
        share = used / total if total > 0 else 0.0
        stamp = twin.time(now)
        for m in twin.machines.values():
            twin.emit(
                _energy_sample(
                    twin,
                    stamp,
                    twin.topics[m.id]["energy"],
                    m.id,
                    period,
                    m.period_kwh,
                    m.period_kwh * share,
                )
            )
            m.period_kwh = 0.0
        twin.emit(_energy_sample(twin, stamp, plant, None, period, total, used, pv))
        twin.energy["consumed"] += total
        twin.energy["solar"] += used
        twin.energy["pv"] += pv


def _energy_sample(
    twin: Twin,
    stamp: datetime,
    topic: str,
    machine: str | None,
    period: float,
    kwh: float,
    solar: float,
    pv: float = 0.0,
) -> TwinEvent:
    return EnergySample(twin.message_id(), stamp, topic, machine, period, kwh, solar, pv)
