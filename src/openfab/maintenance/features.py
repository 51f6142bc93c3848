"""Features from telemetry windows, after taking the operating regime out.

In a fleet that runs in several regimes (altitude, speed, load) the regime moves every sensor
far more than wear does; :class:`RegimeNormalizer` clusters the settings with k-means and
standardises each sensor within its regime, so what is left is wear and noise. Then
:func:`window_features` summarises the trailing window at every cycle: level (mean, min,
max), spread (std), trend (least-squares slope) and spectrum (FFT band energies, for
vibration-like signals).
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import ThreadpoolController

from openfab.maintenance.series import FloatArray, IntArray

MAX_REGIMES = 8
BANDS = 3
STATS = ("mean", "std", "min", "max", "slope", *(f"band{b + 1}" for b in range(BANDS)))


@dataclass(frozen=True)
class RegimeNormalizer:
    """k-means on the settings (standardised), then a mean and std per regime and sensor."""

    centers: FloatArray  # (k, 3) in standardised settings
    settings_mean: FloatArray
    settings_scale: FloatArray
    mean: FloatArray  # (k, s)
    std: FloatArray  # (k, s)
    informative: np.ndarray  # (s,) bool: sensors that vary within a regime

    @property
    def regimes(self) -> int:
        return len(self.centers)

    @staticmethod
    def fit(
        settings: FloatArray, sensors: FloatArray, *, regimes: int | None = None, seed: int = 0
    ) -> RegimeNormalizer:
        """``regimes=None``: chosen by silhouette (2..8 clusters must separate clearly,
        silhouette >= 0.7; otherwise one regime)."""
        settings = np.where(np.isfinite(settings), settings, np.nanmedian(settings, axis=0))
        settings = np.nan_to_num(settings)
        mean = settings.mean(axis=0)
        scale = settings.std(axis=0)
        scale = np.where(scale > 1e-9, scale, 1.0)
        z = (settings - mean) / scale
        with one_thread():  # OpenMP threads fight on a shared machine
            k = regimes if regimes is not None else _choose_k(z, seed)
            if k <= 1 or len(z) <= k:
                centers = np.zeros((1, z.shape[1]))
            else:
                km = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(z)
                centers = km.cluster_centers_
        labels = _nearest(z, centers)
        mu = np.zeros((len(centers), sensors.shape[1]))
        sd = np.ones_like(mu)
        for r in range(len(centers)):
            rows = sensors[labels == r]
            if len(rows):
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    mu[r] = np.nan_to_num(np.nanmean(rows, axis=0))
                    sd[r] = np.nan_to_num(np.nanstd(rows, axis=0))
        informative = np.all(sd > 1e-9 * np.maximum(np.abs(mu), 1.0), axis=0)
        sd = np.where(sd > 1e-12, sd, 1.0)
        return RegimeNormalizer(centers, mean, scale, mu, sd, informative)

    def labels(self, settings: FloatArray) -> IntArray:
        return _nearest((settings - self.settings_mean) / self.settings_scale, self.centers)

    def transform(self, settings: FloatArray, sensors: FloatArray) -> FloatArray:
        """Sensors standardised within their regime; constant sensors dropped."""
        r = self.labels(settings)
        z = (sensors - self.mean[r]) / self.std[r]
        return np.asarray(z[:, self.informative], dtype=np.float64)


def _nearest(z: FloatArray, centers: FloatArray) -> IntArray:
    d = ((z[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    return np.asarray(d.argmin(axis=1), dtype=np.int64)


def one_thread(threads: int = 1) -> Any:
    """A context that limits the native thread pools (OpenMP, BLAS) to ``threads``. The
    controller that finds them is built once per process: ``threadpool_limits`` scans the
    process's loaded libraries on every call (measured 6.5 ms, a fifth of a machine's health
    assessment)."""
    return _controller().limit(limits=threads)


@lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def _choose_k(z: FloatArray, seed: int) -> int:
    if len(z) < 20 or float(z.std()) < 1e-9:
        return 1
    rng = np.random.default_rng(seed)
    sample = z[rng.choice(len(z), min(len(z), 1000), replace=False)]
    best_k, best = 1, 0.7
    for k in range(2, MAX_REGIMES + 1):
        if len(np.unique(sample.round(6), axis=0)) <= k:
            break
        labels = KMeans(n_clusters=k, n_init=2, random_state=seed).fit_predict(sample)
        score = float(silhouette_score(sample, labels))
        if score > best + 0.02:
            best_k, best = k, score
    return best_k


def window_features(values: FloatArray, window: int) -> FloatArray:
    """Per cycle, per column: mean, std, min, max, slope and FFT band energies of the
    trailing ``window`` readings (the first cycles see their start repeated), shape
    (n, columns * len(STATS)), grouped by statistic."""
    n, c = values.shape
    if n == 0:
        return np.zeros((0, c * len(STATS)))
    padded = np.concatenate([np.repeat(values[:1], window - 1, axis=0), values])
    w = sliding_window_view(padded, window, axis=0)  # (n, c, window)
    mean = w.mean(axis=2)
    std = w.std(axis=2)
    t = np.arange(window) - (window - 1) / 2
    slope = (w * t).sum(axis=2) / max(float((t * t).sum()), 1e-12)
    detrended = w - mean[..., None] - slope[..., None] * t
    power = np.abs(np.fft.rfft(detrended, axis=2)[..., 1:]) ** 2 / window
    edges = np.linspace(0, power.shape[2], BANDS + 1).astype(int)
    bands = [
        power[..., a:b].sum(axis=2) if b > a else np.zeros((n, c))
        for a, b in itertools.pairwise(edges)
    ]
    parts = [mean, std, w.min(axis=2), w.max(axis=2), slope, *bands]
    return np.concatenate(parts, axis=1)


def smooth(values: FloatArray, span: int) -> FloatArray:
    """Exponentially weighted moving average along cycles (a causal low-pass)."""
    if len(values) == 0:
        return values
    alpha = 2.0 / (span + 1)
    out = np.empty_like(values)
    out[0] = values[0]
    for i in range(1, len(values)):
        out[i] = alpha * values[i] + (1 - alpha) * out[i - 1]
    return out
