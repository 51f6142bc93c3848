"""An unsupervised health index (0 = as healthy as early life, 1 = far from it) and alarms.

Fitted on early-life readings only, so it needs no failure labels: the Mahalanobis distance
of the smoothed, regime-normalised sensors from their healthy distribution (covariance shrunk
by Ledoit-Wolf, so correlated sensors do not dominate and few cycles suffice), squashed as
``1 - 2 ** -(d / (2 d99)) ** 2`` with ``d99`` the healthy 99th percentile: healthy readings
stay below about 0.16, twice as far as any healthy one reads 0.5.

Alarms use hysteresis: raised after ``k`` consecutive windows above ``raise_at``, cleared
only below ``clear_at``, so an index hovering at the threshold does not flap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.covariance import LedoitWolf

from openfab.errors import InvalidInput
from openfab.maintenance.features import smooth
from openfab.maintenance.series import FloatArray


@dataclass(frozen=True)
class HealthModel:
    mean: FloatArray
    precision: FloatArray
    d99: float
    span: int

    @staticmethod
    def fit(units: list[FloatArray], *, healthy_share: float = 0.3, span: int = 10) -> HealthModel:
        """``units``: each unit's regime-normalised sensors (n_i, s) over a full life; the
        first ``healthy_share`` of each life is taken as healthy."""
        if not units or not 0 < healthy_share <= 1:
            raise InvalidInput("health model needs units and 0 < healthy_share <= 1")
        healthy = [smooth(u, span)[: max(2, int(len(u) * healthy_share))] for u in units]
        data = np.concatenate(healthy)
        if len(data) < 3 or data.shape[1] == 0:
            raise InvalidInput("too few healthy readings to fit a health index")
        lw = LedoitWolf().fit(data)
        mean = data.mean(axis=0)
        model = HealthModel(mean, np.asarray(lw.precision_, dtype=np.float64), 1.0, span)
        d = model.distance(data, smoothed=True)
        return HealthModel(mean, model.precision, max(float(np.quantile(d, 0.99)), 1e-9), span)

    def distance(self, z: FloatArray, *, smoothed: bool = False) -> FloatArray:
        x = (z if smoothed else smooth(z, self.span)) - self.mean
        d2 = np.einsum("ij,jk,ik->i", x, self.precision, x)
        return np.asarray(np.sqrt(np.maximum(d2, 0.0)), dtype=np.float64)

    def index(self, z: FloatArray) -> FloatArray:
        """Health index per cycle of one unit, 0..1 (rises with wear)."""
        d = self.distance(z)
        return np.asarray(1.0 - np.exp2(-((d / (2 * self.d99)) ** 2)), dtype=np.float64)


def alarm_states(
    index: FloatArray, *, raise_at: float = 0.5, clear_at: float = 0.3, k: int = 3
) -> np.ndarray:
    """Whether the alarm is on at each window (hysteresis, ``k`` windows to raise)."""
    if not 0 <= clear_at <= raise_at or k < 1:
        raise InvalidInput("alarm needs 0 <= clear_at <= raise_at and k >= 1")
    on = np.zeros(len(index), dtype=bool)
    active, above = False, 0
    for i, value in enumerate(index):
        above = above + 1 if value > raise_at else 0
        if not active and above >= k:
            active = True
        elif active and value < clear_at:
            active = False
        on[i] = active
    return on


def first_alarm(index: FloatArray, **options: float) -> int | None:
    """Row of the first raised alarm, or None."""
    on = alarm_states(index, **options)  # type: ignore[arg-type]
    hits = np.flatnonzero(on)
    return int(hits[0]) if len(hits) else None
