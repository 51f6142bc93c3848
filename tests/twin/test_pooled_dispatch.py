"""Pooled dispatch: work flows to a free eligible machine instead of waiting for the planned one.

``fifo`` serves orders by arrival; ``plan`` by planned start with the setup family first
within a window. Both keep routing order and eligibility; setups depend on the sequence;
idle machines without work fall to standby power; lost time is told by cause.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openfab.errors import InvalidInput
from openfab.twin import (
    ListSink,
    MachineStateChanged,
    MaintenanceWindow,
    MaterialNeed,
    OperationFinished,
    OperationStarted,
    PlannedOperation,
    PlannedWorkOrder,
    PlantLayout,
    ProductionPlan,
    PurchaseOrder,
    Twin,
    check_plan,
    parse_layout,
)
from openfab.twin.config import Dispatch
from openfab.twin.results import LOSSES
from tests.twin.conftest import quiet, small_layout_data
from tests.twin.test_determinism import fingerprint

POOLED: tuple[Dispatch, ...] = ("fifo", "plan")
STEADY = {"duration_sigma": 0.0, "random_failures_per_hour": 0.0, "wear_scale": 100.0}
"""Run times exactly as planned and no breakdowns: sequences are predictable."""


def single(
    wo: str, machine: str, start: float, minutes: float = 30.0, **fields: Any
) -> PlannedWorkOrder:
    """A one-operation work order (``released`` goes to the order, the rest to the op)."""
    released = fields.pop("released", None)
    op = PlannedOperation(f"{wo}/10", "step", machine, start, start + minutes, **fields)
    return PlannedWorkOrder(wo, "widget", (op,), released=released)


def run(
    layout: PlantLayout,
    orders: list[PlannedWorkOrder],
    until: float = 5_000.0,
    maintenance: tuple[MaintenanceWindow, ...] = (),
    seed: int = 1,
    **cfg: Any,
) -> tuple[Twin, ListSink]:
    sink = ListSink()
    twin = Twin(layout, seed=seed, config=quiet(**{**STEADY, **cfg}), sink=sink)
    twin.run(ProductionPlan(tuple(orders), maintenance=maintenance), until)
    return twin, sink


def started_order(sink: ListSink) -> list[str]:
    return [e.work_order for e in sink.of(OperationStarted)]


# -- safety: routing order and eligibility, for random plants and plans ---------------------


@st.composite
def plants_and_plans(draw: st.DrawFn) -> tuple[PlantLayout, ProductionPlan]:
    sizes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    layout = parse_layout(
        {
            "site": {"code": "lab"},
            "areas": [
                {
                    "code": "hall",
                    "lines": [
                        {
                            "code": "cell",
                            "work_centers": [
                                {"code": f"wc{k}", "machines": n} for k, n in enumerate(sizes)
                            ],
                        }
                    ],
                }
            ],
        }
    )
    machines = sorted(layout.machines)
    families = st.sampled_from([None, "a", "b/x", "b/y"])
    orders = []
    for n in range(draw(st.integers(1, 6))):
        ops = []
        t = draw(st.floats(0, 120))
        for k in range(draw(st.integers(1, 3))):
            length = draw(st.floats(5, 60))
            setup = draw(st.sampled_from([0.0, 2.0]))
            alternatives = tuple(draw(st.lists(st.sampled_from(machines), max_size=2)))
            not_before = draw(st.one_of(st.none(), st.floats(0, 200)))
            ops.append(
                PlannedOperation(
                    f"W{n}/{k}",
                    "step",
                    draw(st.sampled_from(machines)),
                    t,
                    t + length,
                    setup_minutes=setup,
                    family=draw(families),
                    alternatives=alternatives,
                    not_before=not_before,
                )
            )
            t += length
        released = draw(st.one_of(st.none(), st.floats(0, 100)))
        orders.append(PlannedWorkOrder(f"W{n}", "widget", tuple(ops), released=released))
    return layout, ProductionPlan(tuple(orders))


@pytest.mark.parametrize("dispatch", POOLED)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=plants_and_plans(), seed=st.integers(0, 3))
def test_no_operation_starts_early_or_on_a_foreign_machine(
    dispatch: Dispatch, case: tuple[PlantLayout, ProductionPlan], seed: int
) -> None:
    layout, plan = case
    sink = ListSink()
    config = quiet(dispatch=dispatch, random_failures_per_hour=0.05)
    twin = Twin(layout, seed=seed, config=config, sink=sink)
    result = twin.run(plan, 100_000)
    planned = {op.id: op for op in plan.operations}
    previous = {
        op.id: wo.operations[k - 1].id
        for wo in plan.work_orders
        for k, op in enumerate(wo.operations)
        if k
    }
    starts = {e.operation: (twin.minutes(e.time), e.machine) for e in sink.of(OperationStarted)}
    ends = {e.operation: (twin.minutes(e.time), e.machine) for e in sink.of(OperationFinished)}
    assert len(starts) == len(sink.of(OperationStarted)) == len(planned)  # each once, all
    assert result.operations_finished == len(planned)
    for op_id, (start, machine) in starts.items():
        op = planned[op_id]
        center = layout.machines[op.machine].work_center.machines
        assert machine in ({op.machine, *op.alternatives} if op.alternatives else set(center))
        if op_id in previous:
            assert ends[previous[op_id]][0] <= start + 1e-6
        assert op.not_before is None or start >= op.not_before - 1e-6
        assert ends[op_id][1] == machine
    busy: dict[str, list[tuple[float, float]]] = {}
    for op_id, (start, machine) in starts.items():
        busy.setdefault(machine, []).append((start, ends[op_id][0]))
    for spells in busy.values():  # one operation at a time per machine
        spells.sort()
        assert all(a[1] <= b[0] + 1e-6 for a, b in itertools.pairwise(spells))


# -- work flows to idle siblings -----------------------------------------------------------


def test_a_slow_machines_queue_moves_to_its_idle_sibling(small_layout: PlantLayout) -> None:
    """Everything planned on a worn press-1 (three times slower): ``fixed`` waits for it,
    ``plan`` lets the idle press-2 take the queue."""
    orders = [single(f"W{n}", "press-1", 30.0 * n) for n in range(6)]

    def finish(dispatch: Dispatch) -> tuple[float, set[str]]:
        sink = ListSink()
        twin = Twin(
            small_layout,
            seed=1,
            config=quiet(**STEADY, dispatch=dispatch, wear_slowdown=1.0),
            sink=sink,
        )
        twin.machines["press-1"].wear = 2.0
        twin.run(ProductionPlan(tuple(orders)), 5_000)
        done = sink.of(OperationFinished)
        assert len(done) == 6
        return max(twin.minutes(e.time) for e in done), {e.machine for e in done}

    fixed_end, fixed_machines = finish("fixed")
    plan_end, plan_machines = finish("plan")
    assert fixed_machines == {"press-1"}
    assert plan_machines == {"press-1", "press-2"}
    assert fixed_end == pytest.approx(6 * 90.0, rel=0.05)  # and wearing on
    assert plan_end < fixed_end / 2


@pytest.mark.parametrize("dispatch", POOLED)
def test_a_machine_in_maintenance_takes_nothing_and_its_work_moves(
    small_layout: PlantLayout, dispatch: Dispatch
) -> None:
    orders = [single(f"W{n}", "press-1", 10.0 * n) for n in range(3)]
    window = (MaintenanceWindow("press-1", 0.0, 300.0),)
    fixed, fixed_sink = run(small_layout, orders, maintenance=window)
    pooled, sink = run(small_layout, orders, maintenance=window, dispatch=dispatch)
    assert {e.machine for e in sink.of(OperationStarted)} == {"press-2"}
    assert max(pooled.minutes(e.time) for e in sink.of(OperationFinished)) == pytest.approx(
        90, abs=1
    )
    assert min(fixed.minutes(e.time) for e in fixed_sink.of(OperationStarted)) >= 300
    assert fixed.snapshot().lost_minutes["maintenance"] > 0
    assert pooled.snapshot().lost_minutes["maintenance"] == 0


def test_a_breakdown_leaves_the_queue_to_the_sibling(small_layout: PlantLayout) -> None:
    """press-1 breaks down in its first operation (certain failure at once): under ``plan``
    press-2 runs the rest meanwhile, under ``fixed`` they wait for the repair."""
    orders = [single(f"W{n}", "press-1", 0.0) for n in range(4)]
    cfg: dict[str, Any] = {
        "random_failures_per_hour": 600.0,
        "repair_minutes": 600.0,
        "repair_sigma": 0.0,
    }
    fixed, _ = run(small_layout, orders, dispatch="fixed", **cfg)
    plan, sink = run(small_layout, orders, dispatch="plan", **cfg)
    assert plan.snapshot().lost_minutes["breakdown"] > 0
    assert {e.machine for e in sink.of(OperationStarted)} >= {"press-2"}
    fixed_wait = fixed.snapshot().lost_minutes["waiting for a machine"]
    assert plan.snapshot().lost_minutes["waiting for a machine"] < fixed_wait


# -- the rules ------------------------------------------------------------------------------


def test_plan_prefers_the_setup_family_within_the_window(small_layout: PlantLayout) -> None:
    """After an ``x`` job the welder takes the next ``x`` job planned 30 min after a ``y``
    one (within 60), but not one planned 190 min later; window 0: planned order."""
    orders = [
        single("A", "welder-a", 0.0, family="x", setup_minutes=5.0),
        single("B", "welder-a", 10.0, family="y", setup_minutes=5.0),
        single("C", "welder-a", 40.0, family="x", setup_minutes=5.0),
        single("D", "welder-a", 200.0, family="x", setup_minutes=5.0),
    ]
    _, sink = run(small_layout, orders, dispatch="plan")
    assert started_order(sink) == ["A", "C", "B", "D"]
    _, strict = run(small_layout, orders, dispatch="plan", family_window=0.0)
    assert started_order(strict) == ["A", "B", "C", "D"]


def test_plan_prefers_ops_planned_on_the_machine_among_equals(small_layout: PlantLayout) -> None:
    orders = [single("A", "press-2", 0.0), single("B", "press-1", 0.0)]
    window = (MaintenanceWindow("press-2", 0.0, 500.0),)
    _, sink = run(small_layout, orders, maintenance=window, dispatch="plan")
    assert started_order(sink) == ["B", "A"]


def test_plan_starts_early_but_not_before_a_deferral(small_layout: PlantLayout) -> None:
    orders = [single("A", "welder-a", 100.0), single("B", "welder-a", 0.0, not_before=50.0)]
    twin, sink = run(small_layout, orders, dispatch="plan")
    starts = {e.work_order: twin.minutes(e.time) for e in sink.of(OperationStarted)}
    assert starts == {"A": 0.0, "B": 50.0}
    reasons = {e.reason for e in sink.of(MachineStateChanged) if e.machine == "welder-a"}
    assert "waiting for planned start" in reasons


def test_fifo_serves_orders_by_arrival_then_id(small_layout: PlantLayout) -> None:
    """Arrival is ``released``, else the first planned start; planned starts and families
    play no part in the order."""
    orders = [
        single("A", "welder-a", 0.0, released=50.0, family="x", setup_minutes=5.0),
        single("B", "welder-a", 300.0, released=10.0, family="y", setup_minutes=5.0),
        single("C", "welder-a", 30.0, family="x", setup_minutes=5.0),
        single("E", "welder-a", 900.0, released=30.0),
        single("D", "welder-a", 900.0, released=30.0),
    ]
    _, sink = run(small_layout, orders, dispatch="fifo")
    assert started_order(sink) == ["B", "C", "D", "E", "A"]


def test_alternatives_widen_or_narrow_the_eligible_machines() -> None:
    layout = parse_layout(small_layout_data())
    orders = [single(f"W{n}", "press-1", 0.0, alternatives=("welder-a",)) for n in range(3)]
    _, sink = run(layout, orders, dispatch="plan")
    assert {e.machine for e in sink.of(OperationStarted)} == {"press-1", "welder-a"}
    _, fixed = run(layout, orders)
    assert {e.machine for e in fixed.of(OperationStarted)} == {"press-1"}


def test_unknown_alternative_machines_are_rejected(small_layout: PlantLayout) -> None:
    plan = ProductionPlan((single("W", "press-1", 0.0, alternatives=("press-9",)),))
    with pytest.raises(InvalidInput) as raised:
        check_plan(plan, small_layout)
    assert "press-9" in str(raised.value.problems)


# -- re-plans and material in pools ---------------------------------------------------------


@pytest.mark.parametrize("dispatch", POOLED)
def test_material_blocks_and_unblocks_in_a_pool(
    small_layout: PlantLayout, dispatch: Dispatch
) -> None:
    need = (MaterialNeed("steel", 1.0),)
    orders = [single(f"W{n}", "press-1", 0.0, materials=need) for n in range(3)]
    po = PurchaseOrder("PO", "steel", 3.0, due=120.0)
    sink = ListSink()
    config = quiet(**STEADY, dispatch=dispatch, supplier_delay_sigma=0.0)
    twin = Twin(small_layout, seed=1, config=config, sink=sink)
    twin.submit(ProductionPlan(tuple(orders), (po,)))
    waiting = twin.advance(60)
    assert waiting.operations_started == 0
    reasons = {e.reason for e in sink.of(MachineStateChanged) if e.machine.startswith("press")}
    assert "waiting for material" in reasons
    done = twin.advance(1_000)
    assert done.operations_finished == 3
    assert min(twin.minutes(e.time) for e in sink.of(OperationStarted)) == pytest.approx(120)
    assert done.lost_minutes["waiting for material"] == pytest.approx(done.material_blocked_minutes)
    # a spell ends when the op gets its material on a machine: the third waits for one
    assert done.material_blocked_minutes == pytest.approx(120 + 120 + 150)


@pytest.mark.parametrize("dispatch", POOLED)
def test_a_replan_moves_a_queued_operation(small_layout: PlantLayout, dispatch: Dispatch) -> None:
    """A queued op re-planned onto the welder (its own pool) runs there, once."""
    first = [single(f"W{n}", "press-1", 0.0, minutes=100.0) for n in range(3)]
    twin = Twin(
        small_layout, seed=1, config=quiet(**STEADY, dispatch=dispatch), sink=(sink := ListSink())
    )
    twin.submit(ProductionPlan(tuple(first)))
    twin.advance(10)  # two running on the presses, W2 queued
    moved = single("W2", "welder-a", 10.0, minutes=100.0)
    submitted = twin.submit(ProductionPlan((moved,)))
    assert (submitted.updated, submitted.kept) == (1, 0)
    twin.advance(1_000)
    machines = {e.work_order: e.machine for e in sink.of(OperationStarted)}
    assert machines["W2"] == "welder-a" and len(sink.of(OperationStarted)) == 3


# -- setups, standby, lost time, determinism ------------------------------------------------


def test_setups_depend_on_the_sequence(small_layout: PlantLayout) -> None:
    """Same family: none; another variant of the group: 30 %; otherwise the full setup."""
    families = ["fridge/black", "fridge/white", "fridge/white", "washer/white", "plain", "plain"]
    orders = [
        single(f"W{k}", "welder-a", 60.0 * k, family=f, setup_minutes=10.0)
        for k, f in enumerate(families)
    ]
    twin, sink = run(small_layout, orders)
    setups = [e for e in sink.of(MachineStateChanged) if e.state == "Setup"]
    ends = {
        e.operation: twin.minutes(e.time)
        for e in sink.of(MachineStateChanged)
        if e.state == "Running"
    }
    spent = [ends[e.operation] - twin.minutes(e.time) for e in setups]
    assert spent == pytest.approx([10.0, 3.0, 10.0, 10.0])
    result = twin.snapshot()
    assert result.setup_minutes == pytest.approx(33.0)
    assert result.lost_minutes["setup"] == pytest.approx(33.0)


def test_idle_machines_without_work_fall_to_standby(small_layout: PlantLayout) -> None:
    idle = Twin(small_layout, seed=1, config=quiet()).run(ProductionPlan(), 600)
    standby = Twin(small_layout, seed=1, config=quiet(standby_after=30.0))
    saved = standby.run(ProductionPlan(), 600)
    # presses 5 kW idle, welder 4 kW; standby a quarter of that after 30 minutes
    assert idle.energy_kwh == pytest.approx((5 + 5 + 4) * 10)
    assert saved.energy_kwh == pytest.approx((5 + 5 + 4) * (0.5 + 0.25 * 9.5))
    assert {s.state for s in standby.machine_status().values()} == {"Idle"}


def test_standby_power_can_be_set_per_work_center() -> None:
    data = small_layout_data()
    data["areas"][0]["lines"][0]["work_centers"][0]["standby_kw"] = 0.0
    layout = parse_layout(data)
    assert layout.work_centers["press"].standby_power == 0.0
    assert layout.work_centers["weld"].standby_power == pytest.approx(1.0)
    run = Twin(layout, seed=1, config=quiet(standby_after=0.0)).run(ProductionPlan(), 60)
    assert run.energy_kwh == pytest.approx(1.0)


def test_busy_time_draws_no_standby(small_layout: PlantLayout) -> None:
    orders = [single("W", "welder-a", 0.0, minutes=600.0)]
    plain, _ = run(small_layout, orders, until=600)
    standby, _ = run(small_layout, orders, until=600, standby_after=30.0)
    welder = ("welder-a",)
    assert [plain.machines[m].total_kwh for m in welder] == [
        standby.machines[m].total_kwh for m in welder
    ]


@pytest.mark.parametrize("dispatch", ["fixed", *POOLED])
def test_lost_minutes_add_up(
    plant: PlantLayout, day_plan: ProductionPlan, dispatch: Dispatch
) -> None:
    sink = ListSink()
    config = quiet(dispatch=dispatch, start_early=True)
    twin = Twin(plant, seed=4, config=config, sink=sink)
    result = twin.run(day_plan, 20 * 60)
    lost = result.lost_minutes
    assert tuple(lost) == LOSSES
    assert all(v >= 0 for v in lost.values())
    assert lost["waiting for material"] == pytest.approx(result.material_blocked_minutes)
    assert lost["setup"] == pytest.approx(result.setup_minutes) and result.setup_minutes > 0
    down = sum(e.down_minutes for e in sink.of(OperationFinished))
    assert lost["breakdown"] >= down - 1e-6  # plus repairs of operations still running


@pytest.mark.parametrize("dispatch", POOLED)
def test_pooled_runs_are_deterministic(
    plant: PlantLayout, day_plan: ProductionPlan, dispatch: Dispatch
) -> None:
    def events(seed: int) -> list[str]:
        sink = ListSink()
        config = quiet(dispatch=dispatch, telemetry_period=5.0, standby_after=20.0)
        Twin(plant, seed=seed, config=config, sink=sink).run(day_plan, 14 * 60)
        return fingerprint(sink.events)

    first = events(11)
    assert len(first) > 1000
    assert first == events(11)
    assert first != events(12)


def test_pooled_dispatch_finishes_the_sample_day_sooner(
    plant: PlantLayout, day_plan: ProductionPlan
) -> None:
    """On the sample plant the pooled rules lose less time waiting for a machine than the
    plan's fixed machines do, started early alike."""
    waits = {}
    for dispatch in ("fixed", "plan"):
        twin = Twin(plant, seed=2, config=quiet(dispatch=dispatch, start_early=True))
        result = twin.run(day_plan, 24 * 60)
        assert result.operations_started > 0
        waits[dispatch] = result.lost_minutes["waiting for a machine"]
    assert waits["plan"] < waits["fixed"]
