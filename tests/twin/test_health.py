"""Wear raises the failure hazard and shows in the signals first; drift raises defects."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openfab.twin import (
    ListSink,
    MachineState,
    MachineStateChanged,
    MaintenanceWindow,
    OperationFinished,
    PlantLayout,
    ProductionPlan,
    TelemetryBatch,
    Twin,
    TwinConfig,
    physics,
)
from tests.twin.conftest import chain_plan, quiet

CFG = TwinConfig()
wear = st.floats(0.0, 3.0)
load = st.floats(0.2, 3.0)


@given(wear, wear, load)
def test_hazard_grows_with_wear(a: float, b: float, lo: float) -> None:
    low, high = sorted((a, b))
    assert physics.hazard_rate(low, lo, 0.01, CFG) <= physics.hazard_rate(high, lo, 0.01, CFG)


@given(wear, load, load)
def test_hazard_grows_with_load(w: float, a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert physics.hazard_rate(w, low, 0.01, CFG) <= physics.hazard_rate(w, high, 0.01, CFG)


@given(wear, load, st.floats(0.001, 5.0))
def test_wear_to_failure_spends_exactly_the_budget(w: float, lo: float, budget: float) -> None:
    failing = physics.wear_to_failure(w, lo, budget, CFG)
    spent = physics.wear_hazard(failing, lo, CFG) - physics.wear_hazard(w, lo, CFG)
    assert failing >= w
    assert spent == pytest.approx(budget, rel=1e-6)


@given(st.floats(0, 5), st.floats(0, 5))
def test_defects_grow_with_deviation(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert physics.defect_probability(low, CFG) <= physics.defect_probability(high, CFG)


def failures(layout: PlantLayout, initial_wear: float, seeds: range) -> int:
    plan = chain_plan(60, minutes=20.0)
    cfg = quiet(initial_wear=initial_wear, random_failures_per_hour=0.0)
    return sum(
        sum(Twin(layout, seed=s, config=cfg).run(plan, 60 * 20 * 2).failures.values())
        for s in seeds
    )


def test_worn_machines_fail_more_often(small_layout: PlantLayout) -> None:
    """Same plan, same seeds: machines starting worn break down more than new ones."""
    new, worn = failures(small_layout, 0.0, range(8)), failures(small_layout, 1.2, range(8))
    assert worn > 2 * max(new, 1)


def test_failure_takes_the_machine_down_and_back(small_layout: PlantLayout) -> None:
    sink = ListSink()
    cfg = quiet(initial_wear=1.5, random_failures_per_hour=0.0)
    result = Twin(small_layout, seed=0, config=cfg, sink=sink).run(chain_plan(30), 5000)
    downs = [e for e in sink.of(MachineStateChanged) if e.state is MachineState.DOWN]
    assert downs and sum(result.failures.values()) == len(downs)
    for down in downs:
        assert down.reason == "failure" and down.operation is not None
        assert down.expected_end is not None and down.expected_end > down.time
    lost = sum(e.down_minutes for e in sink.of(OperationFinished))
    assert lost > 0
    assert result.operations_finished == 60  # every operation resumed after its repair
    spells = 0.0  # each Down until the machine's next state change: the unplanned downtime
    changes = sink.of(MachineStateChanged)
    for i, down in enumerate(changes):
        if down.state is MachineState.DOWN:
            after = next(e for e in changes[i + 1 :] if e.machine == down.machine)
            spells += (after.time - down.time).total_seconds() / 60
    assert sum(result.down_minutes.values()) == pytest.approx(spells)
    assert all(result.down_minutes[m] > 0 for m, n in result.failures.items() if n)


def test_wear_shows_in_vibration_temperature_and_current(small_layout: PlantLayout) -> None:
    """The same work on a worn machine: louder, hotter, more current (before it fails)."""

    def mean_signals(initial_wear: float) -> np.ndarray:
        sink = ListSink()
        cfg = TwinConfig(
            telemetry_period=1.0,
            initial_wear=initial_wear,
            initial_wear_spread=0.0,
            random_failures_per_hour=0.0,
            weibull_shape=50.0,  # no wear failure below wear 1: compare healthy running
            wear_scale=2.0,
        )
        Twin(small_layout, seed=3, config=cfg, sink=sink).run(chain_plan(20), 600)
        batches = sink.of(TelemetryBatch)
        mean: np.ndarray = np.mean([b.values[0] for b in batches[30:]], axis=0)
        return mean  # press-1, warmed up

    new, worn = mean_signals(0.0), mean_signals(0.8)
    assert worn[0] > 1.5 * new[0]  # vibration
    assert worn[1] > new[1] + 2.0  # temperature
    assert worn[2] > 1.1 * new[2]  # current


def defect_rate(layout: PlantLayout, drift_scale: float) -> float:
    cfg = quiet(drift_scale=drift_scale, random_failures_per_hour=0.0, initial_wear=0.0)
    plan = chain_plan(60, minutes=20.0, quantity=5)
    finished = []
    for seed in range(4):
        sink = ListSink()
        Twin(layout, seed=seed, config=cfg, sink=sink).run(plan, 3000)
        finished += sink.of(OperationFinished)
    units = sum(len(e.serials) for e in finished)
    return sum(len(e.defective) for e in finished) / units


def test_drift_raises_the_defect_rate(small_layout: PlantLayout) -> None:
    steady, drifting = defect_rate(small_layout, 0.0), defect_rate(small_layout, 12.0)
    assert steady < 0.02
    assert drifting > 3 * max(steady, 0.005)


def test_maintenance_resets_wear_and_recalibrates(small_layout: PlantLayout) -> None:
    sink = ListSink()
    cfg = quiet(initial_wear=0.5, random_failures_per_hour=0.0, weibull_shape=50.0, wear_scale=3.0)
    twin = Twin(small_layout, seed=1, config=cfg, sink=sink)
    twin.run(chain_plan(4), 300)
    before = twin.machine_status()["press-1"]
    assert before.wear > 0.5
    window = MaintenanceWindow("press-1", 300.0, 360.0)
    twin.submit(ProductionPlan(maintenance=(window,)))
    twin.advance(400)
    after = twin.machine_status()["press-1"]
    assert after.wear == 0.0 and after.maintenances == 1
    assert after.parameters["force_kn"] == pytest.approx(100.0)
    states = [(e.state, e.reason) for e in sink.of(MachineStateChanged) if e.machine == "press-1"]
    assert (MachineState.MAINTENANCE, "preventive") in states
    assert after.hazard_per_hour < before.hazard_per_hour


def test_adjusting_a_parameter_takes_effect(small_layout: PlantLayout) -> None:
    twin = Twin(small_layout, seed=1, config=quiet(drift_scale=10.0))
    twin.run(chain_plan(10), 400)
    twin.adjust_parameter("press-1", "force_kn", 101.0)
    assert twin.machine_status()["press-1"].parameters["force_kn"] == pytest.approx(101.0)
