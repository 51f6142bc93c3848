"""The quality worker: scores scans as they arrive (a relay consumer of ``unit.scanned``) and
watches the process values the floor reports (``operation.finished``) for SPC signals.

It works from the scans' state, not from the events' contents: each batch of events only
says "there is work", and a round scores whatever is pending (also what an interrupted run
left), so a restart or a second delivery never judges a unit twice.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from openfab.connect.bus import EventMessage
from openfab.quality.control import ProcessControl
from openfab.quality.schemas import InspectionRound
from openfab.quality.service import ROUND, QualityService


class InspectionWorker:
    name = "quality.inspection"
    patterns = ("unit.scanned", "inspection_model.installed", "operation.finished")

    def __init__(
        self, quality: QualityService, spc: ProcessControl | None = None, *, watch_every: float = 60
    ) -> None:
        self.quality = quality
        self.spc = spc
        self.watch_every = watch_every
        """Seconds between SPC watches: a watch reads every characteristic's recent values, too
        much for each batch of a busy floor (new signals wait at most this long)."""
        self._watched = -math.inf

    def handle(self, events: Sequence[EventMessage]) -> InspectionRound:
        """Score what is pending, then (when units finished) look for new SPC signals."""
        done = self.inspect()
        finished = any(e.type == "operation.finished" for e in events)
        if (
            self.spc is not None
            and finished
            and time.monotonic() - self._watched >= self.watch_every
        ):
            self._watched = time.monotonic()
            self.spc.watch()
        return done

    def inspect(self) -> InspectionRound:
        """Rounds until nothing scoreable is left (scans waiting for a model stay pending:
        installing one wakes this worker again)."""
        total = InspectionRound()
        while True:
            done = self.quality.inspect_pending(ROUND)
            total = InspectionRound(
                total.inspected + done.inspected,
                total.defects + done.defects,
                total.failed + done.failed,
                done.waiting_for_model,
            )
            if done.inspected + done.failed < ROUND or done.waiting_for_model:
                return total
