"""Regime normalisation and window features."""

from __future__ import annotations

import numpy as np

from openfab.maintenance.features import STATS, RegimeNormalizer, window_features
from openfab.maintenance.series import Fleet


def test_six_regimes_are_found_and_taken_out(six_regime_fleet: Fleet) -> None:
    settings = np.concatenate([u.settings for u in six_regime_fleet.units])
    sensors = np.concatenate([u.sensors for u in six_regime_fleet.units])
    norm = RegimeNormalizer.fit(settings, sensors)
    assert norm.regimes == 6
    z = norm.transform(settings, sensors)
    assert np.allclose(z.mean(axis=0), 0, atol=1e-6)
    # within a regime the spread left is wear and noise, far below the raw spread
    assert np.all(sensors.std(axis=0)[norm.informative] > 2 * z.std(axis=0))


def test_one_regime_stays_one(small_fleet: Fleet) -> None:
    settings = np.concatenate([u.settings for u in small_fleet.units])
    sensors = np.concatenate([u.sensors for u in small_fleet.units])
    norm = RegimeNormalizer.fit(settings, sensors)
    assert norm.regimes == 1
    assert norm.informative.sum() == 8  # the two constant sensors are dropped


def test_window_statistics_of_a_line() -> None:
    values = np.arange(20, dtype=np.float64)[:, None] * 2.0
    feats = window_features(values, 5)
    assert feats.shape == (20, len(STATS))
    col = {name: feats[-1, i] for i, name in enumerate(STATS)}
    assert col["mean"] == 34 and col["min"] == 30 and col["max"] == 38
    assert np.isclose(col["slope"], 2.0)
    assert np.allclose(feats[-1, STATS.index("band1") :], 0)  # a line has no spectrum left


def test_band_energy_finds_a_vibration() -> None:
    t = np.arange(64, dtype=np.float64)
    fast = np.sin(2 * np.pi * t * 0.4)[:, None]
    slow = np.sin(2 * np.pi * t * 0.07)[:, None]
    bands = slice(STATS.index("band1"), None)
    f, s = window_features(fast, 32)[-1, bands], window_features(slow, 32)[-1, bands]
    assert f.argmax() == 2 and s.argmax() == 0
