"""Energy by machine state, and rooftop solar supplying part of it."""

from __future__ import annotations

import numpy as np
import pytest

from openfab.twin import (
    EnergySample,
    ListSink,
    MachineState,
    PlantLayout,
    ProductionPlan,
    Twin,
    TwinConfig,
)
from openfab.twin.energy import SolarProfile
from tests.twin.conftest import chain_plan, quiet


def test_solar_follows_the_sun() -> None:
    solar = SolarProfile(100.0, TwinConfig(), np.random.default_rng(0))
    assert solar.power_kw(3 * 60) == 0.0  # 03:00
    assert solar.power_kw(23 * 60) == 0.0
    assert 0 < solar.power_kw(13 * 60) <= 100.0
    assert solar.power_kw(13 * 60) > solar.power_kw(8 * 60)
    days = [solar.energy_kwh(d * 1440, (d + 1) * 1440, steps=96) for d in range(10)]
    assert len(set(days)) == 10  # cloudiness differs day by day


def test_idle_plant_draws_idle_power(small_layout: PlantLayout) -> None:
    sink = ListSink()
    result = Twin(small_layout, config=quiet(), sink=sink).run(ProductionPlan(), 600)
    idle_kw = sum(i.work_center.kw[MachineState.IDLE] for i in small_layout.machines.values())
    assert result.energy_kwh == pytest.approx(idle_kw * 10)
    plant = [e for e in sink.of(EnergySample) if e.machine is None]
    assert len(plant) == 9  # on the hour, 01:00 to 09:00: 10:00 is the next step's
    assert sum(e.solar_kwh for e in plant) == pytest.approx(result.solar_kwh)
    for e in plant:
        assert e.solar_kwh == pytest.approx(min(e.pv_kwh, e.consumed_kwh))


def test_running_costs_energy_and_units_carry_it(small_layout: PlantLayout) -> None:
    idle = Twin(small_layout, config=quiet()).run(ProductionPlan(), 1200)
    busy = Twin(small_layout, config=quiet()).run(chain_plan(20), 1200)
    assert busy.energy_kwh > idle.energy_kwh
    assert busy.energy_per_unit_kwh > 0
    assert 0 <= busy.solar_share <= 1
