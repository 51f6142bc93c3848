"""Which experiments to run next: Bayesian optimization over a constrained design space.

One objective: noisy expected improvement (qLogNEI); several: noisy expected hypervolume
improvement (qLogNEHVI), which spreads the batch along the Pareto front. Mixture and linear
constraints go into the acquisition optimizer as exact equalities and inequalities.
Outcome constraints (a plating margin ≥ 0) and the unknown feasibility learnt from failed
runs (a GP on ok = 1 / failed = 0) weight the acquisition by the chance a design is allowed
and will run. Categories are optimized exactly, one fixed combination at a time.
Objectives are modelled after a monotone power warp (:class:`Warp`); in a batch of two or
more on one unconstrained objective, one design goes where the model's mean is best.

Until a study has ``initial_points`` successful runs, suggestions continue a scrambled Sobol
sequence inside the constraints: a model fitted to two points would only mislead.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from numpy.typing import NDArray
from scipy.stats import norm

from openfab.errors import InvalidInput, Problem
from openfab.lab.experiments import Experiment, check_experiments
from openfab.lab.sampling import feasible_points
from openfab.lab.space import Design, DesignSpace
from openfab.lab.study import Study
from openfab.lab.surrogate import MIN_POINTS, Ensemble, GaussianProcess, choose_kind

log = logging.getLogger(__name__)
Array = NDArray[np.float64]
MAX_COMBINATIONS = 16
"""Category combinations optimized per suggestion (a seeded sample when there are more)."""


@dataclass(frozen=True)
class Suggestion:
    designs: list[Design]
    strategy: str
    predicted: list[dict[str, tuple[float, float]]] = field(default_factory=list)
    """Per design and objective: (mean, standard deviation) of the model, when there is one."""


@dataclass
class Optimizer:
    """``Optimizer(study, seed=...).suggest(experiments, k)``: a pure engine, no I/O."""

    study: Study
    seed: int = 0
    initial_points: int | None = None
    num_restarts: int = 4
    raw_samples: int = 128
    mc_samples: int = 128
    exploit: bool = True
    """In batches of two or more (one objective, no constraints), one design maximizes the
    model's mean: expected improvement alone keeps exploring and rarely settles the last
    per cent near an optimum it has already found."""
    warp: bool = True
    """Model each objective after a Yeo-Johnson power transform (see :class:`Warp`)."""

    @property
    def space(self) -> DesignSpace:
        return self.study.space

    def suggest(self, experiments: Sequence[Experiment], k: int) -> Suggestion:
        if not 1 <= k <= 100:
            raise InvalidInput("batch size", [Problem("n", f"ask for 1..100 designs, not {k}")])
        check_experiments(self.study, experiments)
        ok = [e for e in experiments if not e.failed]
        initial = self.initial_points or max(MIN_POINTS, min(self.space.dim + 1, 8))
        if len(ok) < initial:
            x = feasible_points(self.space, k, seed=self.seed, skip=len(experiments))
            return Suggestion(self._designs(x), "initial design (Sobol)")
        torch.manual_seed(self.seed)
        with warnings.catch_warnings(), _one_thread():
            warnings.simplefilter("ignore")
            if choose_kind(self.space, len(ok), self.study.surrogate) == "ensemble":
                return self._suggest_ensemble(experiments, k)
            return self._suggest_gp(experiments, k)

    # -- data ------------------------------------------------------------------------------
    def _data(self, experiments: Sequence[Experiment]) -> tuple[Array, Array, Array, Array, Array]:
        """Encoded successful designs, their signed objectives and constraint values, all
        designs, and the ok (1) / failed (0) label of each."""
        ok = [e for e in experiments if not e.failed]
        x_ok = self.space.encode([e.design for e in ok])
        y = np.array([[o.sign * e.results[o.name] for o in self.study.objectives] for e in ok])
        c = np.array([[e.results[c.name] for c in self.study.outcome_constraints] for e in ok])
        x_all = self.space.encode([e.design for e in experiments])
        label = np.array([0.0 if e.failed else 1.0 for e in experiments])
        return x_ok, y.reshape(len(ok), -1), c.reshape(len(ok), -1), x_all, label

    def _designs(self, x: Array) -> list[Design]:
        out = []
        fallback = iter(feasible_points(self.space, len(x), seed=self.seed + 7919))
        for design, backup in zip(self.space.decode(x), fallback, strict=True):
            design = self.space.fixed(design)
            if self.space.violations(design):  # the optimizer strayed: stay inside the space
                log.warning(
                    "suggestion outside the space replaced: %s", self.space.violations(design)
                )
                design = self.space.fixed(self.space.decode(backup)[0])
            out.append(design)
        return out

    # -- Gaussian processes + BoTorch ---------------------------------------------------------
    def _suggest_gp(self, experiments: Sequence[Experiment], k: int) -> Suggestion:
        from botorch.models.model_list_gp_regression import ModelListGP

        x_ok, y, c, x_all, label = self._data(experiments)
        seed = self.seed + len(experiments)
        warps = [Warp.fit(y[:, j]) if self.warp else Warp.identity() for j in range(y.shape[1])]
        yw = np.column_stack([w(y[:, j]) for j, w in enumerate(warps)])
        objective_models = [
            GaussianProcess(self.space, x_ok, yw[:, j], seed=seed) for j in range(y.shape[1])
        ]
        constraint_models = [
            GaussianProcess(self.space, x_ok, c[:, j], seed=seed) for j in range(c.shape[1])
        ]
        models = [m.model for m in objective_models + constraint_models]
        constraints = self._outcome_constraints(len(objective_models))
        if 0 < label.sum() < len(label):  # some runs failed: learn where designs run
            models.append(GaussianProcess(self.space, x_all, label, seed=seed).model)
            j = len(models) - 1
            constraints.append(_bound(j, lower=0.5))
        model = models[0] if len(models) == 1 else ModelListGP(*models)
        ref = np.array(
            [w(np.array([r]))[0] for w, r in zip(warps, self.reference_point(y), strict=True)]
        )
        greedy = self.exploit and k > 1 and len(models) == 1
        acqf, strategy = self._acquisition(model, x_ok, ref, constraints)
        x = self._optimize(acqf, k - 1 if greedy else k)
        if greedy:  # one design where the model expects the best: refines the incumbent
            from botorch.acquisition.analytic import PosteriorMean

            best = self._optimize(PosteriorMean(model), 1)
            x = np.vstack([x, best])
            strategy += " + posterior mean"
        designs = self._designs(x)
        predicted = self._predict(objective_models, designs, warps)
        return Suggestion(designs, strategy, predicted)

    def _outcome_constraints(self, offset: int) -> list[Callable[[torch.Tensor], torch.Tensor]]:
        """BoTorch constraints: feasible where the callable is <= 0."""
        out: list[Callable[[torch.Tensor], torch.Tensor]] = []
        for j, con in enumerate(self.study.outcome_constraints, start=offset):
            if math.isfinite(con.lower):
                out.append(_bound(j, lower=con.lower))
            if math.isfinite(con.upper):
                out.append(_bound(j, upper=con.upper))
        return out

    def _acquisition(
        self,
        model: object,
        x_ok: Array,
        ref: Array,
        constraints: list[Callable[[torch.Tensor], torch.Tensor]],
    ) -> tuple[object, str]:
        """qLogNEI for one objective, qLogNEHVI from reference point ``ref`` for several."""
        from botorch.acquisition.logei import qLogNoisyExpectedImprovement
        from botorch.acquisition.multi_objective.logei import (
            qLogNoisyExpectedHypervolumeImprovement,
        )
        from botorch.acquisition.multi_objective.objective import IdentityMCMultiOutputObjective
        from botorch.acquisition.objective import GenericMCObjective
        from botorch.sampling.normal import SobolQMCNormalSampler

        sampler = SobolQMCNormalSampler(sample_shape=torch.Size([self.mc_samples]), seed=self.seed)
        baseline = torch.as_tensor(x_ok, dtype=torch.double)
        m = len(ref)
        multi = m > 1 or bool(constraints)
        if m == 1:
            objective = GenericMCObjective(_first) if multi else None
            single = qLogNoisyExpectedImprovement(
                model,  # type: ignore[arg-type]
                baseline,
                sampler=sampler,
                objective=objective,
                constraints=constraints or None,
                prune_baseline=True,
            )
            return single, "qLogNEI"
        acqf = qLogNoisyExpectedHypervolumeImprovement(
            model,  # type: ignore[arg-type]
            ref_point=ref.tolist(),
            X_baseline=baseline,
            sampler=sampler,
            objective=IdentityMCMultiOutputObjective(outcomes=list(range(m))),
            constraints=constraints or None,
            prune_baseline=True,
        )
        return acqf, "qLogNEHVI"

    def reference_point(self, y: Array) -> Array:
        """Signed thresholds where given; else a little below the worst observed value."""
        ref = y.min(axis=0) - 0.1 * (y.max(axis=0) - y.min(axis=0) + 1e-9)
        for j, obj in enumerate(self.study.objectives):
            if obj.threshold is not None:
                ref[j] = obj.sign * obj.threshold
        return np.asarray(ref, dtype=float)

    def _optimize(self, acqf: object, k: int) -> Array:
        from botorch.optim.optimize import optimize_acqf, optimize_acqf_mixed

        bounds = torch.as_tensor(self.space.bounds(), dtype=torch.double)
        equalities, inequalities = self.space.encoded_constraints()
        options = {
            "bounds": bounds,
            "q": k,
            "num_restarts": self.num_restarts,
            "raw_samples": self.raw_samples,
            "equality_constraints": _tensors(equalities) or None,
            "inequality_constraints": _tensors(inequalities) or None,
            "options": {"maxiter": 200, "batch_limit": 32, "n_burnin": 300, "n_thinning": 4},
        }
        fixed = self._combinations()
        if fixed:
            x, _ = optimize_acqf_mixed(acqf, fixed_features_list=fixed, **options)  # type: ignore[arg-type]
        else:
            x, _ = optimize_acqf(acqf, sequential=k > 1, **options)  # type: ignore[arg-type]
        return np.asarray(x.detach().numpy(), dtype=float).reshape(k, self.space.dim)

    def _combinations(self) -> list[dict[int, float]]:
        dims = self.space.categorical_dims
        if not dims:
            return []
        choices = [range(len(self.space.parameters[i].values)) for i in dims]
        combos = list(itertools.product(*choices))
        if len(combos) > MAX_COMBINATIONS:
            rng = np.random.default_rng(self.seed)
            picked = rng.choice(len(combos), size=MAX_COMBINATIONS, replace=False)
            combos = [combos[i] for i in sorted(picked)]
        return [{d: float(v) for d, v in zip(dims, combo, strict=True)} for combo in combos]

    def _predict(
        self,
        models: Sequence[GaussianProcess | Ensemble],
        designs: list[Design],
        warps: Sequence[Warp] | None = None,
    ) -> list[dict[str, tuple[float, float]]]:
        """Model mean and standard deviation per design and objective, in the measured units
        (a warped model's mean mapped back, its std scaled by the warp's local slope)."""
        x = self.space.encode(designs)
        out: list[dict[str, tuple[float, float]]] = [{} for _ in designs]
        warps = warps or [Warp.identity() for _ in models]
        for obj, model, warp in zip(self.study.objectives, models, warps, strict=True):
            pred = model.predict(x)
            mean = warp.inverse(pred.mean)
            h = 1e-4
            slope = (warp.inverse(pred.mean + h) - warp.inverse(pred.mean - h)) / (2 * h)
            std = np.nan_to_num(np.abs(slope) * pred.std, nan=0.0, posinf=0.0)
            for i in range(len(designs)):
                out[i][obj.name] = (obj.sign * float(mean[i]), float(std[i]))
        return out

    # -- ensemble: scored candidate pool ------------------------------------------------------
    def _suggest_ensemble(self, experiments: Sequence[Experiment], k: int) -> Suggestion:
        """Many runs or mostly categories: random-forest models score a feasible Sobol pool
        by expected improvement (a random weighting of objectives per pick when there are
        several) times the chance of meeting the constraints; picks keep their distance."""
        x_ok, y, c, x_all, label = self._data(experiments)
        seed = self.seed + len(experiments)
        pool = feasible_points(self.space, 2048, seed=seed)
        objective_models = [
            Ensemble(self.space, x_ok, y[:, j], seed=seed) for j in range(y.shape[1])
        ]
        preds = [m.predict(pool) for m in objective_models]
        p_ok = np.ones(len(pool))
        for j, con in enumerate(self.study.outcome_constraints):
            pred = Ensemble(self.space, x_ok, c[:, j], seed=seed).predict(pool)
            p_ok *= norm.cdf((con.upper - pred.mean) / pred.std) - norm.cdf(
                (con.lower - pred.mean) / pred.std
            )
        if 0 < label.sum() < len(label):
            from sklearn.ensemble import RandomForestClassifier

            clf = RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=1)
            clf.fit(x_all, label)
            p_ok *= clf.predict_proba(pool)[:, 1]
        rng = np.random.default_rng(seed)
        chosen: list[int] = []
        for _ in range(k):
            w = rng.dirichlet(np.ones(len(preds))) if len(preds) > 1 else np.ones(1)
            scale = y.std(axis=0) + 1e-12
            mean = sum(wj * p.mean / s for wj, p, s in zip(w, preds, scale, strict=True))
            std = np.sqrt(
                sum((wj * p.std / s) ** 2 for wj, p, s in zip(w, preds, scale, strict=True))
            )
            best = float(np.max((y / scale) @ w))
            z = (mean - best) / std
            score = (std * (z * norm.cdf(z) + norm.pdf(z))) * p_ok
            for i in chosen:  # keep picks apart
                score *= 1 - np.exp(-np.sum((pool - pool[i]) ** 2, axis=1) / 0.01)
            chosen.append(int(np.argmax(score)))
        designs = self._designs(pool[chosen])
        return Suggestion(designs, "ensemble EI", self._predict(objective_models, designs))


@dataclass(frozen=True)
class Warp:
    """A monotone Yeo-Johnson power transform of one objective, fitted to its values, as HEBO
    does. Measured objectives are often skewed — a few bad runs far from the rest, or a deep
    narrow optimum — and a GP on the raw values then spends its noise and lengthscales on
    the outliers and cannot resolve the last per cent near the optimum. Being monotone, the
    warp keeps which design is better (and which dominates) unchanged."""

    lam: float = 1.0
    shift: float = 0.0
    scale: float = 1.0

    @classmethod
    def identity(cls) -> Warp:
        return cls()

    @classmethod
    def fit(cls, y: Array) -> Warp:
        """Maximum-likelihood λ on the standardized values (identity for < 4 distinct)."""
        from scipy.stats import yeojohnson

        scale = float(np.std(y))
        if len(np.unique(y)) < 4 or scale <= 0:
            return cls()
        shift = float(np.mean(y))
        _, lam = yeojohnson((y - shift) / scale)
        return cls(float(np.clip(lam, -2.0, 4.0)), shift, scale)

    def __call__(self, y: Array) -> Array:
        from scipy.stats import yeojohnson

        return np.asarray(yeojohnson((np.asarray(y) - self.shift) / self.scale, self.lam))

    def inverse(self, t: Array) -> Array:
        z = np.asarray(t, dtype=float)
        lam = self.lam
        pos = z >= 0
        out = np.empty_like(z)
        with np.errstate(all="ignore"):
            if abs(lam) > 1e-12:
                out[pos] = np.power(np.maximum(z[pos] * lam + 1, 0.0), 1 / lam) - 1
            else:
                out[pos] = np.expm1(z[pos])
            if abs(lam - 2) > 1e-12:
                out[~pos] = 1 - np.power(np.maximum(1 - (2 - lam) * z[~pos], 0.0), 1 / (2 - lam))
            else:
                out[~pos] = -np.expm1(-z[~pos])
        return out * self.scale + self.shift


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch on one thread while suggesting. A few tens of points make small matrices:
    extra threads buy nothing, and on a shared machine their spin-waits cost several times
    the CPU (measured: 10 s instead of 1 s for k = 4 on 6-D with 30 points at load 4)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _bound(
    j: int, *, lower: float | None = None, upper: float | None = None
) -> Callable[[torch.Tensor], torch.Tensor]:
    """Outcome ``j`` >= lower (or <= upper) as BoTorch wants it: feasible where <= 0."""
    if lower is not None:
        return lambda z: lower - z[..., j]
    assert upper is not None
    return lambda z: z[..., j] - upper


def _first(z: torch.Tensor, X: torch.Tensor | None = None) -> torch.Tensor:  # noqa: N803
    return z[..., 0]


def _tensors(
    cons: list[tuple[list[int], list[float], float]],
) -> list[tuple[torch.Tensor, torch.Tensor, float]]:
    return [
        (torch.tensor(i, dtype=torch.long), torch.tensor(c, dtype=torch.double), float(r))
        for i, c, r in cons
    ]


def suggest(
    study: Study, experiments: Sequence[Experiment], k: int, *, seed: int = 0
) -> Suggestion:
    """The next ``k`` designs to run (see :class:`Optimizer`)."""
    return Optimizer(study, seed=seed).suggest(experiments, k)
