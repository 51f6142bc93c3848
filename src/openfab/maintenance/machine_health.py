"""A machine's health and remaining life from its recent telemetry (pure: arrays in, an
:class:`Assessment` out; the service reads the store, the twin benchmark its own stream).

1. **Windows**: readings are binned into windows of ``window_minutes``; each window keeps
   the median of every signal over the readings taken while the machine ran (the state
   moves vibration, heat and current far more than wear does, so only one regime is
   compared). Empty windows are gaps: skipped, and counted by cleaning.
2. **Cleaning**: :func:`telemetry_clean.clean_unit` on the windows (spikes, stuck sensors,
   unit changes, missing values), its report kept as evidence.
3. **Health**: :class:`health.HealthModel` fitted on the first ``healthy_share`` of the
   windows (the caller passes the life since the last repair or maintenance), so each
   machine is compared with itself as it was; the index (0..1) and the hysteresis alarm.
4. **Remaining life**: the drift (relative change of the signals from their healthy
   level, each signal weighted by how quiet it was when healthy) extrapolated along its
   recent trend to ``fail_drift``; the 90 % interval from the slope's standard error.
5. **Chance of failure**: with ``fail_shape`` set, the level of drift at which a machine
   fails is itself uncertain (a Weibull in drift, fitted on past lives by
   :func:`fit_failure_level`, left-truncated and censored); the chance of failing within
   a horizon is then the conditional one, given the machine runs now:
   ``1 - exp(-(H(d + slope * h) - H(d)))``. Without it, a log-normal through the RUL
   interval (the RUL's own uncertainty only).
6. **When to act**: :func:`act_threshold` turns the costs of a stop and of a breakdown into
   the chance of failure before the next opportunity above which stopping now is cheaper
   than waiting (the age-replacement marginal rule); a service ceiling, when the plant sets
   one, bounds the running hours between services whatever the prediction
   (:func:`maintenance_call`, :func:`first_service_hours` for machines never seen serviced).

The healthy level can be passed in (``reference``): a caller that keeps the level measured
after the last full maintenance judges a machine repaired since (a repair removes only part
of the wear) by its whole wear, not only the wear since the repair.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from openfab.errors import InvalidInput
from openfab.maintenance.features import RegimeNormalizer, smooth
from openfab.maintenance.health import HealthModel, alarm_states
from openfab.maintenance.series import FloatArray, UnitSeries
from openfab.maintenance.telemetry_clean import clean_unit

Z90 = 1.6449
HOURS_CAP = 24.0 * 60
"""RUL is reported up to 60 days; beyond that the trend says nothing useful."""


@dataclass(frozen=True)
class HealthOptions:
    window_minutes: float = 30.0
    healthy_share: float = 0.3
    min_windows: int = 12
    """Fewer windows than this: too little telemetry to judge (health unknown)."""
    trend_windows: int = 24
    """Recent windows the trend (and so the RUL) is fitted on."""
    fail_drift: float = 0.5
    """Relative change of the signals from healthy at which a failure is expected (learned
    from the plant's failures when it has some; see the service)."""
    fail_shape: float | None = None
    """Weibull shape of the drift at failure (None: the failure level is taken as known and
    the chance of failure comes from the RUL interval alone)."""
    raise_at: float = 0.5
    clear_at: float = 0.3
    span: int = 4

    def __post_init__(self) -> None:
        if self.window_minutes <= 0 or not 0 < self.healthy_share < 1 or self.min_windows < 6:
            raise InvalidInput("health options need window > 0, 0 < share < 1, min_windows >= 6")
        if self.fail_drift <= 0 or (self.fail_shape is not None and self.fail_shape <= 0):
            raise InvalidInput("health options need fail_drift > 0 and fail_shape > 0")


@dataclass(frozen=True)
class Assessment:
    """A machine's state from its telemetry. ``rul_*`` in hours (None: no trend to follow)."""

    health: float
    drift: float
    alarm: bool
    rul_hours: float | None
    rul_lower: float | None
    rul_upper: float | None
    slope_per_hour: float
    windows: int
    readings: int
    cleaning: dict[str, int] = field(default_factory=dict)
    enough: bool = True
    reference: tuple[float, ...] = ()
    """The healthy level of each signal the drift was measured from."""
    level: float = 0.0
    """The drift on its recent trend (less noisy than ``drift``, the last smoothed value)."""
    fail_drift: float = 0.0
    fail_shape: float | None = None

    def failure_probability(self, within_hours: float) -> float:
        """Chance that the machine fails within ``within_hours``: with a failure-level
        distribution (``fail_shape``), the conditional chance given it runs now, the drift
        following its trend (0 without data); otherwise a log-normal through the RUL and its
        lower bound (0 without a rising trend)."""
        if not self.enough:
            return 0.0
        if self.fail_shape is not None and self.fail_drift > 0:
            return conditional_failure(
                self.level, max(self.slope_per_hour, 0.0) * max(within_hours, 0.0),
                self.fail_drift, self.fail_shape,
            )  # fmt: skip
        if self.rul_hours is None or self.rul_lower is None:
            return 0.0
        if self.rul_hours <= 0:
            return 0.99
        mid = max(self.rul_hours, 1e-3)
        low = min(max(self.rul_lower, 1e-3), mid * 0.999)
        sigma = max(math.log(mid / low) / Z90, 0.05)
        z = math.log(max(within_hours, 1e-6) / mid) / sigma
        return float(min(0.99, 0.5 * math.erfc(-z / math.sqrt(2))))


def unknown(readings: int, windows: int, cleaning: dict[str, int] | None = None) -> Assessment:
    return Assessment(0.0, 0.0, False, None, None, None, 0.0, windows, readings,
                      cleaning or {}, enough=False)  # fmt: skip


def windows(
    minutes: FloatArray, values: FloatArray, running: np.ndarray, width: float
) -> tuple[np.ndarray, FloatArray]:
    """Window numbers and the per-window median of each signal over running readings
    (NaN where a signal had none); windows without a running reading are left out."""
    keep = running & np.isfinite(minutes)
    if not keep.any():
        return np.zeros(0, dtype=np.int64), np.zeros((0, values.shape[1]))
    index = np.floor(minutes[keep] / width).astype(np.int64)
    vals = values[keep]
    order = np.argsort(index, kind="stable")
    index, vals = index[order], vals[order]
    cuts = np.flatnonzero(np.diff(index)) + 1
    numbers = index[np.concatenate(([0], cuts))]
    return numbers, _window_medians(vals, cuts)


def _window_medians(vals: FloatArray, cuts: np.ndarray) -> FloatArray:
    """Median of each column within each run of rows between ``cuts``, ignoring NaN (NaN
    where a run has none): the runs padded with NaN to one width, then one ``nanmedian``."""
    starts = np.concatenate(([0], cuts))
    lengths = np.diff(np.concatenate((starts, [len(vals)])))
    padded = np.full((len(starts), int(lengths.max()), vals.shape[1]), np.nan)
    slot = np.arange(len(vals)) - np.repeat(starts, lengths)
    padded[np.repeat(np.arange(len(starts)), lengths), slot] = vals
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN window stays NaN
        medians: FloatArray = np.nanmedian(padded, axis=1)
    return medians


def assess(
    minutes: FloatArray,
    values: FloatArray,
    running: np.ndarray | None = None,
    *,
    options: HealthOptions | None = None,
    reference: FloatArray | None = None,
) -> Assessment:
    """The health of one machine from readings at ``minutes`` (n,) of ``values`` (n, s)
    (NaN: not read); ``running`` (n,) marks readings taken while it ran (None: all).
    ``reference`` (s,): the healthy level of each signal (None: the first windows')."""
    opts = options or HealthOptions()
    minutes = np.asarray(minutes, dtype=np.float64)
    if len(minutes) == 0:
        return unknown(0, 0)
    values = np.asarray(values, dtype=np.float64).reshape(len(minutes), -1)
    run = np.ones(len(minutes), dtype=bool) if running is None else np.asarray(running, bool)
    readings = int(np.isfinite(values).sum())
    numbers, agg = windows(minutes, values, run, opts.window_minutes)
    if len(numbers) < opts.min_windows:
        return unknown(readings, len(numbers))
    unit = UnitSeries(0, numbers, np.zeros((len(numbers), 3)), agg)
    cleaned, report = clean_unit(unit)
    counts = {k: v for k, v in report.as_dict().items() if v and k != "rows"}
    sensors = cleaned.sensors
    base = max(opts.min_windows // 2, int(len(sensors) * opts.healthy_share))
    settings = np.zeros((len(sensors), 3))
    norm = RegimeNormalizer.fit(settings[:base], sensors[:base], regimes=1)
    z = norm.transform(settings, sensors)
    if z.shape[1] == 0:
        return unknown(readings, len(numbers), counts)
    try:
        model = HealthModel.fit([z[:base]], healthy_share=1.0, span=opts.span)
    except InvalidInput:
        return unknown(readings, len(numbers), counts)
    index = model.index(z)
    level = np.mean(sensors[:base], axis=0)
    if reference is not None:
        ref = np.asarray(reference, dtype=np.float64).ravel()
        if ref.shape == level.shape and np.isfinite(ref).all():
            level = ref
    drift = _relative_change(sensors, base, opts.span, level)
    alarm = bool(alarm_states(index, raise_at=opts.raise_at, clear_at=opts.clear_at)[-1])
    hours = cleaned.cycles.astype(np.float64) * opts.window_minutes / 60.0
    rul, low, high, slope, now = _trend_rul(hours, drift, opts)
    return Assessment(
        health=float(index[-1]),
        drift=float(drift[-1]),
        alarm=alarm,
        rul_hours=rul,
        rul_lower=low,
        rul_upper=high,
        slope_per_hour=slope,
        windows=len(numbers),
        readings=readings,
        cleaning=counts,
        reference=tuple(float(v) for v in level),
        level=now,
        fail_drift=opts.fail_drift,
        fail_shape=opts.fail_shape,
    )


def _relative_change(
    sensors: FloatArray, base: int, span: int, level: FloatArray | None = None
) -> FloatArray:
    """Absolute relative change of the (smoothed) signals from their healthy ``level``
    (default: the mean of the first ``base`` windows): 0.3 = the signals moved 30 %. The
    signals are averaged with weights 1 / (their healthy relative noise)^2, so a quiet signal
    that moves with wear is not drowned by one that moves with the load. Unlike the health
    index the result does not scale with the healthy noise, so one failure level fits
    machines with quiet and noisy sensors."""
    if level is None:
        level = np.mean(sensors[:base], axis=0)
    ok = np.abs(level) > 1e-9
    if not ok.any():
        return np.zeros(len(sensors))
    rel = sensors[:, ok] / level[ok] - 1.0
    noise = np.std(rel[:base], axis=0) if base >= 2 else np.ones(int(ok.sum()))
    weights = 1.0 / np.maximum(noise, 1e-3) ** 2
    change = np.abs(smooth(rel, span))
    return np.asarray(change @ (weights / weights.sum()), dtype=np.float64)


def _trend_rul(
    hours: FloatArray, drift: FloatArray, opts: HealthOptions
) -> tuple[float | None, float | None, float | None, float, float]:
    """Hours until the drift's recent trend reaches ``fail_drift``, with a 90 % interval;
    the slope per hour and the drift on the trend now."""
    t, y = hours[-opts.trend_windows :], drift[-opts.trend_windows :]
    if len(t) < 4 or float(np.ptp(t)) <= 0:
        return None, None, None, 0.0, float(drift[-1]) if len(drift) else 0.0
    tc = t - t.mean()
    sxx = float((tc * tc).sum())
    slope = float((tc * (y - y.mean())).sum() / sxx)
    fitted = y.mean() + slope * (t[-1] - t.mean())
    resid = y - (y.mean() + slope * tc)
    se = math.sqrt(float((resid * resid).sum()) / max(len(t) - 2, 1) / sxx)
    now = max(float(fitted), 0.0)
    left = opts.fail_drift - max(float(fitted), float(y[-1]))
    if left <= 0:
        return 0.0, 0.0, 0.0, slope, now

    def until(rate: float) -> float:
        return HOURS_CAP if rate <= 1e-9 else min(HOURS_CAP, left / rate)

    if slope <= 0 and slope + Z90 * se <= 0:
        return None, None, None, slope, now
    return until(slope), until(slope + Z90 * se), until(slope - Z90 * se), slope, now


# -- the failure level and the decision -----------------------------------------------------


def _scale(median: float, shape: float) -> float:
    return float(median / math.log(2.0) ** (1.0 / shape))


def conditional_failure(level: float, rise: float, median: float, shape: float) -> float:
    """Chance of failing while the drift rises from ``level`` by ``rise``, given the machine
    runs at ``level``: the drift at failure is Weibull (``median``, ``shape``)."""
    eta = _scale(median, shape)
    a, b = max(level, 0.0) / eta, (max(level, 0.0) + max(rise, 0.0)) / eta
    return float(min(0.99, -math.expm1(-(b**shape - a**shape))))


@dataclass(frozen=True)
class FailureLevel:
    """The drift at failure as a Weibull: its median, shape and the lives it was fitted on."""

    median: float
    shape: float
    failures: int
    lives: int


def fit_failure_level(
    starts: FloatArray, ends: FloatArray, failed: np.ndarray, *, shapes: FloatArray | None = None
) -> FailureLevel:
    """Maximum-likelihood Weibull of the drift at failure from lives that were watched from
    drift ``starts`` (left truncation: a machine repaired, not renewed, starts worn) to
    ``ends``, ``failed`` marking those that ended in a wear failure (the others are censored:
    maintained, failed at random or still running). Raises :class:`InvalidInput` with fewer
    than 3 failures."""
    s0 = np.maximum(np.asarray(starts, dtype=np.float64), 0.0)
    s1 = np.maximum(np.asarray(ends, dtype=np.float64), s0)
    f = np.asarray(failed, dtype=bool)
    if not (len(s0) == len(s1) == len(f)):
        raise InvalidInput("starts, ends and failed must have one value per life")
    d = s1[f]
    if len(d) < 3 or (d <= 0).any():
        raise InvalidInput("the failure level needs at least 3 failures at a positive drift")
    best: tuple[float, float, float] | None = None
    for k in shapes if shapes is not None else np.linspace(0.5, 6.0, 111):
        exposure = float((s1**k - s0**k).sum())
        eta_k = exposure / len(d)  # closed form of eta**k for this shape
        ll = len(d) * (math.log(k) - math.log(eta_k)) + (k - 1) * float(np.log(d).sum()) - len(d)
        if best is None or ll > best[0]:
            best = (ll, float(k), eta_k ** (1.0 / k))
    assert best is not None
    _, k, eta = best
    return FailureLevel(eta * math.log(2.0) ** (1.0 / k), k, len(d), len(f))


def act_threshold(
    age_hours: float, next_chance_hours: float, *, stop_cost: float, failure_cost: float
) -> float:
    """The chance of failure before the next opportunity to stop above which stopping now
    is cheaper than waiting.

    Waiting ``next_chance_hours`` risks a breakdown (it costs ``failure_cost`` instead of the
    planned ``stop_cost``) and gains that much more use of the stop that will be paid
    anyway, worth ``stop_cost / cycle`` per hour; with the cycle about the machine's age
    since its last renewal (the age-replacement optimum: ``h(T) (Cf - Cp) = Cp / T``
    when breakdowns are rare) the break-even chance is
    ``next / age * Cp / (Cf - Cp)``."""
    if failure_cost <= stop_cost:
        return 1.0
    age = max(age_hours, next_chance_hours)
    return float(min(1.0, next_chance_hours / age * stop_cost / (failure_cost - stop_cost)))


@dataclass(frozen=True)
class MaintenanceCall:
    """Whether to stop a machine now: its chance of failing before the next opportunity to
    stop against the break-even chance (:func:`act_threshold`) for its age and the prices,
    or its age against the service ceiling (the longest it may run between services)."""

    chance: float
    threshold: float
    age_hours: float
    next_chance_hours: float
    ceiling_hours: float | None = None
    """Running hours at which the machine is due whatever its condition (None: no ceiling);
    for a machine whose last service was never seen, its share of the ceiling
    (:func:`first_service_hours`)."""
    first_service: bool = False
    """The machine was never seen serviced: its age counts from when it was first seen."""

    @property
    def by_risk(self) -> bool:
        return self.chance >= self.threshold

    @property
    def by_ceiling(self) -> bool:
        return self.ceiling_hours is not None and self.age_hours >= self.ceiling_hours

    @property
    def due(self) -> bool:
        return self.by_risk or self.by_ceiling

    def sentence(self) -> str:
        if self.by_risk or not self.by_ceiling:
            return (
                f"failure risk {self.chance:.0%} before the next chance to stop "
                f"({self.next_chance_hours:g} h) passes the break-even {self.threshold:.0%} "
                f"after {self.age_hours:.0f} running hours since renewal"
            )
        if self.first_service:
            return (
                f"never seen serviced: {self.age_hours:.0f} running hours since first seen "
                f"reached its turn ({self.ceiling_hours:.0f} h) in the first round of services"
            )
        return (
            f"{self.age_hours:.0f} running hours since renewal reached the service ceiling "
            f"of {self.ceiling_hours:g} h"
        )


def maintenance_call(
    a: Assessment,
    age_hours: float,
    *,
    next_chance_hours: float,
    stop_cost: float,
    failure_cost: float,
    ceiling_hours: float | None = None,
    first_service: bool = False,
) -> MaintenanceCall:
    """The decision rule the twin benchmark measured (``benchmarks/maintenance``): stop when
    the chance of failing before the next opportunity reaches the age-replacement
    break-even, or when the machine has run ``ceiling_hours`` (the plant's longest interval
    between services, which no prediction stretches)."""
    return MaintenanceCall(
        chance=a.failure_probability(next_chance_hours),
        threshold=act_threshold(
            age_hours, next_chance_hours, stop_cost=stop_cost, failure_cost=failure_cost
        ),
        age_hours=max(age_hours, 0.0),
        next_chance_hours=next_chance_hours,
        ceiling_hours=ceiling_hours,
        first_service=first_service,
    )


def first_service_hours(machine: str, ceiling_hours: float) -> float:
    """When a machine whose last service was never seen is due for its first one, in running
    hours since it was first seen: a share of the ceiling fixed by its id, so a plant taken
    over with no service records has every machine serviced once within one ceiling, spread
    evenly instead of all at once (a machine in steady state is anywhere in its interval),
    the same after a restart. A machine whose condition calls earlier is stopped earlier."""
    digest = hashlib.sha256(machine.encode()).digest()
    share = int.from_bytes(digest[:8], "big") / 2**64
    return ceiling_hours * (1.0 - share)
