"""Idle says why: no work at all (no OEE loss) or work waiting (for material, its start)."""

from __future__ import annotations

from openfab.execution.oee import NO_WORK
from openfab.twin import (
    ListSink,
    MachineStateChanged,
    PlantLayout,
    ProductionPlan,
    Twin,
    TwinConfig,
)


def test_idle_machines_report_whether_work_was_waiting(
    plant: PlantLayout, day_plan: ProductionPlan
) -> None:
    sink = ListSink()
    Twin(plant, seed=1, config=TwinConfig(telemetry_period=30), sink=sink).run(day_plan, 16 * 60)
    idle = [e for e in sink.of(MachineStateChanged) if e.state == "Idle"]
    reasons = {e.reason for e in idle}
    assert NO_WORK in reasons  # every machine starts with nothing to do
    assert reasons <= {
        NO_WORK,
        "waiting for material",
        "waiting for planned start",
        "maintenance done",
    }
    assert reasons & {"waiting for material", "waiting for planned start"}  # and queues wait
