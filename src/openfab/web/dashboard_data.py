"""What the factory dashboard reads: KPIs, machine states, decisions, events.

Tenant data is read in the tenant's unit of work (the tenancy filter applies); plant-wide
facts (machine downtime, schedule runs, which machines are busy) are read in a platform unit
and never carry another tenant's order data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import mean
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select

from openfab.connect.orm import TelemetryReadingRow
from openfab.execution import reads
from openfab.execution.reads import ReportedState
from openfab.identity.actor import Actor, without_people
from openfab.orders.service import Shipment
from openfab.planning.shopfloor import work_center_of
from openfab.platform import Platform
from openfab.store import EventRecord
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow
from openfab.web.charts import Window
from openfab.web.registry import KpiValue

# Plant events (no tenant) that staff of every tenant may see: they carry no customer data.
PLATFORM_FEED = ("schedule.", "machine.", "purchase_order.")
DECISION_TYPES = (
    "schedule.planned",
    "schedule.failed",
    "purchase_order.released",
    "purchase_order.held",
    "purchase_order.cancelled",
    "material.plan_failed",
)


def downtime_windows(platform: Platform, *, since: datetime | None = None) -> list[Window]:
    since = since or utcnow() - timedelta(days=1)
    spans = platform.planning.downtime_since(since)
    return [Window(d.machine, d.start_at, d.end_at, d.reason) for d in spans]


@dataclass(frozen=True)
class MachineState:
    machine: str
    state: str  # Running, Idle, Setup, Down, Maintenance (GLOSSARY machine states)
    detail: str = ""
    since: datetime | None = None  # when it entered the state (None: from the plan)
    source: str = "plan"  # "execution" when the shop floor reported it
    health: float | None = None  # availability over the last day, 0..1 (None: no data)

    @property
    def work_center(self) -> str:
        return work_center_of(self.machine)


@dataclass(frozen=True)
class WorkCenterState:
    """One work center's machines at a glance: counts per state, and the ones not idle."""

    code: str
    name: str
    counts: dict[str, int]
    notable: list[MachineState]
    health: float | None = None  # the least available machine's availability


def by_work_center(platform: Platform, states: Sequence[MachineState]) -> list[WorkCenterState]:
    centers = platform.orders.reference().work_centers
    grouped: dict[str, list[MachineState]] = {}
    for state in states:
        grouped.setdefault(state.work_center, []).append(state)
    result = []
    for code, members in grouped.items():
        counts: dict[str, int] = {}
        for m in members:
            counts[m.state] = counts.get(m.state, 0) + 1
        name = centers[code].name if code in centers else code
        notable = [m for m in members if m.state != "Idle"]
        healths = [m.health for m in members if m.health is not None]
        health = min(healths) if healths else None
        result.append(WorkCenterState(code, name, counts, notable, health))
    return result


def machine_states(
    platform: Platform,
    now: datetime | None = None,
    health: Mapping[str, float] | None = None,
) -> list[MachineState]:
    """Each machine's state as the shop floor last reported it (execution's machine state
    changes), with the time it entered it; for machines that never reported one, the plan's
    view (see :func:`planned_states`). ``health`` maps machines to their availability."""
    now = now or utcnow()
    health = health or {}
    reported = last_reported_states(platform, now)
    machines = platform.planning.machines()
    unreported = any(m not in reported for m in machines)
    planned = planned_states(platform, now) if unreported else {}
    states = []
    for machine in machines:
        if machine in reported:
            state, since, reason = reported[machine]
            states.append(
                MachineState(machine, state, reason, since, "execution", health.get(machine))
            )
        else:
            state, reason = planned.get(machine, ("Idle", ""))
            states.append(MachineState(machine, state, reason, health=health.get(machine)))
    return states


def last_reported_states(platform: Platform, now: datetime) -> dict[str, ReportedState]:
    """Machine → (state, since, reason) of its latest reported change at or before ``now``."""
    with platform.db.unit(Scope.plant(), actor="system:web", readonly=True) as uow:
        return reads.last_reported_states(uow, now)


def planned_states(platform: Platform, now: datetime) -> dict[str, tuple[str, str]]:
    """The plan's view, for machines that never reported a state: Down or in maintenance
    inside a reported downtime window, Running when the plan has an operation on it now."""
    activity = platform.planning.activity_at(now)
    states = dict.fromkeys(activity.busy, ("Running", ""))
    for machine, reason in activity.down.items():
        states[machine] = ("Maintenance" if "maint" in reason.lower() else "Down", reason)
    return states


@dataclass(frozen=True)
class FeedEvent:
    seq: int
    type: str
    entity_type: str
    entity_id: str
    actor: str
    occurred_at: datetime
    summary: str
    payload: dict[str, Any]
    tenant_id: str | None = None

    @property
    def fields(self) -> tuple[tuple[str, str], ...]:
        return _fields(self.payload)


SUMMARY_FIELDS = (
    "number",
    "title",
    "trigger",
    "to",
    "product",
    "machine",
    "reason",
    "detail",
    "code",
)


def _fields(payload: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The payload fields people look for first (each page labels them in its language)."""
    return tuple(
        (k, str(payload[k])[:120]) for k in SUMMARY_FIELDS if payload.get(k) not in (None, "")
    )


def _summary(payload: dict[str, Any]) -> str:
    return " · ".join(f"{k}: {v}" for k, v in _fields(payload))[:300]


def _feed(rows: Sequence[EventRecord], reader: Actor) -> list[FeedEvent]:
    """Events as ``reader`` may see them: who acted (and the texts of the payload, such as a
    plan's trigger) without the other side's names."""
    feed = []
    for r in rows:
        payload = {
            k: without_people(v, reader) if isinstance(v, str) else v for k, v in r.payload.items()
        }
        actor = without_people(r.actor, reader)
        feed.append(
            FeedEvent(
                r.seq,
                r.type,
                r.entity_type,
                r.entity_id,
                actor,
                r.occurred_at,
                _summary(payload),
                payload,
                r.tenant_id,
            )
        )
    return feed


def recent_events(
    platform: Platform,
    actor: Actor,
    *,
    type_prefix: str | None = None,
    entity_id: str | None = None,
    limit: int = 50,
) -> list[FeedEvent]:
    """The tenant's events, newest first (the tenancy filter scopes the query); the plant's
    staff read the plant's own."""
    query = select(EventRecord)
    if actor.is_plant:
        query = query.where(EventRecord.tenant_id.is_(None))
    if type_prefix:
        query = query.where(EventRecord.type.startswith(type_prefix, autoescape=True))
    if entity_id:
        query = query.where(EventRecord.entity_id == entity_id)
    with platform.db.unit(actor.scope, actor=actor.name, readonly=True) as uow:
        rows = uow.session.scalars(query.order_by(EventRecord.seq.desc()).limit(limit)).all()
        return _feed(rows, actor)


def _own_events(actor: Actor) -> list[ColumnElement[bool]]:
    """The events an actor calls its own: a brand's (its scope filters them), the plant's."""
    return [EventRecord.tenant_id.is_(None)] if actor.is_plant else []


def decisions(platform: Platform, reader: Actor, limit: int = 10) -> list[FeedEvent]:
    """Plans made and refused, newest first, with the trigger that caused them."""
    with platform.db.unit(Scope.plant(), actor="system:web", readonly=True) as uow:
        rows = uow.session.scalars(
            select(EventRecord)
            .where(EventRecord.tenant_id.is_(None), EventRecord.type.in_(DECISION_TYPES))
            .order_by(EventRecord.seq.desc())
            .limit(limit)
        ).all()
        return _feed(rows, reader)


def events_after(platform: Platform, actor: Actor, after: int, limit: int = 50) -> list[FeedEvent]:
    """New events for the live feed: the tenant's own, and the plant's schedule and machine
    events (those carry no tenant). Two queries, each scoped by construction."""
    with platform.db.unit(actor.scope, actor=actor.name, readonly=True) as uow:
        own = uow.session.scalars(
            select(EventRecord)
            .where(EventRecord.seq > after, *_own_events(actor))
            .order_by(EventRecord.seq)
            .limit(limit)
        ).all()
        mine = _feed(own, actor)
    with platform.db.unit(Scope.plant(), actor="system:web", readonly=True) as uow:
        plant = uow.session.scalars(
            select(EventRecord)
            .where(
                EventRecord.seq > after,
                EventRecord.tenant_id.is_(None),
                or_(*(EventRecord.type.startswith(prefix) for prefix in PLATFORM_FEED)),
            )
            .order_by(EventRecord.seq)
            .limit(limit)
        ).all()
        shared = _feed(plant, actor)
    return sorted(mine + shared, key=lambda e: e.seq)[:limit]


def last_seq(platform: Platform) -> int:
    with platform.db.unit(Scope.plant(), actor="system:web", readonly=True) as uow:
        return int(uow.session.scalar(select(func.max(EventRecord.seq))) or 0)


# -- KPIs ----------------------------------------------------------------------------------
def orders_today(platform: Platform, actor: Actor) -> KpiValue:
    midnight = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    return KpiValue(str(platform.orders.placed_since(actor, midnight)))


def _shipments(platform: Platform, actor: Actor, days: int = 30) -> Sequence[Shipment]:
    """(placed, shipped, promised) of the tenant's orders shipped in the last ``days`` days."""
    return platform.orders.shipments(actor, utcnow() - timedelta(days=days))


def order_to_ship(platform: Platform, actor: Actor) -> KpiValue:
    rows = _shipments(platform, actor)
    if not rows:
        return KpiValue(None, hint="kpi.hint.no_shipments")
    days = mean((shipped - placed).total_seconds() / 86400 for placed, shipped, _ in rows)
    return KpiValue(f"{days:.1f} d", detail=f"n={len(rows)}")


def on_time(platform: Platform, actor: Actor) -> KpiValue:
    rows = _shipments(platform, actor)
    if not rows:
        return KpiValue(None, hint="kpi.hint.no_shipments")
    share = sum(1 for _, shipped, promised in rows if shipped <= promised) / len(rows)
    return KpiValue(f"{share:.0%}", detail=f"n={len(rows)}")


@dataclass(frozen=True)
class PlantEnergy:
    """The plant's energy over a window, from the site-level telemetry the twin stores."""

    consumed_kwh: float
    solar_kwh: float
    good_units: int


def plant_energy(platform: Platform, since: datetime) -> PlantEnergy | None:
    """Sums of the plant's ``energy_kwh`` and ``solar_kwh`` readings since ``since`` (site
    paths have one level, so their path is their machine column), and the good units the
    plant finished meanwhile (plant-wide, like the energy: a count, no order data).
    None when no energy was reported in the window.

    The telemetry sums are the one query left here: the table belongs to ``connect``, which
    is being reworked; they move to a read of its own once it lands (see the import-linter
    contract's ignore list)."""
    signals = (TelemetryReadingRow.signal, func.sum(TelemetryReadingRow.value))
    energy = (
        select(*signals)
        .where(
            TelemetryReadingRow.signal.in_(("energy_kwh", "solar_kwh")),
            TelemetryReadingRow.ts >= since,
            TelemetryReadingRow.path == TelemetryReadingRow.machine,
        )
        .group_by(TelemetryReadingRow.signal)
    )
    with platform.db.unit(Scope.plant(), actor="system:web", readonly=True) as uow:
        sums = {signal: float(total or 0.0) for signal, total in uow.session.execute(energy)}
        if not sums:
            return None
        units = reads.good_units_since(uow, since)
    return PlantEnergy(sums.get("energy_kwh", 0.0), sums.get("solar_kwh", 0.0), units)


def not_yet(hint: str) -> Any:
    def compute(platform: Platform, actor: Actor) -> KpiValue:
        return KpiValue(None, hint=hint)

    return compute
