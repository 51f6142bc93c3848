"""Small simulated fleets shared by the maintenance tests (fixed seeds, fast)."""

from __future__ import annotations

import pytest

from openfab.maintenance.fleets import FleetSpec, generate_fleet
from openfab.maintenance.rul import RulModel, RulOptions
from openfab.maintenance.series import Fleet


@pytest.fixture(scope="session")
def small_fleet() -> Fleet:
    """60 units, one regime: 40 to train on, 20 held out."""
    return generate_fleet(FleetSpec(units=60, sensors=10, informative=6, mean_life=160), 11)


@pytest.fixture(scope="session")
def six_regime_fleet() -> Fleet:
    return generate_fleet(FleetSpec(units=20, regimes=6, mean_life=120), 12)


@pytest.fixture(scope="session")
def trained_gbm(small_fleet: Fleet) -> RulModel:
    return RulModel(RulOptions(max_iter=60)).fit(small_fleet.subset(range(40)))
