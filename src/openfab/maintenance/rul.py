"""Remaining useful life (RUL) with a 90 % interval, learned from run-to-failure fleets.

The pipeline: clean the telemetry (:mod:`.telemetry_clean`), take the operating regime out
and summarise trailing windows (:mod:`.features`), add the unsupervised health index
(:mod:`.health`) and a *wear axis*: the one sensor combination with the most slow change
per unit of cycle-to-cycle noise (maximum noise fraction), scaled to read about 0 when new
and 1 at failure. Its level and trend at four time scales, its rise above the unit's own
first cycles (initial wear varies) and the cycles until it would reach 1 on its recent line
or parabola are features. Then one of these models:

- ``gbm``: gradient boosting — squared error for the point, quantile loss for the 5 % and
  95 % bounds — with intervals made valid by conformalised quantile regression (CQR), so
  they are narrow near the end of life and wide mid-life; once the intervals are set, the
  models are refitted on every training unit;
- ``similarity``: the unit's recent health-index trajectory matched against every training
  life; the RUL is the median remaining life of the closest matches;
- ``ensemble``: the mean of the two;
- baselines ``mean_life`` (mean training life minus the current cycle) and ``linear`` (a line
  through the recent health index, extrapolated to the level at which training units failed).

Targets are piecewise linear, capped at ``cap`` = 125 cycles (as usual for C-MAPSS): early in
life no sensor tells 300 cycles left from 125, so a model is asked only how long once wear
shows; predictions and the truth they are scored against are capped alike.

Intervals are split-conformal: a quarter of the training units never touch the models and
their errors set the interval, so coverage holds on units the model has not seen. The
non-quantile models use Mondrian bins (by predicted RUL) to let the width follow the state.
"""

from __future__ import annotations

import io
import json
import math
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import sklearn
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge

from openfab.errors import InvalidInput, ProblemCollector
from openfab.maintenance.features import (
    STATS,
    RegimeNormalizer,
    one_thread,
    smooth,
    window_features,
)
from openfab.maintenance.health import HealthModel
from openfab.maintenance.series import Fleet, FloatArray, UnitSeries
from openfab.maintenance.telemetry_clean import CleaningReport, clean_fleet, clean_unit

Method = Literal["gbm", "similarity", "ensemble", "mean_life", "linear"]
METHODS: tuple[str, ...] = get_args(Method)
FORMAT_VERSION = 2
"""2: wear axis, squared-error point model, refit on all units (format 1 files refused)."""
MAGIC = b"OPENFAB-RUL-MODEL\n"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class RulPrediction:
    unit: int
    cycle: int
    rul: float
    lower: float
    upper: float


@dataclass(frozen=True)
class RulOptions:
    method: Method = "gbm"
    cap: float = 125.0
    coverage: float = 0.9
    window: int = 15
    """Trailing cycles summarised per feature."""
    stats: tuple[str, ...] = ("mean", "std", "slope")
    """Window statistics used (any of :data:`features.STATS`)."""
    calibration_share: float = 0.25
    regimes: int | None = None
    """Operating regimes; None: found by k-means on the settings."""
    max_iter: int = 200
    row_stride: int = 2
    """Every how many cycles a training row is taken (neighbours are near copies)."""
    baseline: int = 20
    """Each unit's own first cycles (up to this many) set its baseline: initial wear varies
    from unit to unit, so the wear axis's rise above the unit's own start is a feature."""
    seed: int = 0
    threads: int = 1

    def __post_init__(self) -> None:
        errors = ProblemCollector()
        if self.method not in METHODS:
            errors.add("method", f"must be one of {', '.join(METHODS)}")
        if self.cap <= 0:
            errors.add("cap", "must be > 0")
        if not 0.5 <= self.coverage < 1:
            errors.add("coverage", "must be within 0.5..1")
        if self.window < 2:
            errors.add("window", "must be >= 2")
        if not self.stats or not set(self.stats) <= set(STATS):
            errors.add("stats", f"must be a non-empty subset of {', '.join(STATS)}")
        if not 0.1 <= self.calibration_share <= 0.5:
            errors.add("calibration_share", "must be within 0.1..0.5")
        if self.row_stride < 1 or self.max_iter < 1 or self.threads < 1 or self.baseline < 1:
            errors.add("row_stride", "row_stride, max_iter, threads and baseline must be >= 1")
        errors.raise_if_any("invalid RUL options")


@dataclass
class _Prepared:
    """One unit after cleaning: cycles, normalised sensors, features, health index."""

    unit: int
    cycles: np.ndarray
    x: FloatArray
    hi: FloatArray
    drift: FloatArray  # log(1 + d / d99): the health distance, unsquashed
    level: FloatArray  # window means of the normalised sensors
    learned: FloatArray | None = None  # the learned wear (see RulModel._learn)
    base: FloatArray | None = None  # x before the learned-wear features


@dataclass
class _Front:
    """Cleaning, regimes, features and health index, fitted on the training fleet."""

    normalizer: RegimeNormalizer
    reference: FloatArray
    health: HealthModel
    options: RulOptions
    axis: FloatArray
    axis_start: float

    @staticmethod
    def fit(fleet: Fleet, options: RulOptions) -> tuple[_Front, CleaningReport]:
        settings = np.concatenate([u.settings for u in fleet.units])
        sensors = np.concatenate([u.sensors for u in fleet.units])
        first = RegimeNormalizer.fit(settings, sensors, regimes=options.regimes, seed=0)
        cleaned, report = clean_fleet(
            fleet, labeller=first.labels, reference=_medians(first, settings, sensors)
        )
        settings = np.concatenate([u.settings for u in cleaned.units])
        sensors = np.concatenate([u.sensors for u in cleaned.units])
        normalizer = RegimeNormalizer.fit(settings, sensors, regimes=first.regimes, seed=0)
        z = [normalizer.transform(u.settings, u.sensors) for u in cleaned.units]
        if z[0].shape[1] == 0:
            raise InvalidInput("no sensor varies within an operating regime: nothing to learn")
        health = HealthModel.fit(z)
        reference = _medians(normalizer, settings, sensors)
        axis, start = _wear_axis(z)
        return _Front(normalizer, reference, health, options, axis, start), report

    def prepare(self, unit: UnitSeries) -> tuple[_Prepared, CleaningReport]:
        cleaned, report = clean_unit(
            unit, labeller=self.normalizer.labels, reference=self.reference
        )
        z = self.normalizer.transform(cleaned.settings, cleaned.sensors)
        hi = self.health.index(z)
        drift = np.log1p(self.health.distance(z) / self.health.d99)
        w = self.options.window
        feats = window_features(z, w)
        per = z.shape[1]
        keep = np.concatenate(
            [
                np.arange(STATS.index(s) * per, (STATS.index(s) + 1) * per)
                for s in self.options.stats
            ]
        )
        pick = [STATS.index("mean"), STATS.index("slope")]
        extra = np.column_stack(  # the health trend at three time scales
            [window_features(drift[:, None], span)[:, pick] for span in (w, 2 * w, 4 * w)]
        )
        level = feats[:, STATS.index("mean") * per : (STATS.index("mean") + 1) * per]
        parts = [cleaned.cycles.astype(np.float64), feats[:, keep], extra, hi]
        h = z @ self.axis - self.axis_start  # the wear axis: ~0 when new, ~1 at failure
        for span in (w, 2 * w, 4 * w, 8 * w):  # its level and trend at four time scales
            parts.append(window_features(h[:, None], span)[:, pick])
        parts.append(h - _baseline(h[:, None], self.options.baseline)[:, 0])
        parts.append(_time_to_level(smooth(h, 5), 1.0, self.options.cap))
        x = np.column_stack(parts)
        return _Prepared(unit.unit, cleaned.cycles, x, hi, drift, level), report


def _wear_axis(units: list[FloatArray]) -> tuple[FloatArray, float]:
    """The sensor combination with the most slow change per unit of cycle-to-cycle noise
    (maximum noise fraction), oriented to rise over life and scaled 0 at the start of life
    and 1 at failure (fleet medians)."""
    z = np.concatenate(units)
    total = np.cov(z, rowvar=False).reshape(z.shape[1], z.shape[1])
    steps = np.concatenate([np.diff(u, axis=0) for u in units if len(u) > 1])
    noise = np.cov(steps, rowvar=False).reshape(z.shape[1], z.shape[1]) / 2
    noise += 1e-6 * np.trace(noise) / len(noise) * np.eye(len(noise))
    chol = np.linalg.cholesky(noise)  # whiten the noise, then the largest variance left
    inv = np.linalg.inv(chol)
    _, vecs = np.linalg.eigh(inv @ total @ inv.T)
    v = inv.T @ vecs[:, -1]
    start = float(np.median([u[: max(1, len(u) // 10)].mean(axis=0) @ v for u in units]))
    end = float(np.median([u[-5:].mean(axis=0) @ v for u in units]))
    if abs(end - start) < 1e-12:
        return np.zeros_like(v), 0.0
    return np.asarray(v / (end - start), dtype=np.float64), start / (end - start)


def _baseline(values: FloatArray, first: int) -> FloatArray:
    """Per cycle, the mean of the unit's first ``first`` readings seen so far (causal)."""
    n = len(values)
    head = np.cumsum(values[:first], axis=0) / np.arange(1, min(n, first) + 1)[:, None]
    return np.concatenate([head, np.repeat(head[-1:], max(0, n - first), axis=0)])


def _medians(norm: RegimeNormalizer, settings: FloatArray, sensors: FloatArray) -> FloatArray:
    labels = norm.labels(np.nan_to_num(settings))
    out = np.full((norm.regimes, sensors.shape[1]), np.nan)
    for r in range(norm.regimes):
        rows = sensors[labels == r]
        if len(rows):
            ok = np.isfinite(rows).any(axis=0)
            out[r, ok] = np.nanmedian(rows[:, ok], axis=0)
    return out


@dataclass
class _Conformal:
    """Signed-residual quantiles per bin of the prediction (Mondrian split-conformal)."""

    edges: FloatArray
    low: FloatArray
    high: FloatArray

    @staticmethod
    def fit(pred: FloatArray, truth: FloatArray, units: int, coverage: float) -> _Conformal:
        bins = 4 if len(pred) >= 200 else 1
        edges = np.quantile(pred, np.linspace(0, 1, bins + 1)[1:-1]) if bins > 1 else np.array([])
        which = np.searchsorted(edges, pred)
        alpha = (1 - coverage) / 2
        low, high = np.zeros(bins), np.zeros(bins)
        for b in range(bins):
            r = (truth - pred)[which == b]
            if len(r) == 0:
                r = truth - pred
            level = min(1.0, (1 - alpha) * (1 + 1 / max(units, 1)))
            low[b] = np.quantile(r, 1 - level)
            high[b] = np.quantile(r, level)
        return _Conformal(edges, low, high)

    def interval(self, pred: FloatArray) -> tuple[FloatArray, FloatArray]:
        which = np.searchsorted(self.edges, pred)
        return pred + self.low[which], pred + self.high[which]


@dataclass
class RulModel:
    """``RulModel(RulOptions(...)).fit(training_fleet).predict(test_fleet)``."""

    options: RulOptions = field(default_factory=RulOptions)
    cleaning: CleaningReport = field(default_factory=CleaningReport)
    _front: _Front | None = None
    _gbm: list[HistGradientBoostingRegressor] = field(default_factory=list)
    _wear: Ridge | None = None
    _cqr: float = 0.0
    _library: list[tuple[FloatArray, FloatArray, float]] = field(default_factory=list)
    _mean_life: float = 0.0
    _fail_level: float = 1.0
    _conformal: _Conformal | None = None

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, fleet: Fleet, *, progress: Progress | None = None) -> RulModel:
        """Learn from full lives (each unit's last cycle is its failure)."""
        opts, say = self.options, progress or (lambda _: None)
        if len(fleet) < 4:
            raise InvalidInput(f"{len(fleet)} training units: at least 4 needed")
        say("cleaning and features")
        self._front, self.cleaning = _Front.fit(fleet, opts)
        prepared = [self._front.prepare(u)[0] for u in fleet.units]
        lives = fleet.lives.astype(np.float64)
        rng = np.random.default_rng(opts.seed)
        order = rng.permutation(len(prepared))
        n_cal = max(1, round(len(prepared) * opts.calibration_share))
        cal, fit = sorted(order[:n_cal]), sorted(order[n_cal:])
        with one_thread(opts.threads):
            self._fit_wear([prepared[i] for i in fit], lives[fit])
            for u in prepared:
                self._learn(u)
            self._fit_models([prepared[i] for i in fit], lives[fit], say)
            say("calibrating intervals")
            self._calibrate([prepared[i] for i in cal], lives[cal])
            if opts.method == "gbm":  # the intervals are set; now learn from every unit
                say("refitting on all units")
                self._fit_wear(prepared, lives)
                for u in prepared:
                    self._learn(u)
                self._fit_models(prepared, lives, say)
        return self

    def _fit_wear(self, units: list[_Prepared], lives: FloatArray) -> None:
        """A linear health index: the share of the capped RUL used up, regressed on the
        sensor levels (trees are poor at weighing many noisy sensors; a line is not)."""
        x = np.concatenate([u.level for u in units])
        y = np.concatenate(
            [
                np.minimum(life - u.cycles, self.options.cap)
                for u, life in zip(units, lives, strict=True)
            ]
        )
        self._wear = Ridge(alpha=1.0).fit(x, 1 - y / self.options.cap)

    def _learn(self, u: _Prepared) -> None:
        """Add the learned wear and its trend at three time scales to the unit's features."""
        assert self._wear is not None
        u.learned = np.asarray(self._wear.predict(u.level), dtype=np.float64)
        w = self.options.window
        pick = [STATS.index("mean"), STATS.index("slope")]
        trend = [window_features(u.learned[:, None], span)[:, pick] for span in (w, 2 * w, 4 * w)]
        if u.base is None:
            u.base = u.x
        u.x = np.column_stack([u.base, *trend])

    def _fit_models(self, units: list[_Prepared], lives: FloatArray, say: Progress) -> None:
        opts = self.options
        self._mean_life = float(lives.mean())
        ends = [u.hi[-1] for u in units]
        self._fail_level = float(np.median(ends))
        self._library = [
            (_track(u), u.cycles.astype(np.float64), life)
            for u, life in zip(units, lives, strict=True)
        ]
        if opts.method in ("gbm", "ensemble"):
            x, y = _rows(units, lives, opts.cap, opts.row_stride)
            self._gbm = []
            for q in (0.05, 0.5, 0.95):
                say(f"gradient boosting, quantile {q:.2f}")
                point = q == 0.5  # the mean, not the median: RMSE is what it is judged by
                model = HistGradientBoostingRegressor(
                    loss="squared_error" if point else "quantile",
                    quantile=None if point else q,
                    max_iter=opts.max_iter,
                    learning_rate=0.08,
                    min_samples_leaf=20,
                    l2_regularization=1.0,
                    random_state=opts.seed,
                )
                self._gbm.append(model.fit(x, y))

    def _calibrate(self, units: list[_Prepared], lives: FloatArray) -> None:
        opts = self.options
        stride = 1 if opts.method == "gbm" else 3  # similarity is dearer per row
        x, y = _rows(units, lives, opts.cap, stride)
        if opts.method == "gbm":
            lo, mid, hi = (m.predict(x) for m in self._gbm)
            lo, hi = np.minimum(lo, mid), np.maximum(hi, mid)
            scores = np.maximum(lo - y, y - hi)
            level = min(1.0, opts.coverage * (1 + 1 / len(units)))
            self._cqr = float(np.quantile(scores, level))
            return
        pred = np.concatenate([self._point_all(u, stride=stride) for u in units])
        self._conformal = _Conformal.fit(pred, y, len(units), opts.coverage)

    # -- predicting ------------------------------------------------------------------------
    def predict(self, fleet: Fleet) -> list[RulPrediction]:
        """RUL at the last cycle of each unit, with its interval (cycles, 0..cap)."""
        if self._front is None:
            raise InvalidInput("the RUL model is not fitted")
        out = []
        with one_thread(self.options.threads):
            for u in fleet.units:
                self._check_layout(u)
                prep, _ = self._front.prepare(u)
                self._learn(prep)
                rul, lower, upper = self._last(prep)
                out.append(RulPrediction(u.unit, int(prep.cycles[-1]), rul, lower, upper))
        return out

    def _check_layout(self, unit: UnitSeries) -> None:
        assert self._front is not None
        expected = self._front.normalizer.mean.shape[1]
        if unit.sensors.shape[1] != expected:
            raise InvalidInput(
                f"unit {unit.unit} has {unit.sensors.shape[1]} sensors, the "
                f"model was trained on {expected}"
            )

    def _last(self, prep: _Prepared) -> tuple[float, float, float]:
        cap = self.options.cap
        if self.options.method == "gbm":
            x = prep.x[-1:]
            lo, mid, hi = (float(m.predict(x)[0]) for m in self._gbm)
            lo, hi = min(lo, mid) - self._cqr, max(hi, mid) + self._cqr
        else:
            assert self._conformal is not None
            mid = float(self._point_all(prep, last_only=True)[-1])
            low, high = self._conformal.interval(np.array([mid]))
            lo, hi = float(low[0]), float(high[0])
        mid = float(np.clip(mid, 0, cap))
        return mid, float(np.clip(lo, 0, mid)), float(np.clip(hi, mid, cap))

    def _point_all(self, u: _Prepared, *, last_only: bool = False, stride: int = 1) -> FloatArray:
        """Point predictions at every ``stride``-th cycle up to the last (or only the last)."""
        cap, method = self.options.cap, self.options.method
        n = len(u.cycles)
        rows = np.arange(n - 1, -1, -stride)[::-1] if not last_only else np.array([n - 1])
        if method == "mean_life":
            return np.asarray(np.clip(self._mean_life - u.cycles[rows], 0, cap), np.float64)
        if method == "linear":
            return np.array([self._linear(u, i) for i in rows])
        sim = np.array([self._similar(u, i) for i in rows])
        if method == "similarity":
            return sim
        gbm = np.clip(self._gbm[1].predict(u.x[rows]), 0, cap)
        return np.asarray((sim + gbm) / 2, dtype=np.float64)

    def _linear(self, u: _Prepared, i: int, span: int = 30) -> float:
        a = max(0, i - span + 1)
        t = u.cycles[a : i + 1].astype(np.float64)
        h = u.hi[a : i + 1]
        cap = self.options.cap
        if len(t) < 3:
            return cap
        slope, icept = np.polyfit(t, h, 1)
        if slope <= 1e-9:
            return cap
        return float(np.clip((self._fail_level - (slope * t[-1] + icept)) / slope, 0, cap))

    def _similar(self, u: _Prepared, i: int, span: int = 30, k: int = 10) -> float:
        m = min(i + 1, span)
        q = _track(u)[i + 1 - m : i + 1]
        cands = []
        for drift, cycles, life in self._library:
            if len(drift) < m:
                continue
            windows = sliding_window_view(drift, m)
            d = ((windows - q) ** 2).mean(axis=1)
            best = int(d.argmin())
            cands.append((float(d[best]), life - cycles[best + m - 1]))
        if not cands:
            return self.options.cap
        cands.sort(key=lambda c: c[0])
        rul = np.minimum([c[1] for c in cands[:k]], self.options.cap)
        return float(np.median(rul))

    # -- persistence -----------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """A versioned model file (only load files you trust: the body is a pickle)."""
        header = {
            "format": FORMAT_VERSION,
            "sklearn": sklearn.__version__,
            "method": self.options.method,
        }
        buffer = io.BytesIO()
        buffer.write(MAGIC)
        buffer.write(json.dumps(header).encode() + b"\n")
        pickle.dump(self, buffer, protocol=pickle.HIGHEST_PROTOCOL)
        path.write_bytes(buffer.getvalue())

    @staticmethod
    def load(path: Path) -> RulModel:
        """The model in ``path``; :class:`InvalidInput` if it is not one or is of another
        format or scikit-learn version."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
        if not data.startswith(MAGIC):
            raise InvalidInput(f"{path} is not an OpenFab RUL model file")
        line, _, body = data[len(MAGIC) :].partition(b"\n")
        try:
            header = json.loads(line)
        except ValueError:
            raise InvalidInput(f"{path}: damaged model header") from None
        if header.get("format") != FORMAT_VERSION:
            raise InvalidInput(
                f"{path} is a model file of format {header.get('format')}, this "
                f"OpenFab reads format {FORMAT_VERSION}: train the model again"
            )
        if header.get("sklearn") != sklearn.__version__:
            raise InvalidInput(
                f"{path} was written with scikit-learn {header.get('sklearn')}, "
                f"this is {sklearn.__version__}: train the model again"
            )
        try:
            model = pickle.loads(body)
        except Exception:
            raise InvalidInput(f"{path}: damaged model file") from None
        if not isinstance(model, RulModel):
            raise InvalidInput(f"{path} does not hold a RUL model")
        return model


def _time_to_level(h: FloatArray, level: float, cap: float) -> FloatArray:
    """Per cycle, cycles until ``h`` reaches ``level`` if it kept the trend of its trailing
    windows: straight lines over 30, 60 and 120 cycles and parabolas over 60 and 120
    (ratios of level to slope that trees cannot form themselves), clipped to 0..2 cap."""
    horizon = 2 * cap
    cols = []
    for span, degree in ((30, 1), (60, 1), (120, 1), (60, 2), (120, 2)):
        padded = np.concatenate([np.repeat(h[:1], span - 1), h])
        w = sliding_window_view(padded, span)  # (n, span)
        t = np.arange(span, dtype=np.float64) - (span - 1)  # 0 at the last cycle
        basis = np.vander(t, degree + 1, increasing=True)  # 1, t, (t^2)
        coef = w @ np.linalg.pinv(basis).T  # (n, degree + 1)
        a, b = coef[:, 0], coef[:, 1]
        c = coef[:, 2] if degree == 2 else np.zeros_like(a)
        gap = level - a
        with np.errstate(all="ignore"):
            lin = np.where(b > 1e-12, gap / b, horizon)
            disc = b * b + 4 * c * gap
            root = (-b + np.sqrt(np.maximum(disc, 0))) / (2 * c)
            quad = np.where((np.abs(c) > 1e-12) & (disc >= 0) & (root > 0), root, lin)
        out = lin if degree == 1 else quad
        out = np.where(gap <= 0, 0.0, out)
        cols.append(np.clip(np.nan_to_num(out, nan=horizon), 0, horizon))
    return np.column_stack(cols)


def _track(u: _Prepared) -> FloatArray:
    """The trajectory similarity matches: the learned wear (smoothed), else the drift."""
    return u.drift if u.learned is None else u.learned


def _rows(
    units: list[_Prepared], lives: FloatArray, cap: float, stride: int
) -> tuple[FloatArray, FloatArray]:
    xs, ys = [], []
    for u, life in zip(units, lives, strict=True):
        rows = np.arange(len(u.cycles) - 1, -1, -stride)[::-1]
        xs.append(u.x[rows])
        ys.append(np.minimum(life - u.cycles[rows], cap))
    return np.concatenate(xs), np.concatenate(ys).astype(np.float64)


def true_rul(fleet: Fleet, cut: Fleet, *, cap: float = math.inf) -> FloatArray:
    """RUL at the last cycle of each cut unit, from the full lives (capped at ``cap``)."""
    lives = {u.unit: u.last_cycle for u in fleet.units}
    return np.array([min(lives[u.unit] - u.last_cycle, cap) for u in cut.units])
