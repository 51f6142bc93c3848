"""Statistical process control: Shewhart, EWMA and CUSUM charts, run rules, capability.

Pure functions from measurements to chart-ready results::

    charts = imr(values, baseline=25, rules="nelson")
    for v in charts.violations: ...          # rule, points, at, message
    cap = capability(values, lsl=9.5, usl=10.5)
"""

from openfab.quality.spc.capability import capability, capability_subgroups
from openfab.quality.spc.model import (
    Capability,
    ControlChart,
    CusumChart,
    EwmaChart,
    Interval,
    PairedCharts,
    SpcInputError,
    Standard,
    Violation,
)
from openfab.quality.spc.rules import NELSON, RULE_SETS, RULES, WESTERN_ELECTRIC
from openfab.quality.spc.shewhart import imr, xbar_r, xbar_s
from openfab.quality.spc.timeweighted import cusum, ewma

__all__ = [
    "NELSON",
    "RULES",
    "RULE_SETS",
    "WESTERN_ELECTRIC",
    "Capability",
    "ControlChart",
    "CusumChart",
    "EwmaChart",
    "Interval",
    "PairedCharts",
    "SpcInputError",
    "Standard",
    "Violation",
    "capability",
    "capability_subgroups",
    "cusum",
    "ewma",
    "imr",
    "xbar_r",
    "xbar_s",
]
