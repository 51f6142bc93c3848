"""What root-cause analysis takes and returns.

In: inspected units, each with its outcome (defect or not, optionally a defect type, and/or a
measurement) and its genealogy factors, categorical (machine, material lot, supplier, shift,
crew) or numeric (process parameters, hours since maintenance). Out: ranked causes, each with
the evidence behind it and a sentence a quality engineer can check by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from openfab.errors import InvalidInput

FactorKind = Literal["categorical", "numeric"]
FactorValue = str | int | float | None
Confidence = Literal["high", "medium", "low"]


class RcaInputError(InvalidInput):
    """The units cannot be analysed as given; ``problems`` lists every reason."""


@dataclass(frozen=True)
class InspectedUnit:
    """One inspected unit: its outcome and the genealogy it went through (None: unknown)."""

    unit: str
    defect: bool
    factors: Mapping[str, FactorValue] = field(default_factory=dict)
    defect_type: str | None = None
    measurement: float | None = None


@dataclass(frozen=True)
class Factor:
    """How to read and word one genealogy factor.

    ``phrase`` words a level, e.g. ``"through {level}"`` for a machine or ``"from lot
    {level}"``; the default is ``"with {label} {level}"``."""

    name: str
    kind: FactorKind
    label: str = ""
    unit: str = ""
    phrase: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ")


@dataclass(frozen=True)
class Evidence:
    """The numbers behind a cause. Counts are of units; rates and means of the outcome."""

    test: str
    p_value: float
    q_value: float
    effect: str
    """``"risk ratio"`` for defects, ``"mean shift"`` for a measurement."""
    effect_size: float
    ci_low: float
    ci_high: float
    exposed_units: int
    other_units: int
    exposed_defects: int | None = None
    other_defects: int | None = None
    odds_ratio: float | None = None
    exposed_mean: float | None = None
    other_mean: float | None = None
    rank_biserial: float | None = None
    """Numeric factors: defect units' values against good units' (-1..1; >0 higher)."""
    cuts_tried: int = 1
    """Ranges searched for a numeric factor; the p-value is corrected for all of them."""

    @property
    def exposed_rate(self) -> float | None:
        if self.exposed_defects is None or not self.exposed_units:
            return None
        return self.exposed_defects / self.exposed_units

    @property
    def other_rate(self) -> float | None:
        if self.other_defects is None or not self.other_units:
            return None
        return self.other_defects / self.other_units


@dataclass(frozen=True)
class Suspect:
    """What a cause points at: a factor's level, or a range of a numeric factor."""

    factor: str
    kind: FactorKind
    description: str
    """E.g. ``"machine paint-line-2"`` or ``"spindle temperature > 81.2 °C"``."""
    level: str | None = None
    low: float | None = None
    """Numeric: the range is ``value <= low`` or ``value > high`` (either or both)."""
    high: float | None = None


@dataclass(frozen=True)
class Cause:
    """A likely cause, ranked; ``inseparable`` suspects always went with it in these data."""

    rank: int
    suspect: Suspect
    evidence: Evidence
    confidence: Confidence
    sentence: str
    inseparable: tuple[Suspect, ...] = ()


@dataclass(frozen=True)
class Dismissed:
    """A suspect that looked significant alone but is explained by a stronger cause."""

    suspect: Suspect
    explained_by: Suspect
    p_within: float
    sentence: str


@dataclass(frozen=True)
class RootCauseReport:
    causes: tuple[Cause, ...]
    dismissed: tuple[Dismissed, ...]
    units: int
    defects: int | None
    tests: int
    factors_tested: tuple[str, ...]
    skipped: tuple[str, ...]
    """Factors not tested, each with the reason."""
    summary: str

    @property
    def found(self) -> bool:
        return bool(self.causes)
