"""A plant admin changes work centers' capacity: all or nothing, every problem named, and a
later install of the sample reference data does not undo it."""

from __future__ import annotations

import pytest

from openfab.errors import Forbidden, InvalidInput
from openfab.platform import Platform
from tests.conftest import PLANT, TenantPeople


def test_capacity_changes_and_survives_a_later_install(platform: Platform) -> None:
    platform.catalog.install_reference_data(PLANT)
    before = platform.catalog.reference().work_centers["paint_line"]
    changed = platform.catalog.set_capacity(PLANT, {"paint_line": (before.machines + 1, 24.0)})
    assert changed.work_centers["paint_line"].machines == before.machines + 1
    assert changed.work_centers["paint_line"].hours_per_day == 24.0
    platform.catalog.install_reference_data(PLANT)  # a new brand installs the samples
    assert platform.catalog.reference().work_centers["paint_line"].machines == before.machines + 1
    platform.catalog.set_capacity(PLANT, {"paint_line": (before.machines, before.hours_per_day)})


def test_bad_capacity_names_every_problem_and_changes_nothing(platform: Platform) -> None:
    platform.catalog.install_reference_data(PLANT)
    before = platform.catalog.reference().work_centers
    with pytest.raises(InvalidInput) as caught:
        platform.catalog.set_capacity(
            PLANT, {"paint_line": (0, 25.0), "no_such_center": (3, 8.0), "foaming": (2, 16.0)}
        )
    fields = {p.loc for p in caught.value.problems}
    assert fields == {"paint_line.machines", "paint_line.hours_per_day", "no_such_center"}
    assert platform.catalog.reference().work_centers == before  # foaming untouched too


def test_only_the_plants_admin_changes_capacity(platform: Platform, tenant: TenantPeople) -> None:
    with pytest.raises(Forbidden):
        platform.catalog.set_capacity(tenant.planner, {"paint_line": (1, 8.0)})
