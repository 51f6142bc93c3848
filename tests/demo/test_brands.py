"""The demo's people exist once: a second run on the same database finds them, also while
the simulated clock stands days in the past (a sign-in token would be dated then)."""

from __future__ import annotations

from datetime import timedelta

from openfab.clock import SimulatedClock, running_on
from openfab.demo.brands import ensure_plant_staff
from openfab.platform import Platform
from openfab.store.types import utcnow


def test_the_plant_staff_are_found_again_on_a_second_run(platform: Platform) -> None:
    first = ensure_plant_staff(platform)
    with running_on(SimulatedClock(utcnow() - timedelta(days=7))):
        again = ensure_plant_staff(platform)
    assert [a.user_id for a in again] == [a.user_id for a in first]
    assert all(a.user_id for a in again)
