"""Buy material by itself: plan, release what is due within the planner's limits, chase
late deliveries.

One round runs MRP over the plant, then releases each planned purchase order whose release
date falls within the horizon — if its value, supplier and timing are inside the limits a
planner set — with an event that names the reason (the orders, forecast or safety stock it
covers) and the limits it was checked against. What falls outside the limits is held for a
planner with an event saying why. Released orders past their due date raise
``material.late``, which makes the re-planning autopilot move the schedule around the gap.
Goods receipts (``MaterialService.receive``) create the lots.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from openfab.connect.bus import EventMessage
from openfab.errors import InvalidInput, OpenFabError, Problem
from openfab.identity.actor import Actor
from openfab.planning.demand.service import DemandService
from openfab.planning.mrp.schemas import MaterialPlanRunPublic, PurchaseOrderPublic, PurchaseStatus
from openfab.planning.mrp.service import MaterialService
from openfab.store.types import utcnow

log = logging.getLogger(__name__)
ACTOR = Actor.system("purchasing-autopilot")
TRIGGERS = ("schedule.planned", "order.placed", "inventory.*", "purchase_order.received")


@dataclass(frozen=True)
class PurchasingLimits:
    """What the autopilot may buy without a planner: per order value, suppliers (None: any)
    and how far ahead of its release date an order may go out."""

    max_value_per_order: Decimal = Decimal("5000")
    allowed_suppliers: frozenset[str] | None = None
    horizon_days: int = 7
    max_value_per_round: Decimal = Decimal("50000")
    """What one round may commit in all: a bad policy or forecast cannot buy a warehouse."""

    def check_within(self, ceiling: PurchasingLimits) -> None:
        """Refuse limits wider than the plant's ceiling (a planner may tighten, not lift)."""
        problems = []
        if self.max_value_per_order > ceiling.max_value_per_order:
            cap = ceiling.max_value_per_order
            problems.append(Problem("max_value_per_order", f"at most {cap}", "out_of_bounds"))
        if self.horizon_days > ceiling.horizon_days:
            cap_days = ceiling.horizon_days
            problems.append(Problem("horizon_days", f"at most {cap_days}", "out_of_bounds"))
        if self.max_value_per_round > ceiling.max_value_per_round:
            cap = ceiling.max_value_per_round
            problems.append(Problem("max_value_per_round", f"at most {cap}", "out_of_bounds"))
        if problems:
            raise InvalidInput("purchasing limits above the plant's ceiling", problems)

    def refusal(self, po: PurchaseOrderPublic, committed: Decimal = Decimal(0)) -> str | None:
        """Why ``po`` needs a planner (``committed``: value already released this round), or
        None when it is within the limits."""
        if po.value > self.max_value_per_order:
            return f"value {po.value} exceeds the limit of {self.max_value_per_order}"
        if committed + po.value > self.max_value_per_round:
            return f"this round already released {committed}; limit {self.max_value_per_round}"
        if self.allowed_suppliers is not None and po.supplier not in self.allowed_suppliers:
            return f"supplier {po.supplier} is not on the allowed list"
        return None

    def describe(self) -> str:
        suppliers = (
            "any" if self.allowed_suppliers is None else ", ".join(sorted(self.allowed_suppliers))
        )
        return (
            f"value ≤ {self.max_value_per_order}, ≤ {self.max_value_per_round} a round, "
            f"suppliers: {suppliers}, release within {self.horizon_days} days"
        )


CEILING = PurchasingLimits(
    max_value_per_order=Decimal("25000"), horizon_days=30, max_value_per_round=Decimal("100000")
)
"""The widest limits anyone may give the autopilot over the API."""


@dataclass
class PurchasingRound:
    """What one round did."""

    run: MaterialPlanRunPublic
    released: list[PurchaseOrderPublic] = field(default_factory=list)
    held: list[tuple[PurchaseOrderPublic, str]] = field(default_factory=list)
    late: list[PurchaseOrderPublic] = field(default_factory=list)


class PurchasingAutopilot:
    """Runs purchasing rounds: on demand (``run``) or, as a consumer of the event backbone,
    whenever demand or stock changed (``handle``)."""

    name = "autopilot.purchasing"
    patterns = TRIGGERS

    def __init__(
        self,
        materials: MaterialService,
        limits: PurchasingLimits | None = None,
        *,
        demand: DemandService | None = None,
        service_level: float = 0.95,
    ) -> None:
        self.materials = materials
        self.limits = limits or PurchasingLimits()
        self.demand, self.service_level = demand, service_level
        self.rounds = 0

    def handle(self, events: Sequence[EventMessage]) -> PurchasingRound | None:
        """One round for a batch of events; its own receipts and moves do not count. A round
        is idempotent: MRP plans from the current state, released orders are not bought twice."""
        triggers = [e for e in events if e.actor != ACTOR.name]
        if not triggers:
            return None
        kinds = sorted({m.type for m in triggers})
        self.rounds += 1
        try:
            return self.run(trigger=f"autopilot: {', '.join(kinds)}")
        except OpenFabError as exc:  # the plan failed (bad data): recorded, planners see it
            log.warning("purchasing autopilot could not plan: %s", exc)
            return None

    def run(self, *, today: date | None = None, trigger: str = "autopilot") -> PurchasingRound:
        """Plan, release what is due within the limits, hold the rest, flag late deliveries."""
        today = today or utcnow().date()
        result = PurchasingRound(self._plan(today, trigger))
        planned = self.materials.purchase_orders(ACTOR, status=PurchaseStatus.PLANNED).data
        horizon = today + timedelta(days=self.limits.horizon_days)
        committed = Decimal(0)
        for po in planned:
            if po.release_date > horizon:
                continue
            why = self.limits.refusal(po, committed)
            if why is None:
                reason = f"autopilot: {po.reason}; within limits ({self.limits.describe()})"
                result.released.append(self.materials.release(ACTOR, po.id, reason))
                committed += po.value
            else:
                self.materials.hold(ACTOR, po.id, why)
                result.held.append((po, why))
        result.late = self.materials.flag_late(ACTOR, today=today)
        log.info(
            "purchasing round: %d released, %d held, %d late",
            len(result.released),
            len(result.held),
            len(result.late),
        )
        return result

    def _plan(self, today: date, trigger: str) -> MaterialPlanRunPublic:
        """With demand sensing, forecasts and safety stock join the open orders — from day
        one when the plant planner set an expected use (the prior); with neither order
        history nor a prior to forecast from, the open orders alone."""
        if self.demand is not None:
            try:
                return self.demand.plan_materials(
                    ACTOR, service_level=self.service_level, trigger=trigger, today=today
                )
            except InvalidInput as exc:
                log.info("no demand sensing this round: %s", exc.detail)
        return self.materials.run(ACTOR, trigger=trigger, today=today)
