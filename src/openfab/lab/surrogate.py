"""Surrogate models of one measured property: a prediction with an interval, its cross-validated
accuracy and which parameters matter.

A Gaussian process (BoTorch) is the default: with tens of experiments it is the best
calibrated model there is. With many experiments or mostly categorical parameters a random
forest takes over; its spread across trees is too narrow on its own, so out-of-bag residuals
widen it until the intervals hold their nominal rate.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import torch
from numpy.typing import NDArray
from scipy.stats import norm

from openfab.errors import InvalidInput, Problem
from openfab.lab.space import DesignSpace

log = logging.getLogger(__name__)
Array = NDArray[np.float64]
ModelKind = Literal["gp", "ensemble"]
MIN_POINTS = 3
"""Fewer successful experiments than this and no model is fitted (the reason is given)."""
FIT_ITERATIONS = 100
ENSEMBLE_ABOVE = 300
"""With more experiments than this, the ensemble replaces the GP (GP fitting is cubic)."""


@dataclass(frozen=True)
class Prediction:
    mean: Array
    std: Array

    def interval(self, level: float = 0.9) -> tuple[Array, Array]:
        z = float(norm.ppf(0.5 + level / 2))
        return self.mean - z * self.std, self.mean + z * self.std


class Surrogate(Protocol):
    kind: ModelKind

    def predict(self, x: Array) -> Prediction: ...


@dataclass(frozen=True)
class Accuracy:
    """k-fold cross-validation: R², RMSE and how often the 90 % interval held the value."""

    folds: int
    r2: float
    rmse: float
    coverage90: float


@dataclass(frozen=True)
class ModelReport:
    prop: str
    kind: ModelKind
    points: int
    accuracy: Accuracy | None
    importance: dict[str, float]


def choose_kind(space: DesignSpace, points: int, wanted: str = "auto") -> ModelKind:
    if wanted in ("gp", "ensemble"):
        return wanted  # type: ignore[return-value]
    heavy = len(space.categorical_dims) * 2 > space.dim
    return "ensemble" if points > ENSEMBLE_ABOVE or heavy else "gp"


def require_points(prop: str, points: int) -> None:
    if points < MIN_POINTS:
        raise InvalidInput(
            f"too few points for a model of {prop}",
            [
                Problem(
                    prop, f"{points} successful experiments; a model needs {MIN_POINTS}", "too_few"
                )
            ],
        )


# -- Gaussian process ---------------------------------------------------------------------------
class GaussianProcess:
    """A BoTorch GP, categories one-hot encoded inside the model (so the optimizer keeps
    working on category indices), outcomes standardized, hyperparameters by a capped
    L-BFGS fit (a few tens of points need no more)."""

    kind: ModelKind = "gp"

    def __init__(self, space: DesignSpace, x: Array, y: Array, *, seed: int = 0) -> None:
        from botorch.fit import fit_gpytorch_mll
        from botorch.models import SingleTaskGP
        from botorch.models.transforms.outcome import Standardize
        from gpytorch.mlls import ExactMarginalLogLikelihood

        torch.manual_seed(seed)
        tx = torch.as_tensor(x, dtype=torch.double)
        ty = torch.as_tensor(y, dtype=torch.double).reshape(-1, 1)
        sizes = {i: len(space.parameters[i].values) for i in space.categorical_dims}
        model = SingleTaskGP(
            tx,
            ty,
            outcome_transform=Standardize(m=1),
            input_transform=_one_hot(sizes) if sizes else None,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fit_gpytorch_mll(
                    ExactMarginalLogLikelihood(model.likelihood, model),
                    optimizer_kwargs={"options": {"maxiter": FIT_ITERATIONS}},
                )
            except Exception:
                log.debug("GP fit failed; prior hyperparameters kept", exc_info=True)
        model.eval()
        self.model = model

    def predict(self, x: Array) -> Prediction:
        with torch.no_grad():
            post = self.model.posterior(
                torch.as_tensor(x, dtype=torch.double), observation_noise=True
            )
            mean = post.mean.squeeze(-1).numpy()
            std = post.variance.clamp_min(1e-12).sqrt().squeeze(-1).numpy()
        return Prediction(mean.astype(float), std.astype(float))


def _one_hot(sizes: dict[int, int]) -> Any:
    """A BoTorch input transform: category index columns → one-hot columns."""
    from botorch.models.transforms.input import InputTransform

    class OneHot(InputTransform):
        def __init__(self) -> None:
            super().__init__()
            self.transform_on_train = self.transform_on_eval = True
            self.transform_on_fantasize = True

        def transform(self, X: torch.Tensor) -> torch.Tensor:  # noqa: N803 - BoTorch name
            parts = []
            for i in range(X.shape[-1]):
                k = sizes.get(i)
                if k is None:
                    parts.append(X[..., i : i + 1])
                else:
                    index = X[..., i].round().long().clamp(0, k - 1)
                    parts.append(torch.nn.functional.one_hot(index, k).to(X))
            return torch.cat(parts, dim=-1)

    return OneHot()


# -- ensemble ----------------------------------------------------------------------------------
class Ensemble:
    """A random forest on one-hot categories; interval = tree spread widened by the
    out-of-bag residual variance it does not explain."""

    kind: ModelKind = "ensemble"

    def __init__(self, space: DesignSpace, x: Array, y: Array, *, seed: int = 0) -> None:
        from sklearn.ensemble import RandomForestRegressor

        self.space = space
        features = self._features(x)
        self.forest = RandomForestRegressor(
            n_estimators=200, min_samples_leaf=2, oob_score=len(y) >= 8, random_state=seed, n_jobs=1
        )
        self.forest.fit(features, y)
        spread = self._spread(features)
        if len(y) >= 8:
            resid = y - self.forest.oob_prediction_
            self.extra = max(float(np.mean(resid**2) - np.mean(spread**2)), 1e-12)
        else:
            self.extra = float(np.var(y)) if len(y) > 1 else 1.0

    def _features(self, x: Array) -> Array:
        cols: list[Array] = []
        for i, p in enumerate(self.space.parameters):
            if p.kind == "categorical":
                cols.extend((np.round(x[:, i]) == k).astype(float) for k in range(len(p.values)))
            else:
                cols.append(x[:, i])
        return np.column_stack(cols)

    def _spread(self, features: Array) -> Array:
        per_tree = np.stack([t.predict(features) for t in self.forest.estimators_])
        return np.asarray(per_tree.std(axis=0), dtype=float)

    def predict(self, x: Array) -> Prediction:
        features = self._features(np.atleast_2d(x))
        mean = np.asarray(self.forest.predict(features), dtype=float)
        std = np.sqrt(self._spread(features) ** 2 + self.extra)
        return Prediction(mean, std)


def fit_surrogate(
    space: DesignSpace, x: Array, y: Array, *, kind: str = "auto", seed: int = 0
) -> Surrogate:
    chosen = choose_kind(space, len(y), kind)
    if chosen == "gp":
        return GaussianProcess(space, x, y, seed=seed)
    return Ensemble(space, x, y, seed=seed)


# -- accuracy and importance ----------------------------------------------------------------------
def cross_validate(
    space: DesignSpace, x: Array, y: Array, *, kind: str = "auto", folds: int = 5, seed: int = 0
) -> Accuracy:
    """k-fold (leave-one-out below ``folds`` points) predictions scored on the held-out runs."""
    n = len(y)
    folds = min(folds, n)
    order = np.random.default_rng(seed).permutation(n)
    mean, std = np.zeros(n), np.ones(n)
    chosen = choose_kind(space, n, kind)
    for k in range(folds):
        test = order[k::folds]
        train = np.setdiff1d(order, test)
        model = fit_surrogate(space, x[train], y[train], kind=chosen, seed=seed)
        pred = model.predict(x[test])
        mean[test], std[test] = pred.mean, pred.std
    resid = y - mean
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum(resid**2)) / total if total > 0 else math.nan
    z = float(norm.ppf(0.95))
    coverage = float(np.mean(np.abs(resid) <= z * std))
    return Accuracy(folds, r2, float(np.sqrt(np.mean(resid**2))), coverage)


def importance(
    space: DesignSpace, model: Surrogate, x: Array, *, seed: int = 0, repeats: int = 5
) -> dict[str, float]:
    """Permutation importance on the model's own predictions: how much the prediction moves
    when one parameter's column is shuffled (share of the total; model-agnostic)."""
    rng = np.random.default_rng(seed)
    base = model.predict(x).mean
    scores = []
    for i in range(space.dim):
        moved = 0.0
        for _ in range(repeats):
            shuffled = x.copy()
            shuffled[:, i] = rng.permutation(shuffled[:, i])
            moved += float(np.mean((model.predict(shuffled).mean - base) ** 2))
        scores.append(moved / repeats)
    total = sum(scores) or 1.0
    return {name: s / total for name, s in zip(space.names, scores, strict=True)}


def report(
    space: DesignSpace,
    prop: str,
    x: Array,
    y: Array,
    *,
    kind: str = "auto",
    seed: int = 0,
) -> ModelReport:
    """Fit, cross-validate and rank parameters for one property."""
    require_points(prop, len(y))
    model = fit_surrogate(space, x, y, kind=kind, seed=seed)
    accuracy = cross_validate(space, x, y, kind=model.kind, seed=seed) if len(y) >= 4 else None
    return ModelReport(prop, model.kind, len(y), accuracy, importance(space, model, x, seed=seed))
