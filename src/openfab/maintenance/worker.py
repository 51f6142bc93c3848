"""The maintenance worker: a relay consumer that re-assesses every machine's health and RUL
from its recent telemetry on a cadence (telemetry itself is not in the event log) and soon
after a machine stops or comes back (``machine.state_changed`` to or from Down/Maintenance).

It works from the telemetry, not from the events' contents: a batch only says "look again";
rounds closer together than ``min_interval`` seconds are skipped unless a stop asked.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from openfab.connect.bus import EventMessage
from openfab.maintenance.schemas import AssessmentRound
from openfab.maintenance.service import STOPS, MaintenanceService


class MaintenanceWorker:
    name = "maintenance.health"
    patterns = ("machine.state_changed", "machine.down")

    def __init__(self, maintenance: MaintenanceService, *, min_interval: float = 300.0) -> None:
        self.maintenance = maintenance
        self.min_interval = min_interval
        self._last: float | None = None

    def handle(self, events: Sequence[EventMessage]) -> AssessmentRound | None:
        """Assess when due (cadence) or when a machine entered or left a stop."""
        urgent = any(e.type == "machine.down" or e.payload.get("state") in STOPS for e in events)
        now = time.monotonic()
        if not urgent and self._last is not None and now - self._last < self.min_interval:
            return None
        self._last = now
        return self.maintenance.assess()
