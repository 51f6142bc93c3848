"""What a twin run reports: counts, material balances, energy, machine health."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from openfab.twin.layout import MachineState

LOSSES = ("waiting for a machine", "waiting for material", "setup", "breakdown", "maintenance")
"""The causes in :attr:`TwinRun.lost_minutes`, in this order."""


@dataclass(frozen=True)
class Submitted:
    """Work orders added, operations re-planned, operations kept (already started)."""

    added: int
    updated: int
    kept: int


@dataclass(frozen=True)
class MachineStatus:
    state: MachineState
    wear: float
    hazard_per_hour: float
    failures: int
    maintenances: int
    parameters: Mapping[str, float]
    running_hours: float = 0.0
    """Hours run since the start (the hour meter time-based maintenance reads)."""


@dataclass(frozen=True)
class TwinRun:
    """Where the plant stands at minute ``until`` (cumulative since the start).

    Conservation: ``units_started == units_good + units_scrapped + units_in_process`` and,
    per material, ``received == consumed + on_hand`` and ``consumed == bom + scrap``.
    ``energy_kwh`` counts up to ``until``; ``solar_kwh`` and ``pv_kwh`` up to the last
    energy sample. Events at exactly ``until`` happen in the next step.
    """

    until: float
    time: datetime
    events: Mapping[str, int]
    operations_started: int
    operations_finished: int
    operations_pending: int
    work_orders_finished: int
    units_started: int
    units_good: int
    units_scrapped: int
    late_operations: int
    start_delay_minutes: float
    failures: Mapping[str, int]
    maintenances: Mapping[str, int]
    material_received: Mapping[str, float]
    material_consumed: Mapping[str, float]
    material_bom: Mapping[str, float]
    material_scrap: Mapping[str, float]
    material_on_hand: Mapping[str, float]
    energy_kwh: float
    solar_kwh: float
    pv_kwh: float
    material_shortages: int = 0
    """Operations found short of material (one ``MaterialShortage`` event each)."""
    material_blocked_minutes: float = 0.0
    """Minutes operations waited, ready, for material (those still waiting up to ``until``)."""
    lost_minutes: Mapping[str, float] = field(default_factory=dict)
    """Operation-minutes lost, by cause (:data:`LOSSES`): ready but waiting for a machine,
    for material, in setup, down with a breakdown, waiting while its machine was maintained
    (waits of operations still waiting count up to ``until``)."""
    setup_minutes: float = 0.0
    """Setup minutes actually spent (sequence-dependent: none within a family)."""
    down_minutes: Mapping[str, float] = field(default_factory=dict)
    """Minutes each machine stood broken down (unplanned downtime; maintenance is not)."""

    @property
    def units_in_process(self) -> int:
        return self.units_started - self.units_good - self.units_scrapped

    @property
    def event_count(self) -> int:
        return sum(self.events.values())

    @property
    def solar_share(self) -> float:
        return self.solar_kwh / self.energy_kwh if self.energy_kwh > 0 else 0.0

    @property
    def energy_per_unit_kwh(self) -> float:
        done = self.units_good + self.units_scrapped
        return self.energy_kwh / done if done else 0.0
