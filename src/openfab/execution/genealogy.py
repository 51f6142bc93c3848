"""Pure rules of unit identity and genealogy: serial numbers, shifts, completeness.

Serial numbers are read aloud on the phone and printed on rating plates, so they are short
and readable: the tenant's and the product's initials and a running number, e.g.
``NC-FR-000123`` for Nordic Cold's 123rd fridge.
"""

from __future__ import annotations

import re
from datetime import datetime

from openfab.errors import Problem
from openfab.execution.schemas import Genealogy, InspectionReport
from openfab.execution.states import UnitStatus

SERIAL_DIGITS = 6
# Shifts of the sample plant (UTC): early from 06:00, late from 14:00, night from 22:00.
SHIFTS = ((6, "early"), (14, "late"), (22, "night"))


def initials(code: str) -> str:
    """Two letters (or digits) for a code: the words' initials, else the first two."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", code) if w]
    if not words:
        return "XX"
    letters = "".join(w[0] for w in words) if len(words) > 1 else words[0]
    return (letters + "X")[:2].upper()


def serial_prefix(tenant_id: str, product_code: str) -> str:
    return f"{initials(tenant_id)}-{initials(product_code)}"


def format_serial(prefix: str, number: int) -> str:
    if number < 1:
        raise ValueError("serial numbers start at 1")
    return f"{prefix}-{number:0{SERIAL_DIGITS}d}"


def shift_of(moment: datetime) -> str:
    """The shift a moment falls in (the night shift runs past midnight)."""
    hour = moment.hour
    name = SHIFTS[-1][1]
    for start, label in SHIFTS:
        if hour >= start:
            name = label
    return name


def inspection_passed(report: InspectionReport) -> bool | None:
    """The reported verdict, else the value against its limits; None when undecidable."""
    if report.passed is not None:
        return report.passed
    if report.value is None or (report.low is None and report.high is None):
        return None
    low_ok = report.low is None or report.value >= report.low
    high_ok = report.high is None or report.value <= report.high
    return low_ok and high_ok


def missing_links(genealogy: Genealogy) -> list[Problem]:
    """What keeps a unit from being traceable: a step without machine or time, or a
    finished (or shipped) unit without a consumed material lot."""
    problems: list[Problem] = []
    serial = genealogy.unit.serial
    if not genealogy.steps:
        problems.append(Problem(serial, "no operation recorded", "untraced"))
    for step in genealogy.steps:
        loc = f"{serial}/{step.sequence}"
        if step.machine is None:
            problems.append(Problem(loc, "no machine recorded", "untraced"))
        untimed = step.started_at is None or step.finished_at is None
        if untimed and genealogy.unit.status != UnitStatus.IN_PROCESS:
            problems.append(Problem(loc, "no start or finish time", "untraced"))
    finished = {UnitStatus.COMPLETED, UnitStatus.SHIPPED, UnitStatus.DELIVERED}
    if genealogy.unit.status in finished and not genealogy.lots:
        problems.append(Problem(serial, "no material lot consumed", "untraced"))
    return problems
