"""RUL models: beat the mean-life baseline, intervals cover held-out units, files versioned."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from openfab.errors import InvalidInput
from openfab.maintenance.fleets import cut_short
from openfab.maintenance.rul import FORMAT_VERSION, MAGIC, RulModel, RulOptions, true_rul
from openfab.maintenance.series import Fleet


def _score(model: RulModel, fleet: Fleet, seeds: range) -> tuple[float, float]:
    """RMSE and interval coverage over the held-out units, cut at several points each."""
    errors, hits = [], []
    for seed in seeds:
        test, _ = cut_short(fleet, seed)
        truth = true_rul(fleet, test, cap=model.options.cap)
        for p, y in zip(model.predict(test), truth, strict=True):
            assert p.lower <= p.rul <= p.upper
            errors.append(p.rul - y)
            hits.append(p.lower <= y <= p.upper)
    return float(np.sqrt(np.mean(np.square(errors)))), float(np.mean(hits))


def test_model_beats_mean_life_and_covers_held_out_units(
    small_fleet: Fleet, trained_gbm: RulModel
) -> None:
    held_out = small_fleet.subset(range(40, 60))
    baseline = RulModel(RulOptions(method="mean_life")).fit(small_fleet.subset(range(40)))
    rmse, coverage = _score(trained_gbm, held_out, range(4))
    base_rmse, _ = _score(baseline, held_out, range(4))
    assert rmse < 0.7 * base_rmse
    assert 0.75 <= coverage <= 0.99  # nominal 90 %, 80 cuts of 20 units: a generous band


@pytest.mark.parametrize("method", ["similarity", "linear"])
def test_other_methods_give_ordered_intervals(small_fleet: Fleet, method: str) -> None:
    model = RulModel(RulOptions(method=method)).fit(small_fleet.subset(range(16)))  # type: ignore[arg-type]
    test, _ = cut_short(small_fleet.subset(range(40, 46)), 1)
    for p in model.predict(test):
        assert 0 <= p.lower <= p.rul <= p.upper <= model.options.cap


def test_save_and_load_round_trip(
    tmp_path: Path, small_fleet: Fleet, trained_gbm: RulModel
) -> None:
    path = tmp_path / "model.rul"
    trained_gbm.save(path)
    test, _ = cut_short(small_fleet.subset(range(40, 45)), 2)
    assert RulModel.load(path).predict(test) == trained_gbm.predict(test)


@pytest.mark.parametrize("old", [0, 1])  # format 1: before the wear axis (2026-12-03)
def test_model_from_another_version_is_refused(
    tmp_path: Path, trained_gbm: RulModel, old: int
) -> None:
    path = tmp_path / "old.rul"
    trained_gbm.save(path)
    current = f'"format": {FORMAT_VERSION}'.encode()
    data = path.read_bytes().replace(current, f'"format": {old}'.encode(), 1)
    path.write_bytes(data)
    with pytest.raises(InvalidInput, match=f"format {old}, this OpenFab reads format 2"):
        RulModel.load(path)


@pytest.mark.parametrize(
    "content",
    [
        b"unit,cycle\n1,1\n",  # a CSV, not a model
        pickle.dumps({"not": "a model"}),  # a pickle without the header
        MAGIC + b'{"format": 2, "sklearn": "0.0"}\n',  # another scikit-learn
        MAGIC + b"garbage\n",  # a damaged header
    ],
)
def test_non_model_files_are_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.rul"
    path.write_bytes(content)
    with pytest.raises(InvalidInput):
        RulModel.load(path)


def test_wrong_sensor_count_is_refused(trained_gbm: RulModel, six_regime_fleet: Fleet) -> None:
    with pytest.raises(InvalidInput, match="sensors"):
        trained_gbm.predict(six_regime_fleet)


def test_bad_options_are_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        RulOptions(method="magic", coverage=1.5)  # type: ignore[arg-type]
    assert {p.loc for p in err.value.problems} == {"method", "coverage"}


def test_wear_axis_rises_from_new_to_failure(small_fleet: Fleet, trained_gbm: RulModel) -> None:
    """The wear axis (sensors weighted by slow change over noise) reads about 0 when new and
    1 at failure, and is far less noisy cycle to cycle than that rise."""
    front = trained_gbm._front
    assert front is not None
    for unit in small_fleet.subset(range(40, 45)).units:
        z = front.normalizer.transform(unit.settings, unit.sensors)
        h = z @ front.axis - front.axis_start
        rise = h[-10:].mean() - h[:10].mean()
        assert 0.6 < rise < 1.4
        assert np.std(np.diff(h)) / np.sqrt(2) < 0.1 * rise


def test_baseline_must_be_positive() -> None:
    with pytest.raises(InvalidInput):
        RulOptions(baseline=0)
