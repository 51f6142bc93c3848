"""Maintenance: each machine's health and remaining life from its telemetry, maintenance
orders booked into the plan, and each machine's stops (MTBF, MTTR, history).

The maintenance worker calls :meth:`MaintenanceService.assess` on a cadence and on machine
state changes: it reads the recent telemetry of every machine (vibration, temperature,
current) and the states it reported, judges it with the pure engine
(:mod:`.machine_health`), writes one ``machine_health`` snapshot per machine and, in the
same commit, a ``maintenance.assessed`` event naming the machines due for maintenance.
The maintenance autopilot (:mod:`openfab.autopilot.maintenance`) takes it from there.

Due is the rule the twin benchmark measured (``benchmarks/maintenance/twin_policies.py``):
the drift of each machine is measured from the healthy level it had just after its last
renewal (a maintenance; a repair after a breakdown removes only part of the wear), the
drift at which machines of this plant fail is a Weibull fitted on their past lives
(:func:`~.machine_health.fit_failure_level`, censored by maintenance), and a machine is due
when its chance of failing before the next opportunity to stop reaches the break-even of a
planned stop against a breakdown for its age (:func:`~.machine_health.maintenance_call`),
or when it has run the plant's service ceiling (``maintenance_ceiling_hours``; the makers'
longest interval, which no prediction stretches). A machine never seen serviced (a plant
taken over without its service records) takes its turn in a first round of services spread
over one ceiling (:func:`~.machine_health.first_service_hours`).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import func, select

from openfab.connect.orm import TelemetryReadingRow
from openfab.errors import InvalidInput, NotFound, Problem
from openfab.execution.orm import MachineStateRow
from openfab.identity.actor import PLANT_ROLES, Actor
from openfab.maintenance.machine_health import (
    Assessment,
    FailureLevel,
    HealthOptions,
    MaintenanceCall,
    assess,
    first_service_hours,
    fit_failure_level,
    maintenance_call,
)
from openfab.maintenance.orm import MachineHealthRow, MaintenanceOrderRow
from openfab.maintenance.schemas import (
    AssessmentRound,
    MachineHealthPublic,
    MachineHistoryPublic,
    MaintenanceOrderPublic,
    StopPublic,
)
from openfab.planning.mrp.model import ForecastDemand
from openfab.planning.shopfloor import work_center_of
from openfab.store import Database
from openfab.store.base import new_id
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow

log = logging.getLogger(__name__)
ACTOR = Actor.system("maintenance")
SIGNALS = ("vibration", "temperature", "current")
LOOKBACK = timedelta(days=3)
HORIZON_HOURS = 24.0
"""The chance of failure reported is within this many hours (the next day's plan)."""
RISK = 0.2
"""A chance of failure within the horizon shown as "at risk" to people (the autopilot acts on
the break-even rule instead)."""
STOP_MINUTES = 90.0
"""How long a predictive maintenance stops the machine (the window the autopilot books)."""
FAILURE_COST_MINUTES = 8 * 60.0
"""A breakdown costs this many minutes of planned work (repair, scrap, disruption)."""
NEXT_CHANCE_HOURS = 8.0
"""The next opportunity to stop a machine if not now: a maintenance crew plans a shift
ahead."""
REFERENCE_HOURS = 12.0
"""The healthy level is measured over the first hours after a renewal."""
RANDOM_FAILURE_DRIFT = 0.02
"""A breakdown at less drift than this was not wear: it does not inform the failure level."""
LIVES_LEARNED = 200
PRIOR_SHAPE = 3.0
"""The Weibull shape of the drift at failure until the plant has failures of its own: wear-out
(the twin's run-to-failure lives fit 3.0), so the chance of failure carries the doubt about
the failure level and not only the trend's."""
STOPS = ("Down", "Maintenance")
OPEN = ("Open", "Planned")
STATUSES = ("Open", "Planned", "Done", "Cancelled")
MIN_FAILURES_TO_LEARN = 3


@dataclass(frozen=True)
class SparePart:
    """A material a maintenance order uses, in the material's unit."""

    material: str
    quantity: int

    def as_json(self) -> dict[str, object]:
        return {"material": self.material, "quantity": self.quantity}


def spare_kit(work_center: str) -> str:
    """The catalog material that is a work center's maintenance kit."""
    return f"spare_kit_{work_center}"


class MaintenanceService:
    def __init__(
        self,
        db: Database,
        machines: Callable[[], Sequence[str]] | None = None,
        *,
        ceiling_hours: float | None = None,
    ) -> None:
        """``machines``: the plant's machine ids, asked each time (None: whatever sends
        telemetry). ``ceiling_hours``: the plant's longest interval between services in
        running hours (the makers' service interval; None: predictions alone decide)."""
        self.db = db
        self._machines = machines
        self.ceiling_hours = ceiling_hours
        self.options = HealthOptions(fail_shape=PRIOR_SHAPE)
        self._references: dict[tuple[str, datetime], tuple[float, ...] | None] = {}
        self._first_seen: dict[str, datetime] = {}
        self._level: tuple[int, FailureLevel | None] = (-1, None)

    def plant_machines(self) -> set[str] | None:
        return set(self._machines()) if self._machines is not None else None

    # -- assessing ----------------------------------------------------------------------------
    def assess(
        self,
        *,
        now: datetime | None = None,
        lookback: timedelta = LOOKBACK,
        ceiling_hours: float | None = None,
    ) -> AssessmentRound:
        """Judge every machine from its recent telemetry; one snapshot each and one
        ``maintenance.assessed`` event, in one commit. Bad telemetry is cleaned and counted;
        telemetry of a machine the plant does not have is counted and left alone. A machine
        is due when its chance of failure passes the break-even or it has run the service
        ceiling (``ceiling_hours``, default the service's); one never seen serviced takes its
        turn in a first round of services spread over one ceiling."""
        now = now or utcnow()
        ceiling = ceiling_hours if ceiling_hours is not None else self.ceiling_hours
        since = now - lookback
        with self.db.unit(Scope.plant(), actor=ACTOR.name, readonly=True) as uow:
            rows = uow.session.execute(
                select(
                    TelemetryReadingRow.machine,
                    TelemetryReadingRow.signal,
                    TelemetryReadingRow.value,
                    TelemetryReadingRow.ts,
                ).where(
                    TelemetryReadingRow.ts >= since,
                    TelemetryReadingRow.ts <= now,
                    TelemetryReadingRow.signal.in_(SIGNALS),
                )
            ).all()
            states = uow.session.execute(
                select(MachineStateRow.machine, MachineStateRow.state, MachineStateRow.at)
                .where(MachineStateRow.at <= now)
                .order_by(MachineStateRow.machine, MachineStateRow.at)
            ).all()
        by_machine: dict[str, list[tuple[str, float, datetime]]] = defaultdict(list)
        for machine, signal, value, ts in rows:
            by_machine[machine].append((signal, value, ts))
        changes: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
        for machine, state, at in states:
            changes[machine].append((state, at))
        plant = self.plant_machines()
        known = plant if plant is not None else set(by_machine)
        stranger = len(set(by_machine) - known)
        options = self.options_for_plant(changes)
        results: dict[str, Assessment] = {}
        calls: dict[str, MaintenanceCall] = {}
        for machine in sorted(known & set(by_machine)):  # silent machines: nothing to judge
            readings = by_machine[machine]
            life = machine_life(changes.get(machine, []), now)
            try:
                renewed = life.renewed_at or self._first_reading(machine, readings)
                reference = self._reference(machine, renewed, changes.get(machine, []), options)
                a = _assess_machine(readings, changes.get(machine, []), since, options, reference)
            except (ValueError, FloatingPointError, InvalidInput) as exc:  # never a crash
                log.warning("cannot assess %s: %s", machine, exc)
                continue
            results[machine] = a
            age = life.age_hours if life.age_hours is not None else _hours_between(renewed, now)
            first = life.renewed_at is None
            turn = first_service_hours(machine, ceiling) if ceiling and first else ceiling
            calls[machine] = maintenance_call(
                a,
                age,
                next_chance_hours=NEXT_CHANCE_HOURS,
                stop_cost=STOP_MINUTES,
                failure_cost=FAILURE_COST_MINUTES,
                ceiling_hours=turn,
                first_service=first,
            )
        at_risk = sorted(
            m for m, c in calls.items() if c.by_ceiling or (c.by_risk and results[m].enough)
        )
        with self.db.unit(Scope.plant(), actor=ACTOR.name) as uow:
            for machine, a in results.items():
                uow.session.add(_health_row(machine, a, now))
            uow.record(
                "maintenance.assessed",
                "plant",
                "machines",
                {
                    "at": now.isoformat(),
                    "assessed": sum(a.enough for a in results.values()),
                    "at_risk": at_risk,
                    "calls": {m: _call_payload(calls[m]) for m in at_risk},
                    "unknown_machines": stranger,
                },
            )
        unknown = sum(not a.enough for a in results.values())
        return AssessmentRound(len(results) - unknown, unknown, at_risk, stranger)

    def options_for_plant(
        self, changes: dict[str, list[tuple[str, datetime]]] | None = None
    ) -> HealthOptions:
        """The engine's options, with the failure level (median and Weibull shape of the
        drift at failure) learned from the plant's own lives once it has seen a few wear
        failures."""
        level = self.failure_level(changes)
        if level is None:
            return self.options
        return HealthOptions(
            **{**self.options.__dict__, "fail_drift": level.median, "fail_shape": level.shape}
        )

    def failure_level(
        self, changes: dict[str, list[tuple[str, datetime]]] | None = None
    ) -> FailureLevel | None:
        """The drift at failure, fitted on the last ``LIVES_LEARNED`` lives the health
        snapshots watched: each from its first snapshot after a stop to its last before the
        next one, a wear failure when that stop was a breakdown, censored when it was a
        maintenance. Refitted only when a new stop has happened."""
        if changes is None:
            changes = self._state_changes()
        ends = [
            (machine, stops[i - 1][1] if i else None, at, state == "Down")
            for machine, history in changes.items()
            for stops in [_stops(history)]
            for i, (state, at) in enumerate(stops)
        ]
        if self._level[0] == len(ends):
            return self._level[1]
        ends.sort(key=lambda e: e[2])
        lives: list[tuple[float, float, bool]] = []
        with self.db.unit(Scope.plant(), actor=ACTOR.name, readonly=True) as uow:
            for machine, began, ended, failed in ends[-LIVES_LEARNED:]:
                life = _life_drifts(uow, machine, began, ended)
                if life is not None:
                    first, last = life
                    lives.append((first, max(first, last), failed and last > RANDOM_FAILURE_DRIFT))
        level: FailureLevel | None = None
        if sum(f for *_, f in lives) >= MIN_FAILURES_TO_LEARN:
            starts = np.array([life[0] for life in lives])
            lasts = np.array([life[1] for life in lives])
            try:
                level = fit_failure_level(starts, lasts, np.array([life[2] for life in lives]))
            except InvalidInput:
                level = None
        self._level = (len(ends), level)
        return level

    def _state_changes(self) -> dict[str, list[tuple[str, datetime]]]:
        with self.db.unit(Scope.plant(), actor=ACTOR.name, readonly=True) as uow:
            rows = uow.session.execute(
                select(MachineStateRow.machine, MachineStateRow.state, MachineStateRow.at).order_by(
                    MachineStateRow.machine, MachineStateRow.at
                )
            ).all()
        changes: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
        for machine, state, at in rows:
            changes[machine].append((state, at))
        return changes

    def _first_reading(self, machine: str, readings: list[tuple[str, float, datetime]]) -> datetime:
        """When the plant first heard from a machine never maintained since (its healthy
        level is the one it had then)."""
        if machine not in self._first_seen:
            with self.db.unit(Scope.plant(), actor=ACTOR.name, readonly=True) as uow:
                first = uow.session.scalar(
                    select(func.min(TelemetryReadingRow.ts)).where(
                        TelemetryReadingRow.machine == machine,
                        TelemetryReadingRow.signal.in_(SIGNALS),
                    )
                )
            self._first_seen[machine] = first or min(ts for _, _, ts in readings)
        return self._first_seen[machine]

    def _reference(
        self,
        machine: str,
        renewed: datetime,
        changes: list[tuple[str, datetime]],
        options: HealthOptions,
    ) -> tuple[float, ...] | None:
        """The healthy level of each signal over the first ``REFERENCE_HOURS`` after
        ``renewed`` (None until that much running telemetry exists); kept until the next
        renewal."""
        key = (machine, renewed)
        if self._references.get(key) is not None:
            return self._references[key]
        end = renewed + timedelta(hours=REFERENCE_HOURS)
        with self.db.unit(Scope.plant(), actor=ACTOR.name, readonly=True) as uow:
            rows = uow.session.execute(
                select(
                    TelemetryReadingRow.signal, TelemetryReadingRow.value, TelemetryReadingRow.ts
                ).where(
                    TelemetryReadingRow.machine == machine,
                    TelemetryReadingRow.ts >= renewed,
                    TelemetryReadingRow.ts < end,
                    TelemetryReadingRow.signal.in_(SIGNALS),
                )
            ).all()
        early = [(signal, value, ts) for signal, value, ts in rows]
        a = _assess_machine(early, changes, renewed, options) if early else None
        found = a.reference if a is not None and a.enough and early_enough(early, end) else None
        self._references[key] = found
        return found

    # -- reads --------------------------------------------------------------------------------
    def health(self, actor: Actor) -> list[MachineHealthPublic]:
        """Every machine's latest assessment (plant staff)."""
        actor.require_plant(*PLANT_ROLES)
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            return [_health_public(r) for r in self._latest(uow)]

    def latest(self, machine: str) -> MachineHealthPublic | None:
        with self.db.unit(Scope.plant(), actor=ACTOR.name, readonly=True) as uow:
            row = uow.session.scalars(
                select(MachineHealthRow)
                .where(MachineHealthRow.machine == machine)
                .order_by(MachineHealthRow.assessed_at.desc())
                .limit(1)
            ).first()
            return None if row is None else _health_public(row)

    @staticmethod
    def _latest(uow: Any) -> list[MachineHealthRow]:
        newest = (
            select(MachineHealthRow.machine, func.max(MachineHealthRow.assessed_at).label("at"))
            .group_by(MachineHealthRow.machine)
            .subquery()
        )
        rows = uow.session.scalars(
            select(MachineHealthRow).join(
                newest,
                (MachineHealthRow.machine == newest.c.machine)
                & (MachineHealthRow.assessed_at == newest.c.at),
            )
        ).all()
        unique = {r.machine: r for r in rows}
        return [unique[m] for m in sorted(unique)]

    def orders(
        self, actor: Actor, *, status: str | None = None, limit: int = 100
    ) -> list[MaintenanceOrderPublic]:
        actor.require_plant(*PLANT_ROLES)
        if status is not None and status not in STATUSES:
            raise InvalidInput("bad status", [Problem("status", f"one of {', '.join(STATUSES)}")])
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            query = select(MaintenanceOrderRow).order_by(MaintenanceOrderRow.created_at.desc())
            if status:
                query = query.where(MaintenanceOrderRow.status == status)
            return [_order_public(r) for r in uow.session.scalars(query.limit(limit))]

    def open_order_for(self, machine: str) -> MaintenanceOrderPublic | None:
        with self.db.unit(Scope.plant(), actor=ACTOR.name, readonly=True) as uow:
            row = uow.session.scalars(
                select(MaintenanceOrderRow).where(
                    MaintenanceOrderRow.machine == machine,
                    MaintenanceOrderRow.status.in_(OPEN),
                )
            ).first()
            return None if row is None else _order_public(row)

    def spare_part_demand(self) -> list[ForecastDemand]:
        """What the open orders will take from stock, due at their window's start (or now):
        independent demand for MRP."""
        with self.db.unit(Scope.plant(), actor=ACTOR.name, readonly=True) as uow:
            rows = uow.session.scalars(
                select(MaintenanceOrderRow).where(MaintenanceOrderRow.status.in_(OPEN))
            ).all()
            return [
                ForecastDemand(
                    part.material, row.window_start or row.created_at, Decimal(part.quantity)
                )
                for row in rows
                for part in spare_parts(_order_public(row))
            ]

    # -- orders -------------------------------------------------------------------------------
    def open_order(
        self,
        actor: Actor,
        machine: str,
        *,
        reason: str,
        evidence: dict[str, Any],
        health: MachineHealthPublic,
        window: tuple[datetime, datetime] | None,
        downtime_id: str | None,
        spare_parts: str,
    ) -> MaintenanceOrderPublic:
        """Record a maintenance order (Planned when its window is booked) with its event."""
        actor.require_plant(*PLANT_ROLES)
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            count = uow.session.scalar(select(func.count()).select_from(MaintenanceOrderRow))
            row = MaintenanceOrderRow(
                id=new_id(),
                number=f"MO-{(count or 0) + 1:06d}",
                machine=machine,
                work_center=work_center_of(machine),
                reason=reason[:300],
                evidence=json.dumps(evidence, default=str),
                failure_probability=health.failure_probability,
                rul_hours=health.rul_hours,
                rul_lower=health.rul_lower,
                rul_upper=health.rul_upper,
                window_start=window[0] if window else None,
                window_end=window[1] if window else None,
                downtime_id=downtime_id,
                spare_parts=spare_parts[:300],
                status="Planned" if window else "Open",
                created_by=actor.name,
                created_at=utcnow(),
            )
            uow.session.add(row)
            uow.session.flush()
            uow.record(
                "maintenance.order_opened",
                "maintenance_order",
                row.id,
                {
                    "number": row.number,
                    "machine": machine,
                    "failure_probability": round(health.failure_probability, 3),
                    "rul_hours": health.rul_hours,
                    "window_start": window[0].isoformat() if window else None,
                    "window_end": window[1].isoformat() if window else None,
                    "spare_parts": spare_parts,
                    "reason": reason[:300],
                },
            )
            return _order_public(row)

    def close_orders(self, actor: Actor, machine: str, at: datetime, status: str = "Done") -> int:
        """Close the machine's open orders (it was maintained, or the order is dropped)."""
        actor.require_plant(*PLANT_ROLES)
        if status not in ("Done", "Cancelled"):
            raise InvalidInput("bad status", [Problem("status", "Done or Cancelled")])
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            rows = uow.session.scalars(
                select(MaintenanceOrderRow).where(
                    MaintenanceOrderRow.machine == machine,
                    MaintenanceOrderRow.status.in_(OPEN),
                )
            ).all()
            for row in rows:
                row.status, row.closed_at = status, at
                uow.record(
                    f"maintenance.order_{status.lower()}",
                    "maintenance_order",
                    row.id,
                    {"number": row.number, "machine": machine, "at": at.isoformat()},
                )
            return len(rows)

    # -- history ------------------------------------------------------------------------------
    def history(self, actor: Actor, machine: str, *, limit: int = 100) -> MachineHistoryPublic:
        """The machine's stops from its reported states: failures (Down), maintenance, MTBF
        and MTTR."""
        actor.require_plant(*PLANT_ROLES)
        plant = self.plant_machines()
        if plant is not None and machine not in plant:
            raise NotFound(f"machine {machine!r} not found")
        return self.histories(actor, [machine], limit=limit)[0]

    def histories(
        self, actor: Actor, machines: Sequence[str] | None = None, *, limit: int = 100
    ) -> list[MachineHistoryPublic]:
        actor.require_plant(*PLANT_ROLES)
        now = utcnow()
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            query = select(
                MachineStateRow.machine,
                MachineStateRow.state,
                MachineStateRow.at,
                MachineStateRow.reason,
            )
            if machines is not None:
                query = query.where(MachineStateRow.machine.in_(machines))
            rows = uow.session.execute(query.order_by(MachineStateRow.at)).all()
        changes: dict[str, list[tuple[str, datetime, str]]] = defaultdict(list)
        for machine, state, at, reason in rows:
            changes[machine].append((state, at, reason))
        names = list(machines) if machines is not None else sorted(changes)
        return [_history(m, changes.get(m, []), now, limit) for m in names]


# -- helpers --------------------------------------------------------------------------------


def _assess_machine(
    readings: list[tuple[str, float, datetime]],
    changes: list[tuple[str, datetime]],
    since: datetime,
    options: HealthOptions,
    reference: tuple[float, ...] | None = None,
) -> Assessment:
    """The engine on one machine's readings since its last stop (or the lookback's start),
    its drift measured from ``reference`` when known."""
    if not readings:
        return assess(np.zeros(0), np.zeros((0, len(SIGNALS))), options=options)
    ref = None if reference is None else np.array(reference)
    stamps = sorted({ts for _, _, ts in readings})
    index = {ts: i for i, ts in enumerate(stamps)}
    values = np.full((len(stamps), len(SIGNALS)), np.nan)
    column = {s: j for j, s in enumerate(SIGNALS)}
    for signal, value, ts in readings:
        values[index[ts], column[signal]] = value
    minutes = np.array([(ts - since).total_seconds() / 60 for ts in stamps])
    running = np.ones(len(stamps), dtype=bool)
    start = None
    if changes:
        at = np.array([(c[1] - since).total_seconds() / 60 for c in changes])
        which = np.searchsorted(at, minutes, side="right") - 1
        state = np.array([changes[i][0] if i >= 0 else "Running" for i in which])
        running = state == "Running"
        ends = [i + 1 for i, (s, _) in enumerate(changes[:-1]) if s in STOPS]
        if ends:
            start = at[ends[-1]]
    if start is not None:
        life = minutes >= start
        recent = assess(minutes[life], values[life], running[life], options=options, reference=ref)
        if recent.enough:
            return recent
    return assess(minutes, values, running, options=options, reference=ref)


class MachineLife(NamedTuple):
    """When a machine was last renewed (the end of its last maintenance; None: never seen
    maintained) and its running hours since (None: no reported states to count them)."""

    renewed_at: datetime | None
    age_hours: float | None


def machine_life(changes: list[tuple[str, datetime]], now: datetime) -> MachineLife:
    """From a machine's reported states, in time order."""
    if not changes:
        return MachineLife(None, None)
    start = 0
    for i, (state, _) in enumerate(changes):
        if state == "Maintenance" and i + 1 < len(changes):
            start = i + 1
    renewed = changes[start][1] if start else None
    running = 0.0
    for i in range(start, len(changes)):
        state, at = changes[i]
        until = changes[i + 1][1] if i + 1 < len(changes) else now
        if state == "Running":
            running += max((until - at).total_seconds(), 0.0) / 3600
    return MachineLife(renewed, running)


def early_enough(readings: list[tuple[str, float, datetime]], end: datetime) -> bool:
    """Whether the readings reach the end of the reference period (a healthy level from a
    renewal still under way would move)."""
    return max(ts for _, _, ts in readings) >= end - timedelta(hours=1)


def _stops(changes: list[tuple[str, datetime]]) -> list[tuple[str, datetime]]:
    """The starts of a machine's stops (a run of the same stop state counts once)."""
    return [
        (state, at)
        for i, (state, at) in enumerate(changes)
        if state in STOPS and (i == 0 or changes[i - 1][0] != state)
    ]


def _life_drifts(
    uow: Any, machine: str, began: datetime | None, ended: datetime
) -> tuple[float, float] | None:
    """The drift of a machine's first snapshot in a life and of its last one in the six hours
    before the stop that ended it (None: not watched)."""
    watched = (
        MachineHealthRow.machine == machine,
        MachineHealthRow.windows > 0,
        MachineHealthRow.assessed_at <= ended,
    )
    query = select(MachineHealthRow.drift).where(*watched)
    if began is not None:
        query = query.where(MachineHealthRow.assessed_at > began)
    first = uow.session.scalar(query.order_by(MachineHealthRow.assessed_at).limit(1))
    last = uow.session.scalar(
        query.where(MachineHealthRow.assessed_at >= ended - timedelta(hours=6))
        .order_by(MachineHealthRow.assessed_at.desc())
        .limit(1)
    )
    if first is None or last is None:
        return None
    return max(float(first), 0.0), float(last)


def spare_parts(order: MaintenanceOrderPublic) -> list[SparePart]:
    """The spare parts an order names in its evidence."""
    parts = order.evidence.get("spare_parts")
    if not isinstance(parts, list):
        return []
    return [
        SparePart(str(p["material"]), int(p["quantity"]))
        for p in parts
        if isinstance(p, dict) and "material" in p and int(p.get("quantity", 0)) > 0
    ]


def _hours_between(a: datetime, b: datetime) -> float:
    return max((b - a).total_seconds(), 0.0) / 3600


def _call_payload(call: MaintenanceCall) -> dict[str, float | str | bool]:
    payload: dict[str, float | str | bool] = {
        "chance": round(call.chance, 4),
        "threshold": round(call.threshold, 4),
        "age_hours": round(call.age_hours, 1),
        "next_chance_hours": call.next_chance_hours,
        "by_ceiling": call.by_ceiling and not call.by_risk,
        "why": call.sentence(),
    }
    if call.ceiling_hours is not None:
        payload["ceiling_hours"] = round(call.ceiling_hours, 1)
    return payload


def _health_row(machine: str, a: Assessment, now: datetime) -> MachineHealthRow:
    return MachineHealthRow(
        id=new_id(),
        machine=machine,
        work_center=work_center_of(machine),
        assessed_at=now,
        health=round(a.health, 4),
        drift=round(a.drift, 4),
        alarm=a.alarm,
        rul_hours=_hours(a.rul_hours),
        rul_lower=_hours(a.rul_lower),
        rul_upper=_hours(a.rul_upper),
        failure_probability=round(a.failure_probability(HORIZON_HOURS), 4),
        windows=a.windows,
        readings=a.readings,
        cleaning=json.dumps(a.cleaning),
    )


def _hours(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def _health_public(row: MachineHealthRow) -> MachineHealthPublic:
    return MachineHealthPublic(
        machine=row.machine,
        work_center=row.work_center,
        assessed_at=row.assessed_at,
        health=row.health,
        drift=row.drift,
        alarm=row.alarm,
        rul_hours=row.rul_hours,
        rul_lower=row.rul_lower,
        rul_upper=row.rul_upper,
        failure_probability=row.failure_probability,
        windows=row.windows,
        readings=row.readings,
        cleaning=json.loads(row.cleaning or "{}"),
    )


def _order_public(row: MaintenanceOrderRow) -> MaintenanceOrderPublic:
    data = {c: getattr(row, c) for c in MaintenanceOrderPublic.model_fields if c != "evidence"}
    return MaintenanceOrderPublic(**data, evidence=json.loads(row.evidence or "{}"))


def _history(
    machine: str, changes: list[tuple[str, datetime, str]], now: datetime, limit: int
) -> MachineHistoryPublic:
    stops: list[StopPublic] = []
    for i, (state, at, reason) in enumerate(changes):
        if state not in STOPS or (i > 0 and changes[i - 1][0] == state):
            continue
        end = next((a for s, a, _ in changes[i + 1 :] if s != state), None)
        hours = ((end or now) - at).total_seconds() / 3600
        stops.append(StopPublic(kind=state, start_at=at, end_at=end, hours=round(hours, 3),
                                reason=reason[:200]))  # fmt: skip
    failures = [s for s in stops if s.kind == "Down"]
    maintenances = [s for s in stops if s.kind == "Maintenance"]
    since = changes[0][1] if changes else None
    observed = ((now - since).total_seconds() / 3600) if since else 0.0
    stopped = sum(s.hours for s in stops)
    mtbf = (observed - stopped) / len(failures) if failures else None
    repaired = [s.hours for s in failures if s.end_at is not None]
    mttr = sum(repaired) / len(repaired) if repaired else None
    return MachineHistoryPublic(
        machine=machine,
        since=since,
        failures=len(failures),
        maintenances=len(maintenances),
        mtbf_hours=None if mtbf is None else round(mtbf, 2),
        mttr_hours=None if mttr is None else round(mttr, 3),
        maintenance_hours=round(sum(s.hours for s in maintenances), 3),
        stops=stops[-limit:][::-1],
    )
