"""Run-to-run control: keep each machine's process settings on target between operations.

SPC waits until a drift is statistically certain (a point beyond three sigma, a run of
nine) and then re-centres once; by then a setting that wanders by a random walk and by tool
wear has been making defects for hours, since the defect risk climbs steeply as a setting
leaves its target. Semiconductor fabs run the other way round: every run's measured
settings update an exponentially weighted estimate of where the process sits, and a
correction goes back to the machine as soon as that estimate leaves a dead band around the
target (EWMA run-to-run control). The dead band keeps measurement noise from being chased
(Deming's funnel: adjusting for noise only widens the spread), the smoothing keeps one
wild reading from moving a machine, and a correction is given time to arrive before the
next one is judged.

Pure: machine settings in, corrections out; the quality autopilot sends them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from openfab.gateway.equipment import ParameterSpec

WEIGHT = 0.5
"""EWMA weight of the newest reading (λ): half the estimate is the latest operation."""
DEAD_BAND = 0.25
"""Share of the tolerance the smoothed setting may sit off target before it is corrected:
inside a quarter of the tolerance a centred spec keeps three quarters of its room."""
SETTLE = 2
"""Readings after a correction before the setting is judged again (the command needs time
to reach the machine; readings taken before it arrived would ask for it twice)."""


@dataclass(frozen=True)
class Recentre:
    """A machine's setting to bring back to its target."""

    machine: str
    parameter: str
    target: float
    observed: float
    smoothed: float
    tolerance: float

    @property
    def reason(self) -> str:
        off = (self.smoothed - self.target) / self.tolerance
        return (
            f"run-to-run: {self.parameter} on {self.machine} runs at {self.smoothed:.4g} "
            f"(smoothed), {off:+.2f} tolerances from target {self.target:.4g}"
        )


@dataclass
class _Estimate:
    smoothed: float | None = None
    settling: int = 0


@dataclass
class RunToRun:
    """EWMA run-to-run controller over every machine's settings (``machine → parameter →
    spec``); feed it each operation's settings as they start."""

    specs: Mapping[str, Mapping[str, ParameterSpec]]
    weight: float = WEIGHT
    dead_band: float = DEAD_BAND
    settle: int = SETTLE
    _estimates: dict[tuple[str, str], _Estimate] = field(default_factory=dict, init=False)

    def observe(self, machine: str, settings: Mapping[str, object]) -> list[Recentre]:
        """The corrections this operation's settings call for (none for a machine or a
        setting without a spec, or a value that is not a finite number)."""
        own = self.specs.get(machine, {})
        out = []
        for parameter, raw in settings.items():
            spec = own.get(parameter)
            value = _finite(raw)
            if spec is None or value is None or spec.tolerance <= 0:
                continue
            correction = self._update(machine, parameter, value, spec)
            if correction is not None:
                out.append(correction)
        return out

    def _update(
        self, machine: str, parameter: str, value: float, spec: ParameterSpec
    ) -> Recentre | None:
        estimate = self._estimates.setdefault((machine, parameter), _Estimate())
        if estimate.settling > 0:
            estimate.settling -= 1
            return None
        previous = value if estimate.smoothed is None else estimate.smoothed
        estimate.smoothed = self.weight * value + (1 - self.weight) * previous
        if abs(estimate.smoothed - spec.target) <= self.dead_band * spec.tolerance:
            return None
        correction = Recentre(
            machine, parameter, spec.target, value, estimate.smoothed, spec.tolerance
        )
        estimate.smoothed, estimate.settling = None, self.settle
        return correction


def _finite(raw: object) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    return float(raw) if math.isfinite(raw) else None
