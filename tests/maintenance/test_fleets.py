"""Simulated fleets: reproducible, C-MAPSS-shaped, and checked specs."""

from __future__ import annotations

import numpy as np
import pytest

from openfab.errors import InvalidInput
from openfab.maintenance.fleets import FleetSpec, cut_short, generate_fleet, random_spec


def test_same_seed_same_fleet_other_seed_other_fleet() -> None:
    spec = FleetSpec(units=5, regimes=3)
    a, b, c = generate_fleet(spec, 1), generate_fleet(spec, 1), generate_fleet(spec, 2)
    np.testing.assert_array_equal(a.units[0].sensors, b.units[0].sensors)
    assert not np.array_equal(a.lives, c.lives)


@pytest.mark.parametrize("seed", range(6))
def test_random_specs_are_valid_and_vary(seed: int) -> None:
    spec = random_spec(seed, units=4)
    fleet = generate_fleet(spec, seed)
    assert len(fleet) == 4 and len(fleet.sensor_names) == spec.sensors
    assert all(u.cycles[0] == 1 and np.all(np.diff(u.cycles) == 1) for u in fleet.units)


def test_cut_short_gives_the_true_rul() -> None:
    fleet = generate_fleet(FleetSpec(units=10), 3)
    cut, rul = cut_short(fleet, 0)
    for full, short, r in zip(fleet.units, cut.units, rul, strict=True):
        assert full.last_cycle - short.last_cycle == r >= 0


def test_bad_spec_names_every_problem() -> None:
    with pytest.raises(InvalidInput) as err:
        FleetSpec(units=0, regimes=0, noise=-1)
    assert {p.loc for p in err.value.problems} == {"units", "regimes", "noise"}
