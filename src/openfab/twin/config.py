"""The twin's knobs, one frozen dataclass with documented defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, get_args

from openfab.errors import ProblemCollector

Dispatch = Literal["fixed", "fifo", "plan"]
"""How a free machine picks its next operation (see :attr:`TwinConfig.dispatch`)."""

MAX_RUN_ID = 64
"""Message ids are ``{run_id}-{sequence}`` and the MES keeps 128 characters of them."""


def default_run_id(seed: int, origin: datetime) -> str:
    """``s{seed}-{origin}``: a run of another seed or starting at another time has other ids,
    and the same run replayed has the same ones."""
    return f"s{seed}-{origin.astimezone(UTC):%Y%m%dT%H%M%SZ}"


@dataclass(frozen=True)
class TwinConfig:
    """Simulation settings. Times in minutes unless named otherwise.

    Failure model: wear grows by the work center's ``wear_rate`` per running hour times the
    operation's load; the cumulative hazard grows as ``load**load_exponent * (wear /
    wear_scale) ** weibull_shape`` (a Weibull hazard in wear), plus a small wear-independent
    rate. Defects: a unit gets a defect in an operation with probability
    ``logistic(defect_logit + defect_slope * z)``, ``z`` the largest parameter deviation in
    tolerances.
    """

    origin: datetime = field(default_factory=lambda: datetime(2026, 1, 5, tzinfo=UTC))
    run_id: str = ""
    """Prefix of every message id, so two runs into one database or bus never collide;
    empty: derived from the seed and the origin (:func:`default_run_id`), deterministic."""
    telemetry_period: float = 1.0
    """Minutes between telemetry samples (0 = no telemetry)."""
    telemetry_batches: bool = True
    """Emit one :class:`TelemetryBatch` per sample instead of single readings."""
    energy_period: float = 15.0
    sink_batch: int = 4096
    """Events handed to the sink at a time."""
    initial_wear: float = 0.0
    initial_wear_spread: float = 0.4
    """Machines start with ``initial_wear`` plus a uniform share of this (not all are new)."""
    weibull_shape: float = 3.0
    wear_scale: float = 1.0
    load_exponent: float = 2.0
    random_failures_per_hour: float = 0.0005
    repair_minutes: float = 90.0
    repair_sigma: float = 0.5
    repair_restores: float = 0.6
    """Share of the wear a repair removes (preventive maintenance removes all)."""
    duration_sigma: float = 0.05
    wear_slowdown: float = 0.15
    """Run time grows by this share per unit of wear."""
    drift_scale: float = 1.0
    wear_drift: float = 1.0
    """Parameter offset per unit of wear, in tolerances."""
    defect_logit: float = -5.5
    defect_slope: float = 2.5
    scan_size: int = 64
    supplier_delay_sigma: float = 240.0
    auto_stock: bool = False
    """Materials never ordered are received on demand (a demo without purchasing)."""
    purchased: frozenset[str] = frozenset()
    """Materials bought from suppliers: never received on demand, even before their first
    purchase order (with ``auto_stock``, only the others are)."""
    start_early: bool = False
    """An operation whose machine is free, predecessor done and material on hand starts
    before its planned start: the plan is followed as a sequence per machine, the way a
    dispatcher uses idle time, instead of as a timetable."""
    dispatch: Dispatch = "fixed"
    """``fixed``: each operation runs on the machine the plan named, in planned order per
    machine. ``fifo`` (the non-AI baseline): a ready operation waits in a pool shared by
    its eligible machines (:attr:`PlannedOperation.alternatives`, else the work center);
    a machine that frees takes the one whose work order arrived first, planned starts
    ignored. ``plan``: same pools; a freed machine takes the earliest planned start, but
    within ``family_window`` of it prefers its own setup family, then ops planned on it;
    it starts early unless the plan deferred the op (``not_before``)."""
    family_window: float = 60.0
    """Minutes of planned start an op of the machine's setup family may jump (``plan``)."""
    minor_setup_share: float = 0.3
    """Share of the setup paid between variants of one group (``group/variant``)."""
    standby_after: float | None = None
    """Minutes idle without work after which a machine draws standby power (None: never)."""
    sunrise_hour: float = 6.5
    sunset_hour: float = 19.5

    def __post_init__(self) -> None:
        errors = ProblemCollector()
        if self.origin.tzinfo is None:
            errors.add("origin", "must be timezone-aware (UTC)")
        nonnegative = (
            "telemetry_period",
            "initial_wear",
            "initial_wear_spread",
            "random_failures_per_hour",
        )
        for name in nonnegative:
            if getattr(self, name) < 0:
                errors.add(name, f"must be >= 0, got {getattr(self, name)}")
        for name in ("energy_period", "repair_minutes", "wear_scale", "weibull_shape"):
            if getattr(self, name) <= 0:
                errors.add(name, f"must be > 0, got {getattr(self, name)}")
        if len(self.run_id) > MAX_RUN_ID or any(c.isspace() for c in self.run_id):
            errors.add("run_id", f"must be at most {MAX_RUN_ID} characters without spaces")
        if self.sink_batch < 1:
            errors.add("sink_batch", "must be >= 1")
        if not 8 <= self.scan_size <= 512:
            errors.add("scan_size", f"must be within 8..512, got {self.scan_size}")
        if not 0 <= self.repair_restores <= 1:
            errors.add("repair_restores", "must be within 0..1")
        if self.dispatch not in get_args(Dispatch):
            errors.add("dispatch", f"must be one of {', '.join(get_args(Dispatch))}")
        if self.family_window < 0:
            errors.add("family_window", f"must be >= 0, got {self.family_window}")
        if not 0 <= self.minor_setup_share <= 1:
            errors.add("minor_setup_share", "must be within 0..1")
        if self.standby_after is not None and self.standby_after < 0:
            errors.add("standby_after", f"must be >= 0, got {self.standby_after}")
        if not 0 <= self.sunrise_hour < self.sunset_hour <= 24:
            errors.add("sunrise_hour", "needs 0 <= sunrise < sunset <= 24")
        errors.raise_if_any("invalid twin configuration")
