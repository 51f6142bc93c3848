"""Machine upkeep in the demo: OpenFab's predictive maintenance against the baseline's
time-based preventive maintenance, both carried out by the twin's maintenance crew.

OpenFab (the ``maintenance`` part): every ``watch`` of plant time the maintenance service
assesses every machine from the telemetry the plant stored (as the ``maintenance`` worker of
``openfab serve`` does on its cadence); the maintenance autopilot opens an order for each
machine that is due and books its window into the plan as planned downtime; the crew reads
the booked windows (``maintenance.order_opened``) and stops the machine then. When the machine
enters maintenance, the floor's message closes the order.

The baseline maintains a machine when its hour meter has run ``interval_hours`` since its last
maintenance (staggered over the machines at the start), at once, for as long as a predictive
stop takes: the cheapest fixed interval on the twin's physics (90 running hours,
``benchmarks/maintenance/twin_policies.py``). OpenFab's service takes the same interval as the
plant's service ceiling (``maintenance_ceiling_hours``): the longest a machine runs between
services whatever its prediction, each machine's first service at its turn within one ceiling
(the plant opens with no service records).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from openfab.autopilot.maintenance import MaintenanceAutopilot
from openfab.catalog.definition import WorkCenter
from openfab.connect.bus import EventMessage
from openfab.maintenance.service import STOP_MINUTES, spare_kit
from openfab.platform import Platform
from openfab.store.relay import Relay
from openfab.twin import MaintenanceWindow
from openfab.twin.results import MachineStatus


class PlantTwin(Protocol):
    """What upkeep reads of the twin: its clock, each machine's hour meter."""

    @property
    def now(self) -> float: ...

    def minutes(self, moment: datetime) -> float: ...

    def machine_status(self) -> Mapping[str, MachineStatus]: ...


class Upkeep(Protocol):
    """A maintenance practice: the stops to carry out now."""

    def windows(self, now: datetime, twin: PlantTwin) -> list[MaintenanceWindow]: ...

    def close(self) -> None: ...


PREVENTIVE_HOURS = 90.0
"""Running hours between the baseline's preventive stops."""
WATCH = timedelta(hours=8)
"""How often OpenFab re-assesses every machine's health (plant time): once a shift, the
next chance to stop that the maintenance service's own call assumes (``NEXT_CHANCE_HOURS``);
an assessment reads three days of every machine's telemetry (about 5 s for 130 machines at a
week's volume)."""


def spare_kit_use(centers: Mapping[str, WorkCenter]) -> dict[str, float]:
    """Spare kits a day if every machine stopped once per ``PREVENTIVE_HOURS`` of round-the-
    clock running: the stores' planning figure, so the plant opens with kits on the shelf and
    demand sensing has a prior (the same for both arms; a predictive stop takes one kit)."""
    return {spare_kit(code): c.machines * 24 / PREVENTIVE_HOURS for code, c in centers.items()}


@dataclass
class MaintenanceCrew:
    """The plant's maintenance crew: reads the windows the autopilot booked (a relay consumer
    of ``maintenance.order_opened``) and hands them to the machines."""

    name: str = "demo.maintenance-crew"
    patterns: tuple[str, ...] = ("maintenance.order_opened",)
    booked: list[tuple[str, datetime, datetime]] = field(default_factory=list)

    def handle(self, events: Sequence[EventMessage]) -> None:
        for event in events:
            machine = str(event.payload.get("machine") or "")
            start, end = event.payload.get("window_start"), event.payload.get("window_end")
            if machine and isinstance(start, str) and isinstance(end, str):
                self.booked.append(
                    (machine, datetime.fromisoformat(start), datetime.fromisoformat(end))
                )

    def take(self) -> list[tuple[str, datetime, datetime]]:
        booked, self.booked = self.booked, []
        return booked


class PredictiveUpkeep:
    """OpenFab: assess on a cadence, let the autopilot book, send the crew."""

    def __init__(
        self,
        platform: Platform,
        start: datetime,
        watch: timedelta = WATCH,
        ceiling_hours: float | None = PREVENTIVE_HOURS,
    ) -> None:
        self.maintenance = platform.maintenance
        self.ceiling_hours = ceiling_hours
        self.crew = MaintenanceCrew()
        pilot = MaintenanceAutopilot(
            platform.maintenance, platform.planning, platform.catalog, platform.materials
        )
        self.relays = (
            Relay(platform.db, pilot, start="end", batch_size=10_000),
            Relay(platform.db, self.crew, start="end", batch_size=10_000),
        )
        for relay in self.relays:
            relay.position()  # from now on: the cursor is placed at the log's end here
        self.watch = watch
        self.next_watch = start + watch

    def close(self) -> None:
        """Let go of the relays' consumer locks (another process may take over)."""
        for relay in self.relays:
            relay.lock.release()

    def windows(self, now: datetime, twin: PlantTwin) -> list[MaintenanceWindow]:
        """The stops to carry out, in the twin's minutes; assesses when the cadence is due."""
        if now >= self.next_watch:
            self.maintenance.assess(now=now, ceiling_hours=self.ceiling_hours)
            self.next_watch = now + self.watch
        for relay in self.relays:
            relay.drain()
        return [
            MaintenanceWindow(machine, twin.minutes(start), twin.minutes(end))
            for machine, start, end in self.crew.take()
        ]


@dataclass
class PreventiveUpkeep:
    """The baseline: a stop every ``interval_hours`` on each machine's hour meter."""

    interval_hours: float = PREVENTIVE_HOURS
    stop_minutes: float = STOP_MINUTES
    last: dict[str, float] = field(default_factory=dict)
    """Hour-meter reading at each machine's last preventive stop."""

    def windows(self, now: datetime, twin: PlantTwin) -> list[MaintenanceWindow]:
        return self.due(twin.machine_status(), twin.now)

    def close(self) -> None:
        """Nothing held."""

    def due(self, machines: Mapping[str, MachineStatus], minute: float) -> list[MaintenanceWindow]:
        """Stops due now. A plant in steady state is mid-cycle on every machine: at the first
        look, machine ``k`` of ``n`` had its last stop ``k / n`` of an interval ago, so the
        stops spread over the interval instead of all falling on one day."""
        if not self.last:
            n = len(machines)
            self.last = {m: -self.interval_hours * k / n for k, m in enumerate(sorted(machines))}
        out = []
        for machine, status in sorted(machines.items()):
            if status.running_hours - self.last.get(machine, 0.0) >= self.interval_hours:
                self.last[machine] = status.running_hours
                out.append(MaintenanceWindow(machine, minute, minute + self.stop_minutes))
        return out
