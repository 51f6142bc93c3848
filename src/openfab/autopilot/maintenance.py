"""Maintenance that plans itself: when the maintenance service names a machine due (its
chance of failing before the next opportunity to stop passed the break-even of a planned stop
against a breakdown), open a maintenance order with its evidence, book it into the plan as
planned downtime at the cheapest moment before the predicted failure, and send its spare
parts through MRP.

The moments weighed are the gaps the plan in force leaves on the machine (idle windows, the
changeovers between operations) and "now". A moment costs the planned work it displaces
(minutes of operations the stop overlaps) plus the expected cost of a breakdown before it
(``FAILURE_COST`` minutes times the chance of failing first, from the RUL and its interval);
the cheapest moment whose stop ends before the RUL's lower bound wins. The scheduler plans
around the booked window like any downtime.

Spare parts: each work center's kit is the catalog material ``spare_kit_<work center>``; the
order names it, MRP plans it as independent demand due at the window's start (bought if the
stock will not cover it), and the kit is consumed from stock when the machine enters
maintenance. A work center without a kit in the catalog gets an order that says so.

A machine that enters ``Maintenance`` closes its open orders (Done); one order per machine
at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from openfab.catalog.service import CatalogService
from openfab.connect.bus import EventMessage
from openfab.errors import OpenFabError
from openfab.identity.actor import Actor
from openfab.maintenance.machine_health import Assessment
from openfab.maintenance.schemas import MachineHealthPublic
from openfab.maintenance.service import (
    FAILURE_COST_MINUTES,
    HORIZON_HOURS,
    RISK,
    STOP_MINUTES,
    MaintenanceService,
    SparePart,
    spare_kit,
    spare_parts,
)
from openfab.planning.mrp.service import MaterialService
from openfab.planning.schemas import DowntimeCreate
from openfab.planning.service import PlanningService
from openfab.planning.shopfloor import work_center_of
from openfab.store.types import utcnow

log = logging.getLogger(__name__)
ACTOR = Actor.system("maintenance-autopilot")
STOP = timedelta(minutes=STOP_MINUTES)
"""How long a predictive maintenance stops the machine."""
FAILURE_COST = FAILURE_COST_MINUTES
LEAD = timedelta(minutes=5)
"""The earliest a window may start: time to stage people and parts."""


class MaintenanceAutopilot:
    name = "autopilot.maintenance"
    patterns = ("maintenance.assessed", "machine.state_changed")

    def __init__(
        self,
        maintenance: MaintenanceService,
        planning: PlanningService,
        catalog: CatalogService | None = None,
        material: MaterialService | None = None,
    ) -> None:
        self.maintenance = maintenance
        self.planning = planning
        self.catalog = catalog
        self.material = material

    def handle(self, events: Sequence[EventMessage]) -> int:
        """Orders opened or closed for this batch."""
        done = 0
        for event in events:
            if (
                event.type == "machine.state_changed"
                and event.payload.get("state") == "Maintenance"
            ):
                at = _time(event.payload.get("at")) or utcnow()
                done += self.maintained(event.entity_id, at)
        calls: dict[str, dict[str, Any]] = {}
        for event in events:
            if event.type == "maintenance.assessed":
                named = event.payload.get("calls") or {}
                for machine in event.payload.get("at_risk", []):
                    calls[str(machine)] = dict(named.get(machine) or {})
        for machine in sorted(calls):
            done += self.plan_maintenance(machine, call=calls[machine])
        return done

    def plan_maintenance(
        self, machine: str, *, now: datetime | None = None, call: dict[str, Any] | None = None
    ) -> int:
        """Open and book an order for ``machine`` if it has none; returns 1 when one was
        opened. ``call``: the service's reasons it is due (chance, break-even, age); without
        it (a person asking) the machine must be at ``RISK`` within the horizon."""
        if self.maintenance.open_order_for(machine) is not None:
            return 0
        health = self.maintenance.latest(machine)
        if health is None or (not call and health.failure_probability < RISK):
            return 0
        now = now or utcnow()
        bars = self._planned(machine, now)
        by_ceiling = call is not None and bool(call.get("by_ceiling"))
        chance_hours = float(call.get("next_chance_hours", 0)) if call else 0.0
        latest = now + timedelta(hours=chance_hours) if by_ceiling else None
        start, cost, weighed = choose_window(health, bars, now, latest=latest)
        end = start + STOP
        why = _why(health, call)
        kind = "service ceiling" if by_ceiling else "predictive maintenance"
        downtime_id = None
        window: tuple[datetime, datetime] | None = None
        try:
            booked = self.planning.report_downtime_once(
                ACTOR,
                DowntimeCreate(
                    machine=machine,
                    start_at=start,
                    end_at=end,
                    reason=f"{kind}: {why}"[:200],
                ),
                message_key=f"maintenance/{machine}/{start:%Y%m%dT%H%M}",
            )
            if booked is not None:
                downtime_id, window = booked.id, (start, end)
        except OpenFabError as exc:
            log.warning("cannot book maintenance of %s: %s", machine, exc.detail)
        kit = self._kit(machine)
        evidence: dict[str, Any] = {
            "health": health.health,
            "drift": health.drift,
            "alarm": health.alarm,
            "rul_hours": health.rul_hours,
            "rul_lower": health.rul_lower,
            "rul_upper": health.rul_upper,
            "windows": health.windows,
            "readings": health.readings,
            "cleaning": health.cleaning,
            "assessed_at": health.assessed_at.isoformat(),
            "window_cost_minutes": round(cost, 1),
            "windows_weighed": weighed,
            **({"call": call} if call else {}),
            "spare_parts": [p.as_json() for p in kit],
        }
        self.maintenance.open_order(
            ACTOR,
            machine,
            reason=why,
            evidence=evidence,
            health=health,
            window=window,
            downtime_id=downtime_id,
            spare_parts=_spares_text(machine, kit, self.catalog is not None),
        )
        return 1

    def maintained(self, machine: str, at: datetime) -> int:
        """The machine entered maintenance: its open order is done and its spare parts are
        taken from stock (a shortfall is logged: the crew used what was there)."""
        order = self.maintenance.open_order_for(machine)
        closed = self.maintenance.close_orders(ACTOR, machine, at)
        if order is None or self.material is None:
            return closed
        for part in spare_parts(order):
            try:
                taken = self.material.consume(
                    ACTOR, part.material, Decimal(part.quantity),
                    reason=f"maintenance order {order.number} on {machine}",
                    message_key=f"maintenance/{order.number}/{part.material}",
                )  # fmt: skip
            except OpenFabError as exc:
                log.warning("cannot take %s for %s: %s", part.material, order.number, exc.detail)
                continue
            if taken < part.quantity:
                log.warning("%s: %s short of %s", order.number, part.material, part.quantity)
        return closed

    def _planned(self, machine: str, now: datetime) -> list[tuple[datetime, datetime]]:
        """The machine's operations in the plan in force that end after ``now``."""
        try:
            gantt = self.planning.gantt(ACTOR, by="machine")
        except OpenFabError:
            return []
        return sorted(
            (b.start_at, b.end_at)
            for row in gantt.rows
            if row.key == machine
            for b in row.bars
            if b.end_at > now
        )

    def _kit(self, machine: str) -> list[SparePart]:
        """The machine's work-center spare kit when the catalog has one."""
        if self.catalog is None:
            return []
        try:
            materials = self.catalog.reference().materials
        except OpenFabError:
            return []
        code = spare_kit(work_center_of(machine))
        return [SparePart(code, 1)] if code in materials else []


def _why(health: MachineHealthPublic, call: dict[str, Any] | None) -> str:
    if call and call.get("why"):
        risk = str(call["why"])
    elif call:  # an assessment recorded before the call carried its sentence
        risk = (
            f"failure risk {float(call['chance']):.0%} before the next chance to stop "
            f"({float(call['next_chance_hours']):g} h) passes the break-even "
            f"{float(call['threshold']):.0%} after {float(call['age_hours']):.0f} running h"
        )
    else:
        risk = f"failure risk {health.failure_probability:.0%} within {HORIZON_HOURS:g} h"
    rul = (
        f", RUL {health.rul_hours:.1f} h (90 %: {health.rul_lower:.1f}-{health.rul_upper:.1f})"
        if health.rul_hours is not None
        and health.rul_lower is not None
        and health.rul_upper is not None
        else ""
    )
    return f"{risk}; health {health.health:.2f}{rul}"


def _spares_text(machine: str, kit: list[SparePart], has_catalog: bool) -> str:
    if kit:
        return "spare parts to MRP: " + ", ".join(f"{p.quantity} x {p.material}" for p in kit)
    if not has_catalog:
        return "no spare parts catalog"
    return f"no spare parts in the catalog for {work_center_of(machine)}"


def choose_window(
    health: MachineHealthPublic,
    bars: Sequence[tuple[datetime, datetime]],
    now: datetime,
    *,
    latest: datetime | None = None,
) -> tuple[datetime, float, int]:
    """The cheapest start for a ``STOP`` before the predicted failure (and ending by
    ``latest``, a ceiling's next chance, when given): (start, cost in minutes, moments
    weighed). Moments: now (plus ``LEAD``), the end of each planned operation (a changeover
    or an idle gap follows)."""
    earliest = now + LEAD
    deadline = earliest + STOP
    if health.rul_lower is not None:
        deadline = max(deadline, now + timedelta(hours=health.rul_lower))
    if latest is not None:
        deadline = max(earliest + STOP, min(deadline, latest))
    candidates = [earliest] + [end for _, end in bars if end >= earliest]
    best: tuple[float, datetime] | None = None
    for start in candidates:
        if start + STOP > deadline and start != earliest:
            continue
        displaced = sum(_overlap(start, start + STOP, a, b) for a, b in bars)
        risk = _fails_before(health, (start - now).total_seconds() / 3600)
        cost = displaced + FAILURE_COST * risk
        if best is None or cost < best[0] - 1e-9:
            best = (cost, start)
    assert best is not None
    return best[1], best[0], len(candidates)


def _overlap(a: datetime, b: datetime, c: datetime, d: datetime) -> float:
    return max(0.0, (min(b, d) - max(a, c)).total_seconds() / 60)


def _fails_before(health: MachineHealthPublic, hours: float) -> float:
    if hours <= 0:
        return 0.0
    a = Assessment(
        health.health, health.drift, health.alarm, health.rul_hours, health.rul_lower,
        health.rul_upper, 0.0, health.windows, health.readings,
    )  # fmt: skip
    return a.failure_probability(hours)


def _time(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


__all__ = ["ACTOR", "MaintenanceAutopilot", "choose_window"]
