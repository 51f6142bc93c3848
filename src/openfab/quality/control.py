"""Statistical process control over the plant's own measurements.

Every unit's last operation reports its process values (``paint.film_thickness_um``: the
paint step's film thickness) and surface figures; they are stored on the unit's genealogy.
This service charts one characteristic over time (I-MR, X̄-R over consecutive units, EWMA,
CUSUM) with the work center's spec limits (target ± tolerance) and its capability, and the
quality worker's ``watch`` raises each new out-of-control signal once, as a
``quality.spc_alarm`` event naming the rule, the value and the machine it came from.

Phase I (the limits) is the characteristic's first ``BASELINE`` values ever recorded: a
process drifting through the week is judged against how it ran, not against itself.
Charts are the plant's: they mix every brand's units, so only plant staff read them, and
alarms carry no serial (a brand never sees another's ids).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from openfab.errors import InvalidInput, NotFound, Problem
from openfab.execution.orm import OperationRow, SerialUnitRow, UnitOperationRow
from openfab.gateway.equipment import ParameterSpec
from openfab.identity.actor import PLANT_ROLES, Actor
from openfab.planning.shopfloor import work_center_of
from openfab.quality import spc
from openfab.quality.orm import SpcAlarmRow
from openfab.quality.streams import Characteristic
from openfab.store import Database, UnitOfWork
from openfab.store.base import new_id
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow

ChartKind = Literal["imr", "xbar-r", "ewma", "cusum"]
CHARTS: tuple[ChartKind, ...] = ("imr", "xbar-r", "ewma", "cusum")
BASELINE = 30
"""Values of phase I (the limits); fewer and the chart says it cannot judge yet."""
SUBGROUP = 5
"""Consecutive units per X̄-R subgroup."""
WINDOW = 400
"""Newest values a chart shows (and the watch re-checks)."""
SCANNED_ROWS = 20_000
"""Genealogy records read per chart at most (newest first)."""
CHUNK = 500
"""Values whose machines are read at once (a stream is one work center's values)."""
ACTOR = Actor.system("quality-spc")


class ChartPoint(BaseModel):
    at: datetime
    value: float
    center: float
    lcl: float
    ucl: float
    phase: str
    signal: bool
    machine: str | None = None
    record: str = ""


class SignalPublic(BaseModel):
    rule: str
    name: str
    at: datetime
    message: str
    machine: str | None = None
    phase: str = "II"
    """I: inside the baseline (the limits themselves); II: a new point out of control."""
    record: str = ""
    """The genealogy record (unit and step) of the point where it fired."""


class CapabilityPublic(BaseModel):
    n: int
    cp: float | None
    cpk: float
    cpk_low: float
    cpk_high: float
    lsl: float | None
    usl: float | None


class ControlChartPublic(BaseModel):
    """One characteristic's chart, ready to draw: points with their limits, the spread
    chart where there is one, the signals and the capability against the spec."""

    characteristic: str
    kind: ChartKind
    title: str
    points: list[ChartPoint]
    spread: list[ChartPoint]
    signals: list[SignalPublic]
    target: float | None
    lsl: float | None
    usl: float | None
    capability: CapabilityPublic | None
    notes: list[str]


class SpcAlarmPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    characteristic: str
    rule: str
    point_at: datetime
    value: float
    machine: str
    message: str
    raised_at: datetime


class CharacteristicPublic(BaseModel):
    key: str
    values: int
    target: float | None
    work_center: str | None


@dataclass(frozen=True)
class Sample:
    at: datetime
    value: float
    machine: str | None
    record: str = ""


class ProcessControl:
    def __init__(
        self,
        db: Database,
        specs: Mapping[str, ParameterSpec],
        machine_specs: Mapping[str, Mapping[str, ParameterSpec]] | None = None,
    ) -> None:
        self.db = db
        self.specs = dict(specs)
        self.machine_specs = {m: dict(own) for m, own in (machine_specs or {}).items()}
        self.center_specs = {
            spec.work_center: own for own in self.machine_specs.values() for spec in own.values()
        }

    # -- reads ---------------------------------------------------------------------------------
    def characteristics(self, actor: Actor) -> list[CharacteristicPublic]:
        """What was measured recently, with how many values and the spec where one is set."""
        actor.require_plant(*PLANT_ROLES)
        counts: Counter[str] = Counter()
        with self._reading() as uow:
            records = _recorded(uow, oldest=False, limit=2000)
            book = _MachineBook(uow)
            book.load({work_order for _, _, work_order, _ in records})
            for _, values, work_order, _ in records:
                counts.update(
                    _stream(k, book.machine(work_order, _operation(k)))
                    for k, v in values.items()
                    if isinstance(v, int | float)
                )
        return [
            CharacteristicPublic(
                key=key,
                values=n,
                target=spec.target if spec else None,
                work_center=Characteristic.parse(key).work_center,
            )
            for key, n in sorted(counts.items())
            for spec in [self.spec(key)]
        ]

    def chart(
        self, actor: Actor, characteristic: str, kind: ChartKind = "imr", *, rules: str = "nelson"
    ) -> ControlChartPublic:
        """The characteristic's chart of ``kind`` over its newest ``WINDOW`` values."""
        actor.require_plant(*PLANT_ROLES)
        if kind not in CHARTS:
            raise InvalidInput("unknown chart", [Problem("kind", f"one of {', '.join(CHARTS)}")])
        baseline, recent = self.samples([characteristic])[characteristic]
        if not recent:
            raise NotFound(f"no values of {characteristic!r} recorded")
        return build_chart(characteristic, kind, baseline, recent, self.spec(characteristic), rules)

    def spec(self, characteristic: str) -> ParameterSpec | None:
        """``assemble.screw_torque_nm@module_assembly`` → that work center's spec of
        ``screw_torque_nm`` (None where it has no such setting: a figure, not a parameter);
        without a work center, the plant-wide spec of the parameter's name — none where work
        centers set it differently (no one target fits a mix of them)."""
        stream = Characteristic.parse(characteristic)
        if stream.work_center in self.center_specs:
            return self.center_specs[stream.work_center].get(stream.parameter)
        settings = {
            (spec.target, spec.tolerance)
            for own in self.center_specs.values()
            for name, spec in own.items()
            if name == stream.parameter
        }
        return None if len(settings) > 1 else self.specs.get(stream.parameter)

    def machine_spec(self, machine: str, characteristic: str) -> ParameterSpec | None:
        """The spec of ``characteristic``'s parameter on ``machine``'s own work center — what a
        setpoint for that machine must aim at (work centers may share a parameter's name with
        other settings: screw torque 4.5 N·m on one line, 2.2 on another). None when the
        machine has no such parameter; the plant-wide spec for a machine the layout lacks."""
        if machine not in self.machine_specs:
            return self.spec(characteristic)
        return self.machine_specs[machine].get(Characteristic.parse(characteristic).parameter)

    def samples(self, keys: Sequence[str]) -> dict[str, tuple[list[Sample], list[Sample]]]:
        """Per characteristic: (its first ``BASELINE`` values ever, its newest ``WINDOW``)."""
        with self._reading() as uow:
            return _samples(uow, keys)

    # -- the watch -----------------------------------------------------------------------------
    def watch(self, characteristics: Sequence[str] | None = None) -> list[SpcAlarmRow]:
        """Raise every new phase-II signal of each characteristic once (an alarm row and a
        ``quality.spc_alarm`` event, committed together); returns the alarms raised."""
        keys = characteristics or [c.key for c in self.characteristics(ACTOR)]
        raised: list[SpcAlarmRow] = []
        for key, (baseline, recent) in self.samples(keys).items():
            if len(baseline) < BASELINE or len(recent) <= BASELINE:
                continue
            try:
                chart = build_chart(key, "imr", baseline, recent, self.spec(key), "nelson")
            except InvalidInput:  # constant or unusable data: nothing to judge
                continue
            raised += self._raise(key, chart)
        return raised

    def alarms(self, actor: Actor, limit: int = 50) -> list[SpcAlarmRow]:
        actor.require_plant(*PLANT_ROLES)
        with self._reading() as uow:
            return list(
                uow.session.scalars(
                    select(SpcAlarmRow).order_by(SpcAlarmRow.point_at.desc()).limit(limit)
                )
            )

    def _raise(self, key: str, chart: ControlChartPublic) -> list[SpcAlarmRow]:
        fresh = [s for s in chart.signals if s.phase == "II"]
        if not fresh:
            return []
        with self._reading() as uow:
            seen = set(
                uow.session.execute(
                    select(SpcAlarmRow.rule, SpcAlarmRow.record).where(
                        SpcAlarmRow.characteristic == key
                    )
                )
            )
        raised = []
        for signal in fresh:
            if (signal.rule, signal.record) in seen:
                continue
            value = next(p.value for p in chart.points if p.record == signal.record)
            row = SpcAlarmRow(
                id=new_id(),
                characteristic=key,
                rule=signal.rule,
                point_at=signal.at,
                record=signal.record,
                value=value,
                machine=signal.machine or "",
                message=signal.message[:300],
                raised_at=utcnow(),
            )
            try:
                with self.db.unit(Scope.plant(), actor=ACTOR.name) as uow:
                    uow.session.add(row)
                    uow.record("quality.spc_alarm", "characteristic", key, _alarm_payload(row))
            except IntegrityError:  # another worker raised it meanwhile
                continue
            raised.append(row)
        return raised

    def _reading(self) -> AbstractContextManager[UnitOfWork]:
        return self.db.unit(Scope.plant(), actor=ACTOR.name, readonly=True)


def _alarm_payload(row: SpcAlarmRow) -> dict[str, object]:
    return {
        "characteristic": row.characteristic,
        "rule": row.rule,
        "value": round(row.value, 6),
        "at": row.point_at.isoformat(),
        "machine": row.machine,
        "message": row.message,
    }


Record = tuple[datetime, dict[str, Any], str, str]
"""A genealogy record with values: (when, values, the unit's work order, the record's id)."""


def _recorded(uow: UnitOfWork, *, oldest: bool, limit: int) -> list[Record]:
    """Genealogy records that carry measurements, in the order read."""
    order = UnitOperationRow.recorded_at if oldest else UnitOperationRow.recorded_at.desc()
    rows = uow.session.execute(
        select(
            UnitOperationRow.recorded_at,
            UnitOperationRow.measurements,
            SerialUnitRow.work_order_id,
            UnitOperationRow.id,
        )
        .join(SerialUnitRow, SerialUnitRow.id == UnitOperationRow.unit_id)
        .where(UnitOperationRow.outcome != "rework")
        .order_by(order, UnitOperationRow.id if oldest else UnitOperationRow.id.desc())
        .limit(limit)
    )
    return [(at, values, work_order, record) for at, values, work_order, record in rows if values]


def _operation(measurement: str) -> str:
    return Characteristic(measurement).operation


def _stream(measurement: str, machine: str | None) -> str:
    """The chart a value belongs to: its measurement on its machine's work center."""
    center = work_center_of(machine) if machine else None
    return Characteristic(measurement, center).key


class _MachineBook:
    """(work order, operation code) → the machine that ran it (every unit of a work order
    passes an operation on the one machine the operation ran on), read as needed and kept."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.read: set[str] = set()
        self.known: dict[tuple[str, str], str] = {}

    def load(self, work_orders: set[str]) -> None:
        missing = sorted(work_orders - self.read)
        for k in range(0, len(missing), 500):
            chunk = missing[k : k + 500]
            rows = self.uow.session.execute(
                select(OperationRow.work_order_id, OperationRow.code, OperationRow.machine).where(
                    OperationRow.work_order_id.in_(chunk)
                )
            )
            self.read.update(chunk)
            for work_order, code, machine in rows:
                if machine:
                    self.known[work_order, code] = machine

    def machine(self, work_order: str, code: str) -> str | None:
        return self.known.get((work_order, code))

    def series(self, records: Sequence[Record], stream: Characteristic, limit: int) -> list[Sample]:
        """The first ``limit`` values of ``stream`` among ``records`` (in their order), each
        with its machine; machines are read a chunk of candidates at a time, so a minority
        work center's stream reads further than a majority's."""
        code, found = stream.operation, []
        candidates = [
            (at, float(value), work_order, record)
            for at, values, work_order, record in records
            for value in [values.get(stream.measurement)]
            if isinstance(value, int | float) and math.isfinite(value)
        ]
        for k in range(0, len(candidates), CHUNK):
            chunk = candidates[k : k + CHUNK]
            self.load({work_order for _, _, work_order, _ in chunk})
            for at, value, work_order, record in chunk:
                machine = self.machine(work_order, code)
                if stream.covers(machine):
                    found.append(Sample(at, value, machine, record))
                    if len(found) >= limit:
                        return found
        return found


def _samples(uow: UnitOfWork, keys: Sequence[str]) -> dict[str, tuple[list[Sample], list[Sample]]]:
    """Per key: (its first ``BASELINE`` values ever, its newest ``WINDOW``), oldest first."""
    first_rows = _recorded(uow, oldest=True, limit=SCANNED_ROWS // 10)
    last_rows = _recorded(uow, oldest=False, limit=SCANNED_ROWS)
    book = _MachineBook(uow)
    found = {}
    for key in keys:
        stream = Characteristic.parse(key)
        first = book.series(first_rows, stream, BASELINE)
        found[key] = (first, book.series(last_rows, stream, WINDOW)[::-1])
    return found


# -- the chart, from samples (pure) -------------------------------------------------------------
def build_chart(
    key: str,
    kind: ChartKind,
    baseline: Sequence[Sample],
    recent: Sequence[Sample],
    spec: ParameterSpec | None,
    rules: str,
) -> ControlChartPublic:
    """Phase I = ``baseline``, phase II = the ``recent`` values after it."""
    known = {s.record for s in baseline}
    tail = [s for s in recent if s.record not in known]
    samples = [*baseline, *tail]
    values = [s.value for s in samples]
    lsl = spec.target - spec.tolerance if spec else None
    usl = spec.target + spec.tolerance if spec else None
    notes: list[str] = []
    first_new = len(baseline)
    if kind == "imr":
        paired = spc.imr(values, baseline=len(baseline), rules=rules)
        points, spread = _points(paired.location, samples), _points(paired.spread, samples)
        signals, notes = paired.location.violations, list(paired.notes)
        title = f"{key}: individuals and moving range"
    elif kind == "xbar-r":
        groups = [
            samples[i : i + SUBGROUP] for i in range(0, len(samples) - SUBGROUP + 1, SUBGROUP)
        ]
        ends = [g[-1] for g in groups]
        first_new = max(len(baseline) // SUBGROUP, 1)
        paired = spc.xbar_r([[s.value for s in g] for g in groups], baseline=first_new, rules=rules)
        points, spread = _points(paired.location, ends), _points(paired.spread, ends)
        signals, notes = paired.location.violations, list(paired.notes)
        title = f"{key}: X̄ and R, subgroups of {SUBGROUP} consecutive units"
        samples = ends
    elif kind == "ewma":
        smoothed = spc.ewma(values, baseline=len(baseline))
        points, spread = _points(smoothed.chart, samples), []
        signals, notes = smoothed.chart.violations, list(smoothed.notes)
        title = f"{key}: EWMA (λ {smoothed.lam:g}, L {smoothed.width:g})"
    else:
        sums = spc.cusum(values, baseline=len(baseline))
        points, spread = _points(sums.upper, samples), _points(sums.lower, samples)
        signals = (*sums.upper.violations, *sums.lower.violations)
        notes, title = list(sums.notes), f"{key}: CUSUM (k {sums.k:g}σ, h {sums.h:g}σ)"
    recent_values = [s.value for s in tail] or values
    return ControlChartPublic(
        characteristic=key,
        kind=kind,
        title=title,
        points=points,
        spread=spread,
        signals=[_signal(v, samples, "II" if v.at >= first_new else "I") for v in signals],
        target=spec.target if spec else None,
        lsl=lsl,
        usl=usl,
        capability=_capability(recent_values, lsl, usl),
        notes=notes,
    )


def _points(chart: spc.ControlChart, samples: Sequence[Sample]) -> list[ChartPoint]:
    flagged = {p for v in chart.violations for p in v.points}
    return [
        ChartPoint(
            at=samples[index].at,
            value=chart.statistic[i],
            center=chart.center[i],
            lcl=chart.lcl[i],
            ucl=chart.ucl[i],
            phase=chart.phase[i],
            signal=index in flagged,
            machine=samples[index].machine,
            record=samples[index].record,
        )
        for i, index in enumerate(chart.index)
    ]


def _signal(violation: spc.Violation, samples: Sequence[Sample], phase: str) -> SignalPublic:
    """A signal with where it fired and the machine most of its points came from."""
    machines = Counter(samples[p].machine for p in violation.points if samples[p].machine)
    return SignalPublic(
        rule=violation.rule,
        name=violation.name,
        at=samples[violation.at].at,
        message=violation.message,
        machine=machines.most_common(1)[0][0] if machines else None,
        phase=phase,
        record=samples[violation.at].record,
    )


def _capability(
    values: Sequence[float], lsl: float | None, usl: float | None
) -> CapabilityPublic | None:
    if lsl is None and usl is None:
        return None
    try:
        cap = spc.capability(values, lsl=lsl, usl=usl)
    except InvalidInput:
        return None
    return CapabilityPublic(
        n=cap.n,
        cp=cap.cp,
        cpk=cap.cpk,
        cpk_low=cap.cpk_ci.low,
        cpk_high=cap.cpk_ci.high,
        lsl=lsl,
        usl=usl,
    )
