"""Re-plan the plant by itself when something that affects the plan happens.

The bus delivers committed events; the autopilot notes the ones that change the plan (a new
order, a cancellation, a machine down or back, late material) and re-plans at the next
``run_pending`` — batching a burst of orders into one solve instead of one per order. The
resulting ``schedule.planned`` event names the triggering events and what changed.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter

from openfab.connect.bus import EventBus, EventMessage
from openfab.errors import OpenFabError
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
)
ACTOR = Actor.system("autopilot")


def affects_plan(message: EventMessage) -> bool:
    if message.type == "order.status_changed":
        return message.payload.get("to") == "Cancelled"
    if message.type == "machine.state_changed":  # the shop floor's running/idle chatter
        return message.payload.get("state") == "Down"
    return True


class ReplanningAutopilot:
    def __init__(self, planning: PlanningService, bus: EventBus, *, time_limit: float = 5.0):
        self.planning = planning
        self.time_limit = time_limit
        self._pending: list[EventMessage] = []
        self._lock = threading.Lock()
        self._unsubscribe = [bus.subscribe(pattern, self._note) for pattern in TRIGGERS]

    def _note(self, message: EventMessage) -> None:
        if affects_plan(message):
            with self._lock:
                self._pending.append(message)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def run_pending(self) -> PlanSummary | None:
        """Re-plan once for everything noted since the last run; None when nothing happened."""
        with self._lock:
            triggers, self._pending = self._pending, []
        if not triggers:
            return None
        counts = Counter(m.type for m in triggers)
        what = ", ".join(f"{n}× {kind}" for kind, n in sorted(counts.items()))
        seqs = f"events #{triggers[0].seq}–#{triggers[-1].seq}"
        try:
            summary = self.planning.plan(
                ACTOR, trigger=f"autopilot: {what} ({seqs})", time_limit=self.time_limit
            )
        except OpenFabError as exc:  # recorded as schedule.failed; the old plan stays
            log.warning("autopilot could not re-plan after %s: %s", what, exc)
            return None
        log.info("autopilot re-planned after %s", what)
        return summary

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()


class AutopilotLoop:
    """Runs ``run_pending`` every ``interval`` seconds in a background thread (for the server)."""

    def __init__(self, autopilot: ReplanningAutopilot, *, interval: float = 10.0) -> None:
        self.autopilot = autopilot
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="autopilot", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.autopilot.run_pending()
            except Exception:  # the loop must outlive any single failure
                log.exception("autopilot round failed")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + self.autopilot.time_limit + 5)
        self.autopilot.close()
