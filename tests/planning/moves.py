"""Choosing where a test moves an operation on the shared plant of a test worker."""

from __future__ import annotations

from datetime import datetime, timedelta

from openfab.planning.schemas import GanttBar
from openfab.platform import Platform
from openfab.store.types import utcnow


def free_sibling(platform: Platform, bar: GanttBar, start: datetime) -> str:
    """A machine of ``bar``'s work center other than its own, with no downtime booked around
    ``start`` (other tests on the same plant book downtime); its own when none is free."""
    machines = [m for m in platform.planning.machines() if m.rpartition("-")[0] == bar.work_center]
    down = {
        d.machine
        for d in platform.planning.downtime_since(utcnow())
        if not d.cancelled and d.start_at <= start + timedelta(hours=2) and d.end_at >= start
    }
    free = [m for m in machines if m not in down]
    return next((m for m in free if m != bar.machine), free[0] if free else bar.machine)
