"""Root-cause analysis: rank the genealogy factors behind a rise in defects, with evidence.

report = rank_causes(units)           # units: InspectedUnit(unit, defect, factors)
for cause in report.causes:
    print(cause.sentence)             # counts, rates, risk ratio with CI, p and q
"""

from openfab.quality.rca.engine import rank_causes, rank_causes_by_type
from openfab.quality.rca.model import (
    Cause,
    Dismissed,
    Evidence,
    Factor,
    InspectedUnit,
    RcaInputError,
    RootCauseReport,
    Suspect,
)

__all__ = [
    "Cause",
    "Dismissed",
    "Evidence",
    "Factor",
    "InspectedUnit",
    "RcaInputError",
    "RootCauseReport",
    "Suspect",
    "rank_causes",
    "rank_causes_by_type",
]
