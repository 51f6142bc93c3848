"""Re-plan the plant by itself when something that affects the plan happens, then release.

A consumer of the event backbone: the relay hands it batches of committed events, and it
re-plans once per batch that holds a trigger (a new order, a cancellation, a machine down,
an operation that drifted from its plan by more than ``DRIFT_MINUTES``, late material, a goods
receipt) — a burst of orders is one solve, not one per order (the relay
runs it on a cadence). After each plan it releases the work orders that start within the
release horizon, so the shop floor gets its dispatch lists without a person in the loop. The
``schedule.planned`` event names the triggering events.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

from openfab.connect.bus import EventMessage
from openfab.errors import OpenFabError
from openfab.execution.schemas import ReleaseSummary
from openfab.execution.service import ExecutionService
from openfab.identity.actor import Actor
from openfab.planning.schemas import PlanSummary
from openfab.planning.service import PlanningService

log = logging.getLogger(__name__)
TRIGGERS = (
    "order.placed",
    "order.status_changed",
    "machine.*",
    "material.late",
    "purchase_order.received",
    "operation.started",
    "operation.finished",
)
DRIFT_MINUTES = 30.0
"""An operation that starts or finishes this much later than planned has drifted: the plan's
later steps on that machine and its order's next steps no longer hold, so re-plan (earlier is
no drift: the floor takes the next operation anyway)."""
ACTOR = Actor.system("autopilot")


def affects_plan(message: EventMessage) -> bool:
    if message.type == "order.status_changed":
        return message.payload.get("to") == "Cancelled"
    if message.type == "machine.state_changed":  # the shop floor's running/idle chatter
        return message.payload.get("state") == "Down"
    if message.type.startswith("operation."):
        return drifted(message.payload)
    return True


def drifted(payload: dict[str, object]) -> bool:
    """Whether an operation event says actual ran behind plan by more than the threshold."""
    late = payload.get("late_minutes")
    return isinstance(late, int | float) and late > DRIFT_MINUTES


class ReplanningAutopilot:
    name = "autopilot.replanning"
    patterns = TRIGGERS

    def __init__(
        self,
        planning: PlanningService,
        execution: ExecutionService | None = None,
        *,
        time_limit: float = 5.0,
        release_horizon: timedelta | None = timedelta(hours=24),
    ) -> None:
        self.planning = planning
        self.execution = execution
        self.time_limit = time_limit
        self.release_horizon = release_horizon
        self.plans = 0
        self.last_release: ReleaseSummary | None = None

    def handle(self, events: Sequence[EventMessage]) -> PlanSummary | None:
        """Re-plan once for a batch; None when nothing in it affects the plan. Idempotent:
        a re-delivered batch re-plans from the current state (the plan in force is repaired,
        not replaced), and release skips what is already released."""
        triggers = [e for e in events if affects_plan(e)]
        if not triggers:
            return None
        return self.replan(triggers)

    def replan(self, triggers: Sequence[EventMessage] = ()) -> PlanSummary | None:
        """Plan now (``triggers`` name why), then release what is due."""
        counts = Counter(m.type for m in triggers)
        what = ", ".join(f"{n}× {kind}" for kind, n in sorted(counts.items())) or "cadence"
        seqs = f" (events #{triggers[0].seq}–#{triggers[-1].seq})" if triggers else ""
        try:
            summary = self.planning.plan(
                ACTOR, trigger=f"autopilot: {what}{seqs}", time_limit=self.time_limit
            )
        except OpenFabError as exc:  # recorded as schedule.failed; the old plan stays
            log.warning("autopilot could not re-plan after %s: %s", what, exc)
            return None
        self.plans += 1
        log.info("autopilot re-planned after %s", what)
        if self.execution is not None:
            self.last_release = self.execution.release(ACTOR, horizon=self.release_horizon)
        return summary
