"""Experiments of a study: a design, what was measured (per property), or that the run failed.

CSV is the lab's exchange format: one column per parameter, one per measured property, and
optional ``status`` (``ok`` | ``failed``) and ``note`` columns. Runs of the same design are
replicates; they stay separate rows, so the surrogates see the measurement noise.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from openfab.errors import InvalidInput, ProblemCollector
from openfab.lab.space import Design, Value
from openfab.lab.study import Study

STATUSES = ("ok", "failed")


@dataclass(frozen=True)
class Experiment:
    """One run of one design. A failed run has no results; it still teaches feasibility."""

    design: Design
    results: Mapping[str, float] = field(default_factory=dict)
    failed: bool = False
    note: str = ""

    @property
    def key(self) -> str:
        return design_key(self.design)


def design_key(design: Mapping[str, Value]) -> str:
    """A stable hash of a design (replicates share it; the virtual cell caches by it)."""
    canon = {k: (round(v, 12) if isinstance(v, float) else v) for k, v in sorted(design.items())}
    return hashlib.sha256(json.dumps(canon, sort_keys=True).encode()).hexdigest()[:16]


def replicate_counts(experiments: Iterable[Experiment]) -> Counter[str]:
    return Counter(e.key for e in experiments)


def check_experiments(study: Study, experiments: Sequence[Experiment]) -> None:
    """Every experiment names every parameter with a valid value and, unless failed, a finite
    number for every measured property."""
    found = ProblemCollector()
    for row, exp in enumerate(experiments, start=1):
        check_design(found, study, exp.design, f"row {row}")
        if exp.failed:
            continue
        for prop in study.properties:
            value = exp.results.get(prop)
            if value is None:
                found.add(
                    f"row {row}.{prop}",
                    "missing value (mark the run status=failed if it failed)",
                    "missing",
                )
            elif not isinstance(value, int | float) or not math.isfinite(value):
                found.add(f"row {row}.{prop}", f"not a finite number: {value!r}", "not_numeric")
    found.raise_if_any("the results are invalid")


def check_design(
    found: ProblemCollector, study: Study, design: Mapping[str, Value], loc: str
) -> None:
    """Each parameter of ``design`` present and inside the study's space (into ``found``)."""
    for p in study.space.parameters:
        value = design.get(p.name)
        if value is None or value == "":
            found.add(f"{loc}.{p.name}", "missing value", "missing")
        elif p.kind == "categorical" and str(value) not in p.values:
            found.add(f"{loc}.{p.name}", f"{value!r} is not one of {list(p.values)}", "invalid")
        elif p.kind != "categorical" and (
            not isinstance(value, int | float) or not math.isfinite(float(value))
        ):
            found.add(f"{loc}.{p.name}", f"not a finite number: {value!r}", "not_numeric")


# -- CSV ---------------------------------------------------------------------------------------
def read_results_csv(study: Study, text: str) -> list[Experiment]:
    """Parse a results CSV (the header alone is a valid, empty table)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    found = ProblemCollector()
    if not header:
        raise InvalidInput("the results CSV has no header row")
    for name in study.space.names:
        if name not in header:
            found.add(f"columns.{name}", "parameter column missing", "missing")
    has_status = "status" in header
    if not has_status:
        for prop in study.properties:
            if prop not in header:
                found.add(f"columns.{prop}", "property column missing", "missing")
    found.raise_if_any("the results CSV is invalid")
    experiments = []
    for row, raw in enumerate(reader, start=1):
        cells = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(cells.values()):
            continue
        experiments.append(_row(found, study, cells, row))
    found.raise_if_any("the results CSV is invalid")
    check_experiments(study, experiments)
    return experiments


def _row(found: ProblemCollector, study: Study, cells: dict[str, str], row: int) -> Experiment:
    status = cells.get("status", "ok").lower() or "ok"
    if status not in STATUSES:
        found.add(f"row {row}.status", f"use {' or '.join(STATUSES)}, not {status!r}", "invalid")
    design: Design = {}
    for p in study.space.parameters:
        text = cells.get(p.name, "")
        if p.kind == "categorical":
            design[p.name] = text
            if text not in p.values:
                found.add(f"row {row}.{p.name}", f"{text!r} is not one of {list(p.values)}")
            continue
        number = _float(text)
        if number is None:
            found.add(f"row {row}.{p.name}", f"not a number: {text!r}", "not_numeric")
            continue
        design[p.name] = int(number) if p.kind == "integer" and number == int(number) else number
    results: dict[str, float] = {}
    for prop in study.properties:
        text = cells.get(prop, "")
        number = _float(text)
        if number is not None:
            results[prop] = number
        elif text and status == "ok":
            found.add(f"row {row}.{prop}", f"not a number: {text!r}", "not_numeric")
        elif status == "ok":
            found.add(
                f"row {row}.{prop}",
                "missing value (mark the run status=failed if it failed)",
                "missing",
            )
    return Experiment(design, results, failed=status == "failed", note=cells.get("note", ""))


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def results_csv(study: Study, experiments: Sequence[Experiment]) -> str:
    """Experiments as CSV, readable by ``read_results_csv``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*study.space.names, *study.properties, "status", "note"])
    for exp in experiments:
        measured = [_cell(exp.results.get(p, "")) for p in study.properties]
        values = [_cell(exp.design[n]) for n in study.space.names]
        writer.writerow([*values, *measured, "failed" if exp.failed else "ok", exp.note])
    return out.getvalue()


def designs_csv(study: Study, designs: Sequence[Mapping[str, Value]]) -> str:
    """Suggested designs as CSV: a header of parameter names, one row per design."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(study.space.names)
    for design in designs:
        writer.writerow([_cell(design[n]) for n in study.space.names])
    return out.getvalue()


def _cell(value: Value | float) -> str:
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)
