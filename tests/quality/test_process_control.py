"""SPC over the plant's own measurements: the floor reports process values with each unit,
a drift after a steady start raises an alarm once (with the rule and the machine), and the
charts come back ready to draw; on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from openfab.errors import Forbidden, NotFound
from openfab.gateway.equipment import ParameterSpec
from openfab.platform import Platform
from openfab.quality.control import BASELINE, CHARTS, Sample, build_chart
from tests.conftest import PLANT, TenantPeople
from tests.execution.conftest import released
from tests.gateway.conftest import T0, machine_of, run_all

pytestmark = pytest.mark.xdist_group("quality")
KEY = "paint.film_thickness_um"
SPEC = ParameterSpec("paint_line", 80.0, 6.0)


def series(values: list[float]) -> list[Sample]:
    t0 = datetime(2026, 5, 1, tzinfo=UTC)
    return [
        Sample(t0 + timedelta(minutes=i), v, f"paint-{i % 2}", f"r{i}")
        for i, v in enumerate(values)
    ]


def test_a_shift_after_the_baseline_is_signalled_on_every_chart() -> None:
    rng = np.random.default_rng(3)
    steady = list(80 + rng.normal(0, 1, BASELINE))
    shifted = list(83 + rng.normal(0, 1, 40))
    for kind in CHARTS:
        chart = build_chart(KEY, kind, series(steady), series(steady + shifted), SPEC, "nelson")
        assert chart.points and chart.signals, kind
        first_signal = min(s.at for s in chart.signals)
        assert first_signal > series(steady)[-1].at, kind  # phase I itself is in control
        assert all(p.lcl <= p.center <= p.ucl for p in chart.points)
    imr = build_chart(KEY, "imr", series(steady), series(steady + shifted), SPEC, "nelson")
    assert imr.capability is not None and imr.capability.cpk < 1.0  # off target by 3 of 6
    assert (imr.lsl, imr.usl, imr.target) == (74.0, 86.0, 80.0)


def test_a_steady_process_raises_nothing() -> None:
    rng = np.random.default_rng(4)
    values = list(80 + rng.normal(0, 1, BASELINE + 60))
    chart = build_chart(KEY, "imr", series(values[:BASELINE]), series(values), SPEC, "limits")
    late = [s for s in chart.signals if s.at > series(values)[BASELINE - 1].at]
    assert len(late) <= 1  # a 3-sigma false alarm in 60 points is rare


def run_with_thickness(
    platform: Platform, tenant: TenantPeople, values: list[float], hour: int
) -> str:
    """A work order whose units report ``values`` of the film thickness at its last step,
    which finishes ``hour`` hours after the others began (later orders finish later)."""
    work_order = released(platform, tenant, quantity=len(values))
    steps = run_all(platform, work_order)
    for path, message in steps[:-1]:
        platform.gateway.receive(path, json.dumps(message), transport="test")
    path, last = steps[-1]
    last["at"] = (T0 + timedelta(hours=hour)).isoformat()
    units = platform.execution.work_order_serials(PLANT, [work_order.number])[work_order.number]
    last["units"] = [
        {"serial": s, "measurements": {KEY: v}} for s, v in zip(units, values, strict=True)
    ]
    result = platform.gateway.receive(path, json.dumps(last), transport="test")
    assert result.dead_lettered == 0, result.problems
    return machine_of(platform, work_order, work_order.operations[-1].sequence)


def test_the_watch_raises_a_drift_once_with_its_rule_and_machine(
    platform: Platform, tenant: TenantPeople
) -> None:
    rng = np.random.default_rng(5)
    for hour in range(1, BASELINE // 6 + 2):
        run_with_thickness(platform, tenant, list(80 + rng.normal(0, 0.5, 6)), hour)
    # in control so far (units of one work order finish together, in no set order: only the
    # order-free rule is sure to stay quiet)
    assert not [a for a in platform.spc.watch([KEY]) if a.rule == "nelson-1"]
    for hour in range(20, 23):
        run_with_thickness(platform, tenant, list(85 + rng.normal(0, 0.5, 6)), hour)
    raised = platform.spc.watch([KEY])
    assert raised and all(a.characteristic == KEY for a in raised)
    assert "nelson-1" in {a.rule for a in raised}  # 10 sigma off: beyond the limits
    assert not platform.spc.watch([KEY])  # each signal once
    streams = [c for c in platform.spc.characteristics(PLANT) if c.key.startswith(f"{KEY}@")]
    assert len(streams) == 1  # one work center paints here: one stream, with its spec
    [stream] = streams
    assert stream.values >= 36 and stream.target is not None and stream.work_center
    assert {a.characteristic for a in platform.spc.watch([stream.key])} <= {stream.key}
    listed = platform.spc.alarms(PLANT)
    assert {a.id for a in raised} <= {a.id for a in listed}
    chart = platform.spc.chart(PLANT, KEY, "ewma")
    assert chart.signals and chart.points[-1].value > 82


def test_charts_are_the_plants_and_an_unknown_characteristic_is_not_found(
    platform: Platform, tenant: TenantPeople
) -> None:
    with pytest.raises(Forbidden):
        platform.spc.chart(tenant.planner, KEY)
    with pytest.raises(NotFound):
        platform.spc.chart(PLANT, "paint.no_such_value")
