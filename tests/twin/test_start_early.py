"""A plan as a timetable (wait for the planned start) or as a sequence (start when free)."""

from __future__ import annotations

from openfab.twin import ListSink, OperationStarted, PlantLayout, ProductionPlan, Twin, TwinConfig


def _lateness(plant: PlantLayout, plan: ProductionPlan, early: bool) -> list[float]:
    sink = ListSink()
    config = TwinConfig(telemetry_period=0, start_early=early)
    twin = Twin(plant, seed=3, config=config, sink=sink)
    twin.run(plan, 16 * 60)
    planned = {op.id: op.start for wo in plan.work_orders for op in wo.operations}
    return [twin.minutes(e.time) - planned[e.operation] for e in sink.of(OperationStarted)]


def test_a_free_machine_starts_early_only_when_allowed(
    plant: PlantLayout, day_plan: ProductionPlan
) -> None:
    timetable = _lateness(plant, day_plan, early=False)
    sequence = _lateness(plant, day_plan, early=True)
    assert timetable and min(timetable) >= -1e-6  # never before the planned start
    assert min(sequence) < 0  # idle time used
    assert sum(sequence) < sum(timetable)
