"""Surrogates: intervals cover at their nominal rate, accuracy is cross-validated, the
parameter that matters is found, and too little data is answered with the reason."""

from __future__ import annotations

import numpy as np
import pytest

from openfab.errors import InvalidInput
from openfab.lab.experiments import Experiment
from openfab.lab.modelling import property_reports
from openfab.lab.study import parse_study
from openfab.lab.surrogate import Ensemble, GaussianProcess

STUDY = parse_study(
    {
        "parameters": [
            {"name": "a", "type": "continuous", "low": 0, "high": 1},
            {"name": "b", "type": "continuous", "low": 0, "high": 1},
            {"name": "noise_only", "type": "continuous", "low": 0, "high": 1},
        ],
        "objectives": [{"name": "y"}],
    }
)
NOISE = 0.1


def truth(x: np.ndarray) -> np.ndarray:
    return np.sin(3 * x[:, 0]) + 0.5 * x[:, 1] ** 2


def sample(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 3))
    return x, truth(x) + rng.normal(0, NOISE, n)


@pytest.mark.parametrize(("model", "n"), [(GaussianProcess, 40), (Ensemble, 300)])
def test_90_percent_intervals_cover_about_90_percent(model: type, n: int) -> None:
    x, y = sample(n, seed=1)
    fitted = model(STUDY.space, x, y, seed=0)
    x_test, y_test = sample(400, seed=2)
    low, high = fitted.predict(x_test).interval(0.9)
    coverage = float(np.mean((y_test >= low) & (y_test <= high)))
    assert 0.80 <= coverage <= 0.98, coverage


def test_report_cross_validates_and_ranks_the_parameters() -> None:
    x, y = sample(40, seed=4)
    experiments = [
        Experiment({"a": float(r[0]), "b": float(r[1]), "noise_only": float(r[2])}, {"y": float(v)})
        for r, v in zip(x, y, strict=True)
    ]
    (report,) = property_reports(STUDY, experiments)
    assert report.kind == "gp" and report.points == 40
    assert report.accuracy is not None and report.accuracy.r2 > 0.75
    assert 0.6 <= report.accuracy.coverage90 <= 1.0
    assert max(report.importance, key=report.importance.__getitem__) == "a"
    assert report.importance["noise_only"] < 0.1


def test_too_few_points_for_a_model() -> None:
    runs = [Experiment({"a": 0.1, "b": 0.2, "noise_only": 0.3}, {"y": 1.0})]
    runs.append(Experiment({"a": 0.5, "b": 0.2, "noise_only": 0.3}, failed=True))
    with pytest.raises(InvalidInput) as caught:
        property_reports(STUDY, runs)
    assert caught.value.problems[0].code == "too_few"
    assert "1 successful" in caught.value.problems[0].msg
