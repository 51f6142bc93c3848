"""The plant layout: the ISA-95 equipment hierarchy the twin simulates, read from YAML.

Site → areas → lines → work centers → machines. Machines are named as the scheduler names
them (``{work_center}-{n}``, see :func:`openfab.planning.shopfloor.machine_ids`) unless the
file lists names, so a schedule made by the planner runs on the twin as is. Every problem in
a layout file is reported at once as ``InvalidInput``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from openfab.catalog.definition import WorkCenter
from openfab.errors import ProblemCollector

SEGMENT = re.compile(r"^[A-Za-z0-9_.-]+$")
"""What a code may contain: it becomes a Unified-Namespace topic segment."""


class MachineState(StrEnum):
    """Machine states (PackML-like, simplified; see the glossary)."""

    RUNNING = "Running"
    IDLE = "Idle"
    SETUP = "Setup"
    DOWN = "Down"
    MAINTENANCE = "Maintenance"


DEFAULT_KW: Mapping[MachineState, float] = {
    MachineState.RUNNING: 20.0,
    MachineState.IDLE: 4.0,
    MachineState.SETUP: 6.0,
    MachineState.DOWN: 0.5,
    MachineState.MAINTENANCE: 2.0,
}


@dataclass(frozen=True)
class ProcessParameter:
    """A machine setting that drifts: ``drift`` is the random-walk step per running hour."""

    name: str
    setpoint: float
    tolerance: float
    drift: float = 0.0


STANDBY_SHARE = 0.25
"""Standby power as a share of idle power when a work center does not say."""


@dataclass(frozen=True)
class WorkCenterLayout:
    """Interchangeable machines with their power draw, wear rate and process parameters.

    ``standby_kw``: drawn after ``TwinConfig.standby_after`` minutes idle without work
    (None: a quarter of the idle power); the machine stays Idle for the MES."""

    code: str
    machines: tuple[str, ...]
    kw: Mapping[MachineState, float] = field(default_factory=lambda: dict(DEFAULT_KW))
    wear_rate: float = 0.004
    parameters: tuple[ProcessParameter, ...] = ()
    standby_kw: float | None = None

    @property
    def standby_power(self) -> float:
        if self.standby_kw is not None:
            return self.standby_kw
        return STANDBY_SHARE * self.kw[MachineState.IDLE]


@dataclass(frozen=True)
class Line:
    code: str
    name: str
    work_centers: tuple[WorkCenterLayout, ...]


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class MachinePath:
    """Where a machine sits in the hierarchy (the Unified-Namespace path)."""

    site: str
    area: str
    line: str
    machine: str


@dataclass(frozen=True)
class MachineInfo:
    id: str
    index: int
    path: MachinePath
    work_center: WorkCenterLayout


@dataclass(frozen=True)
class PlantLayout:
    """A whole plant. Build it with :func:`parse_layout`, which checks it."""

    site: str
    name: str
    areas: tuple[Area, ...]
    solar_peak_kw: float = 0.0

    @property
    def work_centers(self) -> dict[str, WorkCenterLayout]:
        return {wc.code: wc for a in self.areas for ln in a.lines for wc in ln.work_centers}

    @property
    def machines(self) -> dict[str, MachineInfo]:
        """Every machine by id, in layout order (``index`` numbers them from 0)."""
        out: dict[str, MachineInfo] = {}
        for area in self.areas:
            for line in area.lines:
                for wc in line.work_centers:
                    for m in wc.machines:
                        path = MachinePath(self.site, area.code, line.code, m)
                        out[m] = MachineInfo(m, len(out), path, wc)
        return out

    def scaled(self, factor: int) -> PlantLayout:
        """The same plant with ``factor`` times as many machines per work center (benchmarks
        and what-if studies); new machines continue the ``{work_center}-{n}`` naming."""
        if factor < 1:
            errors = ProblemCollector()
            errors.add("factor", f"must be >= 1, got {factor}")
            errors.raise_if_any("invalid layout scale")

        def grow(wc: WorkCenterLayout) -> WorkCenterLayout:
            count = len(wc.machines) * factor
            return replace(wc, machines=tuple(f"{wc.code}-{i + 1}" for i in range(count)))

        areas = tuple(
            replace(
                a,
                lines=tuple(
                    replace(ln, work_centers=tuple(grow(wc) for wc in ln.work_centers))
                    for ln in a.lines
                ),
            )
            for a in self.areas
        )
        return replace(self, areas=areas)


def parse_layout(data: Any, *, catalog: Mapping[str, WorkCenter] | None = None) -> PlantLayout:
    """A checked layout from plain data (a parsed YAML document).

    With ``catalog`` (work centers by code) every work center must be a known one and have
    the catalog's machine count (the default when ``machines`` is left out), and every
    catalog work center must be in the plant.
    """
    errors = ProblemCollector()
    if not isinstance(data, Mapping):
        errors.add("layout", "must be a mapping with site and areas")
        errors.raise_if_any("invalid plant layout")
    site = _mapping(data.get("site"))
    site_code = str(site.get("code", ""))
    _check_code(errors, "site", site_code)
    areas = tuple(
        _area(errors, f"areas[{i}]", _mapping(a), catalog or {})
        for i, a in enumerate(_list(data.get("areas")))
    )
    if not areas:
        errors.add("areas", "a plant needs at least one area")
    layout = PlantLayout(
        site=site_code,
        name=str(site.get("name", site_code)),
        areas=areas,
        solar_peak_kw=_number(errors, "solar_peak_kw", data.get("solar_peak_kw", 0.0), low=0),
    )
    _check_unique(errors, layout, catalog)
    errors.raise_if_any("invalid plant layout")
    return layout


def load_layout(
    path: str | Path, *, catalog: Mapping[str, WorkCenter] | None = None
) -> PlantLayout:
    """Read and check a layout YAML file."""
    return parse_layout(yaml.safe_load(Path(path).read_text(encoding="utf-8")), catalog=catalog)


def sample_layout() -> PlantLayout:
    """The sample plant that builds the sample catalog's fridges, washers and battery packs."""
    from openfab.catalog.sample import load_sample_catalog

    text = resources.files("openfab.twin.data").joinpath("plant.yaml").read_text(encoding="utf-8")
    return parse_layout(yaml.safe_load(text), catalog=load_sample_catalog().work_centers)


def _area(
    errors: ProblemCollector, loc: str, data: Mapping[str, Any], catalog: Mapping[str, WorkCenter]
) -> Area:
    code = str(data.get("code", ""))
    _check_code(errors, f"{loc}.code", code)
    lines = []
    for i, raw in enumerate(_list(data.get("lines"))):
        ln = _mapping(raw)
        line_loc = f"{loc}.lines[{i}]"
        line_code = str(ln.get("code", ""))
        _check_code(errors, f"{line_loc}.code", line_code)
        centers = tuple(
            _work_center(errors, f"{line_loc}.work_centers[{k}]", _mapping(wc), catalog)
            for k, wc in enumerate(_list(ln.get("work_centers")))
        )
        lines.append(Line(line_code, str(ln.get("name", line_code)), centers))
    return Area(code, str(data.get("name", code)), tuple(lines))


def _work_center(
    errors: ProblemCollector, loc: str, data: Mapping[str, Any], catalog: Mapping[str, WorkCenter]
) -> WorkCenterLayout:
    code = str(data.get("code", ""))
    _check_code(errors, f"{loc}.code", code)
    raw = data.get("machines", catalog[code].machines if code in catalog else 1)
    if isinstance(raw, int) and not isinstance(raw, bool):
        if raw < 1:
            errors.add(f"{loc}.machines", f"work center {code} needs at least one machine")
        machines = tuple(f"{code}-{i + 1}" for i in range(max(raw, 0)))
    else:
        machines = tuple(str(m) for m in _list(raw))
        if not machines:
            errors.add(f"{loc}.machines", f"work center {code} needs at least one machine")
        for m in machines:
            _check_code(errors, f"{loc}.machines", m)
    kw = dict(DEFAULT_KW)
    for state, value in _mapping(data.get("kw")).items():
        try:
            kw[MachineState(str(state).capitalize())] = _number(
                errors, f"{loc}.kw.{state}", value, low=0
            )
        except ValueError:
            errors.add(f"{loc}.kw", f"unknown machine state {state!r}")
    params = []
    for i, p in enumerate(_list(data.get("parameters"))):
        pm = _mapping(p)
        ploc = f"{loc}.parameters[{i}]"
        name = str(pm.get("name", ""))
        _check_code(errors, f"{ploc}.name", name)
        params.append(
            ProcessParameter(
                name=name,
                setpoint=_number(errors, f"{ploc}.setpoint", pm.get("setpoint", 0.0)),
                tolerance=_number(errors, f"{ploc}.tolerance", pm.get("tolerance", 1.0), low=0),
                drift=_number(errors, f"{ploc}.drift", pm.get("drift", 0.0), low=0),
            )
        )
        if pm.get("tolerance", 1.0) == 0:
            errors.add(f"{ploc}.tolerance", "must be > 0")
    standby = data.get("standby_kw")
    standby_kw = None if standby is None else _number(errors, f"{loc}.standby_kw", standby, low=0)
    return WorkCenterLayout(
        code=code,
        machines=machines,
        kw=kw,
        wear_rate=_number(errors, f"{loc}.wear_rate", data.get("wear_rate", 0.004), low=0),
        parameters=tuple(params),
        standby_kw=standby_kw,
    )


def _check_unique(
    errors: ProblemCollector, layout: PlantLayout, catalog: Mapping[str, WorkCenter] | None
) -> None:
    centers: set[str] = set()
    machines: set[str] = set()
    for area in layout.areas:
        for line in area.lines:
            for wc in line.work_centers:
                if wc.code in centers:
                    errors.add(f"work center {wc.code}", "duplicate work center", "duplicate")
                centers.add(wc.code)
                for m in wc.machines:
                    if m in machines:
                        errors.add(f"machine {m}", "duplicate machine", "duplicate")
                    machines.add(m)
                if catalog is None:
                    continue
                if wc.code not in catalog:
                    errors.add(f"work center {wc.code}", "unknown work center", "unknown")
                elif catalog[wc.code].machines != len(wc.machines):
                    errors.add(
                        f"work center {wc.code}",
                        f"has {len(wc.machines)} machines, the catalog plans with "
                        f"{catalog[wc.code].machines}",
                        "mismatch",
                    )
    for code in catalog or {}:
        if code not in centers:
            errors.add(f"work center {code}", "in the catalog but not in the plant", "missing")


def _check_code(errors: ProblemCollector, loc: str, code: str) -> None:
    if not SEGMENT.match(code):
        errors.add(loc, f"code {code!r} must be non-empty letters, digits, '_', '.' or '-'")


def _number(errors: ProblemCollector, loc: str, value: Any, *, low: float | None = None) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors.add(loc, f"must be a number, got {value!r}")
        return 0.0
    if low is not None and number < low:
        errors.add(loc, f"must be >= {low:g}, got {number:g}")
    return number


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []
