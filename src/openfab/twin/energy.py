"""Rooftop solar: a clear-sky day curve scaled by a random cloudiness per day."""

from __future__ import annotations

import math

import numpy as np

from openfab.twin.config import TwinConfig

DAY = 24 * 60


class SolarProfile:
    """PV power over time for a plant with ``peak_kw`` of panels (deterministic per seed)."""

    def __init__(self, peak_kw: float, cfg: TwinConfig, rng: np.random.Generator) -> None:
        self.peak_kw = peak_kw
        self.cfg = cfg
        self.rng = rng
        self.cloudiness: list[float] = []
        self.start_hour = cfg.origin.hour + cfg.origin.minute / 60

    def clear_sky(self, minute: float) -> float:
        """Share of peak power under a clear sky (a sine between sunrise and sunset)."""
        hour = (self.start_hour + minute / 60) % 24
        rise, sset = self.cfg.sunrise_hour, self.cfg.sunset_hour
        if not rise < hour < sset:
            return 0.0
        return float(math.sin(math.pi * (hour - rise) / (sset - rise)) ** 1.3)

    def cloud(self, day: int) -> float:
        """Cloudiness of ``day`` in [0, 1): each day drawn once, in order."""
        while len(self.cloudiness) <= day:
            self.cloudiness.append(float(self.rng.beta(1.6, 2.4)))
        return self.cloudiness[day]

    def power_kw(self, minute: float) -> float:
        day = int((self.start_hour * 60 + minute) // DAY)
        return self.peak_kw * self.clear_sky(minute) * (1.0 - 0.8 * self.cloud(day))

    def energy_kwh(self, start: float, end: float, steps: int = 6) -> float:
        """PV energy over ``[start, end)`` minutes (midpoint rule)."""
        if end <= start:
            return 0.0
        dt = (end - start) / steps
        return sum(self.power_kw(start + (i + 0.5) * dt) for i in range(steps)) * dt / 60
