"""The health index rises before failures; alarms raise before the end and do not flap."""

from __future__ import annotations

import numpy as np
import pytest

from openfab.errors import InvalidInput
from openfab.maintenance.features import RegimeNormalizer
from openfab.maintenance.health import HealthModel, alarm_states, first_alarm
from openfab.maintenance.series import Fleet


def _normalised(fleet: Fleet) -> list[np.ndarray]:
    settings = np.concatenate([u.settings for u in fleet.units])
    sensors = np.concatenate([u.sensors for u in fleet.units])
    norm = RegimeNormalizer.fit(settings, sensors)
    return [norm.transform(u.settings, u.sensors) for u in fleet.units]


@pytest.mark.parametrize("fleet_name", ["small_fleet", "six_regime_fleet"])
def test_health_index_rises_before_failure(fleet_name: str, request: pytest.FixtureRequest) -> None:
    z = _normalised(request.getfixturevalue(fleet_name))
    model = HealthModel.fit(z[: len(z) // 2])  # fitted on half the units, checked on the rest
    alarms_before_end = 0
    for unit in z[len(z) // 2 :]:
        hi = model.index(unit)
        n = len(hi)
        early, late = hi[: n // 4].mean(), hi[-max(3, n // 10) :].mean()
        assert hi.min() >= 0 and hi.max() <= 1
        assert late > early + 0.4
        # monotone-ish: the mean rises from quarter to quarter
        quarters = [q.mean() for q in np.array_split(hi, 4)]
        assert quarters[-1] > quarters[1] and quarters[2] > quarters[0] - 0.05
        alarm = first_alarm(hi)
        alarms_before_end += alarm is not None and alarm < n - 5
    assert alarms_before_end >= 0.8 * (len(z) - len(z) // 2)


def test_hysteresis_needs_k_windows_and_clears_below_the_lower_threshold() -> None:
    hi = np.array([0.6, 0.1, 0.6, 0.6, 0.6, 0.45, 0.4, 0.35, 0.2, 0.6])
    on = alarm_states(hi, raise_at=0.5, clear_at=0.3, k=3)
    assert on.tolist() == [False, False, False, False, True, True, True, True, False, False]


def test_bad_alarm_settings_are_refused() -> None:
    with pytest.raises(InvalidInput):
        alarm_states(np.zeros(3), raise_at=0.2, clear_at=0.4)
