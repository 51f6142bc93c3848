"""Events: JSON-ready payloads for any bus, telemetry batches that expand to readings."""

from __future__ import annotations

import json

from openfab.twin import (
    ListSink,
    PlantLayout,
    ProductionPlan,
    TelemetryBatch,
    TelemetryReading,
    Twin,
    TwinConfig,
    each,
    parse_topic,
    payload,
)


def test_every_kind_serializes_to_json(plant: PlantLayout, day_plan: ProductionPlan) -> None:
    sink = ListSink()
    Twin(plant, seed=1, config=TwinConfig(telemetry_period=30), sink=sink).run(day_plan, 16 * 60)
    kinds = {e.kind for e in sink.events}
    assert {
        "machine.state",
        "operation.started",
        "operation.finished",
        "unit.produced",
        "telemetry.batch",
        "material.lot_arrived",
        "energy.sample",
    } <= kinds
    for event in sink.events:
        data = json.loads(json.dumps(payload(event)))
        assert data["message_id"] == event.message_id
        assert data["kind"] == event.kind
        assert parse_topic(data["topic"])[1] == plant.site
    unit = next(e for e in sink.events if e.kind == "unit.produced")
    assert payload(unit)["scan_height"] == {"shape": [64, 64], "dtype": "float32"}
    assert len(payload(unit, arrays=True)["scan_image"]) == 64


def test_batches_expand_to_readings_on_machine_topics(plant: PlantLayout) -> None:
    batched, single = ListSink(), ListSink()
    for sink, batches in ((batched, True), (single, False)):
        cfg = TwinConfig(telemetry_period=10, telemetry_batches=batches)
        Twin(plant, seed=1, config=cfg, sink=sink).run(ProductionPlan(), 60)
    readings = [r for b in batched.of(TelemetryBatch) for r in b.readings()]
    assert readings == single.of(TelemetryReading)
    assert len(readings) == 5 * len(plant.machines) * 3  # minutes 10..50, 3 signals each
    first = readings[0]
    path, _, signal = parse_topic(first.topic)
    assert path is not None and path.machine == first.machine and signal == first.signal


def test_each_calls_a_handler_per_event(small_layout: PlantLayout) -> None:
    seen: list[str] = []
    cfg = TwinConfig(telemetry_period=0, energy_period=30, sink_batch=3)
    Twin(small_layout, config=cfg, sink=each(lambda e: seen.append(e.kind))).run(
        ProductionPlan(), 300
    )
    assert seen[:3] == ["machine.state"] * 3  # each machine says it starts with no work
    assert seen[3:] == ["energy.sample"] * (4 * 9)  # 3 machines + the plant, 9 samples
