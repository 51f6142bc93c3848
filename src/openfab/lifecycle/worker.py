"""The passport worker: a relay consumer that issues the passports of shipped units as soon
as their order ships (``order.shipped``), so every unit in the field has its public id and
QR code without anyone asking first. Issuing is idempotent: a redelivered batch issues
nothing new."""

from __future__ import annotations

from collections.abc import Sequence

from openfab.connect.bus import EventMessage
from openfab.identity.actor import Actor
from openfab.lifecycle.service import LifecycleService

ACTOR = Actor.system("passports")


class PassportWorker:
    name = "lifecycle.passports"
    patterns = ("order.shipped",)

    def __init__(self, lifecycle: LifecycleService) -> None:
        self.lifecycle = lifecycle

    def handle(self, events: Sequence[EventMessage]) -> int:
        """Passports for every finished unit still without one (the shipped order's among them)."""
        return self.lifecycle.issue_all(ACTOR) if events else 0
