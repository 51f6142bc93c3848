"""What the factory dashboard reads: KPIs, machine states, decisions, events.

Tenant data is read in the tenant's unit of work (the tenancy filter applies); plant-wide
facts (machine downtime, schedule runs, which machines are busy) are read in a platform unit
and never carry another tenant's order data.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
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
    "quality.setpoint_requested",
    "quality.maintenance_requested",
    "quality.lot_quarantined",
    "quality.inspection_tightened",
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

    @property
    def link(self) -> tuple[str, str] | None:
        """(page, label) of the order, work order or unit the event is about."""
        number, work, serial = (str(self.payload.get(k) or "") for k in REF_FIELDS)
        if self.entity_type == "sales_order" and number:
            return f"/factory/orders/{number}", number
        if work:
            return f"/factory/work-orders?q={work}", work
        if serial:
            return f"/factory/units/{serial}", serial
        return None


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
    staff read the plant's own. ``entity_id`` is an entity's id or a reference its events
    name: an SO or WO number, a serial."""
    query = select(EventRecord)
    if actor.is_plant and not entity_id:  # a reference finds every brand's work on it
        query = query.where(EventRecord.tenant_id.is_(None))
    if type_prefix:
        query = query.where(EventRecord.type.startswith(type_prefix, autoescape=True))
    if entity_id:
        query = query.where(_about(entity_id))
    with platform.db.unit(actor.scope, actor=actor.name, readonly=True) as uow:
        rows = uow.session.scalars(query.order_by(EventRecord.seq.desc()).limit(limit)).all()
        return _feed(rows, actor)


REF_FIELDS = ("number", "work_order", "serial")
"""Payload fields that name an order, a work order or a unit: a reference finds its events."""


def _about(ref: str) -> ColumnElement[bool]:
    """Events whose entity is ``ref`` (an id) or whose payload names it (an SO or WO number,
    a serial)."""
    named = [EventRecord.payload[f].as_string() == ref for f in REF_FIELDS]
    return or_(EventRecord.entity_id == ref, *named)


def events_about(
    platform: Platform,
    actor: Actor,
    *,
    ids: Sequence[str] = (),
    refs: Sequence[str] = (),
    limit: int = 50,
) -> list[FeedEvent]:
    """Events about an order and its work: ``ids`` of entities, ``refs`` of numbers named
    in payloads, newest first, in the actor's scope (the plant's staff: every brand's, with
    no brand's people named)."""
    terms: list[ColumnElement[bool]] = [EventRecord.entity_id.in_(list(ids))] if ids else []
    terms += [_about(r) for r in refs]
    if not terms:
        return []
    query = select(EventRecord).where(or_(*terms)).order_by(EventRecord.seq.desc()).limit(limit)
    with platform.db.unit(actor.scope, actor=actor.name, readonly=True) as uow:
        return _feed(uow.session.scalars(query).all(), actor)


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
    """Orders placed on the plant's current day (the day of its newest activity when it has
    been quiet: a demo's simulated week that ended)."""
    window = plant_window(platform)
    midnight = window.end.replace(hour=0, minute=0, second=0, microsecond=0)
    return KpiValue(str(platform.orders.placed_since(actor, midnight)), detail=as_of(window))


TILE_READS: ContextVar[dict[Any, Any] | None] = ContextVar("tile_reads", default=None)
"""Reads shared by the tiles of one rendering (set by the dashboard around its tiles)."""


def _shipments(platform: Platform, actor: Actor, days: int = 30) -> Sequence[Shipment]:
    """(placed, shipped, promised) of the tenant's orders shipped in the ``days`` days before
    the plant's window end. Two tiles read them and the query joins the event log (about
    100 ms with a week of 1,000 orders a day): one read serves both in one rendering."""
    shared = TILE_READS.get()
    key = ("shipments", id(platform), actor.name, days)
    if shared is not None and key in shared:
        rows: list[Shipment] = shared[key]
        return rows
    end = plant_window(platform).end
    # read from the hour before the window's start and cut here, kept across renderings
    # until any event is appended (a shipment is one): never stale
    start = end - timedelta(days=days)
    since = start.replace(minute=0, second=0, microsecond=0)
    kept_key = (
        id(platform),
        actor.scope.tenant_id,
        actor.is_staff,
        actor.user_id,
        since,
        last_seq(platform),
    )
    kept = _SHIPMENTS.get(kept_key)
    if kept is None:
        kept = list(platform.orders.shipments(actor, since))
        if len(_SHIPMENTS) >= 32:
            _SHIPMENTS.clear()
        _SHIPMENTS[kept_key] = kept
    rows = [s for s in kept if start <= s.shipped <= end]
    if shared is not None:
        shared[key] = rows
    return rows


_SHIPMENTS: dict[tuple[Any, ...], list[Shipment]] = {}


def order_to_ship(platform: Platform, actor: Actor) -> KpiValue:
    rows = _shipments(platform, actor)
    if not rows:
        return KpiValue(None, hint="kpi.hint.no_shipments")
    days = mean((shipped - placed).total_seconds() / 86400 for placed, shipped, _ in rows)
    return KpiValue(
        f"{days:.1f} d", detail=f"n={len(rows)} {as_of(plant_window(platform))}".strip()
    )


def on_time(platform: Platform, actor: Actor) -> KpiValue:
    rows = _shipments(platform, actor)
    if not rows:
        return KpiValue(None, hint="kpi.hint.no_shipments")
    share = sum(1 for _, shipped, promised in rows if shipped <= promised) / len(rows)
    return KpiValue(f"{share:.0%}", detail=f"n={len(rows)} {as_of(plant_window(platform))}".strip())


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


# -- the plant's current window -------------------------------------------------------------
QUIET = timedelta(hours=1)
"""A plant whose newest event is older than this is quiet (a demo's simulated week that has
ended, a stopped line): its tiles are computed up to that event, and say so."""
STALE = timedelta(minutes=30)
"""A machine whose last state report is older than this (at the plant's window end) may
no longer be in it: its state is shown as stale."""


@dataclass(frozen=True)
class PlantWindow:
    """Where the plant's "now" is: the platform clock's, or its newest event's when it has
    been quiet for longer than ``QUIET``."""

    end: datetime
    quiet: bool


def plant_window(platform: Platform) -> PlantWindow:
    """The plant's current window (read once per rendering of the tiles: each tile asks)."""
    shared = TILE_READS.get()
    key = ("window", id(platform))
    if shared is not None and key in shared:
        window: PlantWindow = shared[key]
        return window
    window = _plant_window(platform)
    if shared is not None:
        shared[key] = window
    return window


def _plant_window(platform: Platform) -> PlantWindow:
    now = utcnow()
    with platform.db.unit(Scope.plant(), actor="system:web", readonly=True) as uow:
        newest = uow.session.scalar(
            select(EventRecord.occurred_at).order_by(EventRecord.seq.desc()).limit(1)
        )
    if newest is None:
        return PlantWindow(now, False)
    newest = newest if newest.tzinfo else newest.replace(tzinfo=now.tzinfo)
    if now - newest > QUIET:
        return PlantWindow(newest, True)
    return PlantWindow(now, False)


def as_of(window: PlantWindow) -> str:
    """A tile's note of when its window ends, when that is not now."""
    return f"@ {window.end:%m-%d %H:%M} UTC" if window.quiet else ""


def stale(state: MachineState, end: datetime) -> bool:
    """Whether the machine's last report is older than ``STALE`` at ``end``."""
    if state.since is None or state.source != "execution":
        return False
    since = state.since if state.since.tzinfo else state.since.replace(tzinfo=end.tzinfo)
    return end - since > STALE


# -- decisions in plain words ---------------------------------------------------------------
TRIGGER = re.compile(r"^autopilot: (?P<what>.+?)(?: \(events #(?P<first>\d+)–#(?P<last>\d+)\))?$")
KIND = re.compile(r"(\d+)× ([\w.]+)")


@dataclass(frozen=True)
class Reason:
    """One cause of a decision, as a message key and its values."""

    key: str
    values: dict[str, Any]


@dataclass(frozen=True)
class PromiseMove:
    number: str
    before: datetime
    after: datetime

    @property
    def hours(self) -> float:
        return (self.after - self.before).total_seconds() / 3600


@dataclass(frozen=True)
class Explained:
    """A plan decision told plainly: why, and the reader's promises it moved."""

    event: FeedEvent
    reasons: list[Reason]
    moves: list[PromiseMove]
    tardiness_hours: float | None


def reasons(platform: Platform, trigger: str) -> list[Reason]:
    """The causes a plan's trigger names: each kind of event counted, a machine's stop named
    (plant events, which every brand's staff may read), a planner's request or move."""
    found = TRIGGER.match(trigger)
    if found is None:
        if trigger.startswith("requested by") or trigger == "manual":
            return [Reason("why.requested", {})]
        if trigger.startswith("planner moved"):
            return [Reason("why.moved", {"detail": trigger.removeprefix("planner moved ")})]
        return [Reason("why.other", {"trigger": trigger})]
    out = []
    for count, kind in KIND.findall(found["what"]):
        out.append(
            Reason(
                f"why.{kind}" if kind in KNOWN_KINDS else "why.events",
                {"count": int(count), "kind": kind},
            )
        )
    if found["what"] == "cadence":
        out.append(Reason("why.cadence", {}))
    if found["first"]:
        out += _machine_reasons(platform, int(found["first"]), int(found["last"]))
    return out


KNOWN_KINDS = (
    "order.placed",
    "order.status_changed",
    "machine.down",
    "machine.state_changed",
    "material.late",
    "purchase_order.received",
    "operation.started",
    "operation.finished",
)


def _machine_reasons(platform: Platform, first: int, last: int) -> list[Reason]:
    with platform.db.unit(Scope.plant(), actor="system:web", readonly=True) as uow:
        rows = uow.session.scalars(
            select(EventRecord)
            .where(
                EventRecord.seq.between(first, last),
                EventRecord.tenant_id.is_(None),
                EventRecord.type.in_(("machine.down", "machine.state_changed")),
            )
            .limit(5)
        ).all()
        return [
            Reason(
                "why.machine",
                {"machine": r.entity_id, "reason": str(r.payload.get("reason") or "")[:80]},
            )
            for r in rows
        ]


_MOVES: OrderedDict[tuple[str | None, bool, int, int], list[PromiseMove]] = OrderedDict()
MOVES_KEPT = 512
"""Plans whose moved promises are kept: the log never changes, and a plan of 1,000 orders
reads 1,000 events (the decisions panel shows ten plans on every dashboard view)."""


def promise_moves(platform: Platform, reader: Actor, seq: int, orders: int) -> list[PromiseMove]:
    """The reader's orders whose promise the plan recorded at ``seq`` changed (its promise
    events are written in the same transaction, just before it), largest change first."""
    key = (reader.scope.tenant_id, reader.is_plant, seq, orders)
    kept = _MOVES.get(key)
    if kept is None:
        kept = _MOVES[key] = _read_promise_moves(platform, reader, seq, orders)
        while len(_MOVES) > MOVES_KEPT:
            _MOVES.popitem(last=False)
    return list(kept)


def _read_promise_moves(
    platform: Platform, reader: Actor, seq: int, orders: int
) -> list[PromiseMove]:
    low = seq - orders - 5
    with platform.db.unit(reader.scope, actor=reader.name, readonly=True) as uow:
        rows = uow.session.scalars(
            select(EventRecord)
            .where(
                EventRecord.seq.between(low, seq - 1),
                EventRecord.type.in_(("order.promise_changed", "order.status_changed")),
            )
            .order_by(EventRecord.seq)
        ).all()
    moves = []
    for r in rows:
        after, before = r.payload.get("promise_date"), r.payload.get("previous_promise_date")
        if not after or not before or after == before:
            continue
        moves.append(
            PromiseMove(
                str(r.payload.get("number", "")),
                datetime.fromisoformat(str(before)),
                datetime.fromisoformat(str(after)),
            )
        )
    return sorted(moves, key=lambda m: -abs(m.hours))


def explained(platform: Platform, reader: Actor, limit: int = 10) -> list[Explained]:
    """The decisions panel's entries, each with its reasons and the reader's moved promises."""
    out = []
    for d in decisions(platform, reader, limit):
        trigger = str(d.payload.get("trigger") or d.payload.get("reason") or "")
        moves = (
            promise_moves(platform, reader, d.seq, int(d.payload.get("orders", 0) or 0))
            if d.type == "schedule.planned"
            else []
        )
        tardiness = d.payload.get("weighted_tardiness")
        hours = float(tardiness) / 60 if isinstance(tardiness, int | float) else None
        out.append(Explained(d, reasons(platform, trigger) if trigger else [], moves, hours))
    return out
