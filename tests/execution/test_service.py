"""The execution service on both databases: work orders from the schedule, operations as
the shop floor reports them, serial units, genealogy, shipping, and redelivered messages."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from openfab.errors import Conflict, Forbidden, InvalidInput, NotFound
from openfab.execution.genealogy import missing_links
from openfab.execution.orm import SerialUnitRow, WorkOrderRow
from openfab.execution.schemas import (
    InspectionReport,
    LotConsumption,
    MachineStateReport,
    OperationFinish,
    OperationStart,
    OrderShipment,
    UnitReport,
    UnitRework,
    UnitScrap,
)
from openfab.execution.states import MachineState, UnitStatus
from openfab.orders.schemas import OrderCreate
from openfab.platform import Platform
from openfab.store import EventRecord
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow
from tests.conftest import PLANT, Following, TenantPeople, make_tenant
from tests.execution.conftest import TWIN, Run, in_stores, message, released, run_all
from tests.orders.test_service import cheapest
from tests.store.test_relay import Recorder


def event_types(platform: Platform, tenant: TenantPeople, entity_id: str) -> list[str]:
    with platform.db.unit(Scope.tenant(tenant.tenant_id), actor="t", readonly=True) as uow:
        return list(
            uow.session.scalars(
                select(EventRecord.type)
                .where(EventRecord.entity_id == entity_id)
                .order_by(EventRecord.seq)
            )
        )


def test_work_orders_are_released_per_the_schedule(
    platform: Platform, tenant: TenantPeople
) -> None:
    body = OrderCreate(product="fridge", choices=cheapest(platform, tenant))
    order = platform.orders.place(tenant.alice, body)
    platform.planning.plan(PLANT, time_limit=2)
    summary = platform.execution.release(PLANT)
    work_order = platform.execution.get_work_order(tenant.planner, order.id)
    assert work_order.number in summary.released
    assert work_order.status == "Released"
    routing = platform.orders.get(tenant.planner, order.id).configured["routing"]
    assert [o.sequence for o in work_order.operations] == [r["sequence"] for r in routing]
    for op in work_order.operations:  # each step planned on an eligible machine
        assert op.planned_machine is not None and op.planned_start is not None
        assert platform.execution.machines()[op.planned_machine] in op.work_centers
    assert [o.status for o in work_order.operations][:2] == ["Ready", "Pending"]
    assert event_types(platform, tenant, work_order.id) == ["work_order.released"]
    again = platform.execution.release(PLANT)  # releasing twice releases nothing new
    assert work_order.number not in again.released


def test_customers_cannot_release_or_report(platform: Platform, tenant: TenantPeople) -> None:
    work_order = released(platform, tenant)
    with pytest.raises(Forbidden):
        platform.execution.release(tenant.alice)
    start = OperationStart(machine="sheet_metal_press-1")
    with pytest.raises(Forbidden):
        platform.execution.start_operation(tenant.alice, work_order.number, 10, start)


def test_an_order_runs_through_the_floor_to_delivery(
    platform: Platform, tenant: TenantPeople
) -> None:
    work_order = released(platform, tenant, quantity=2)
    done = run_all(platform, work_order)
    assert done.status == "Completed"
    assert (done.quantity_good, done.quantity_scrap, done.in_process) == (2, 0, 0)
    assert platform.orders.get(tenant.admin, work_order.order_id).status == "Inspected"
    units = platform.execution.list_units(tenant.alice, order=work_order.order_id).data
    assert len({u.serial for u in units}) == 2
    assert all(u.serial.startswith(tenant.tenant_id[:1].upper()) for u in units)
    shipment = platform.execution.ship(PLANT, work_order.order_id, OrderShipment())
    assert shipment.status == "Shipped" and sorted(shipment.serials) == [u.serial for u in units]
    delivered = platform.execution.deliver(PLANT, work_order.order_id, OrderShipment())
    assert delivered.status == "Delivered"
    steps = [s.status for s in platform.orders.track(tenant.alice, work_order.order_id).steps]
    assert steps == ["Received", "Planned", "InProduction", "Inspected", "Shipped", "Delivered"]
    assert platform.execution.get_work_order(tenant.admin, work_order.id).status == "Closed"
    for unit in units:
        genealogy = platform.execution.genealogy(tenant.alice, unit.serial)
        assert genealogy.unit.status == "Delivered"
        assert missing_links(genealogy) == []
        assert len(genealogy.steps) == len(work_order.operations)


def test_serials_are_unique_and_consecutive_per_tenant(
    platform: Platform, tenant: TenantPeople, other_tenant: TenantPeople
) -> None:
    def numbers(people: TenantPeople) -> list[int]:
        units = platform.execution.list_units(people.admin, limit=500).data
        return sorted(int(u.serial.rsplit("-", 1)[1]) for u in units)

    before = numbers(tenant)
    for _ in range(2):
        run_all(platform, released(platform, tenant, quantity=2))
    run_all(platform, released(platform, other_tenant, quantity=1))
    last = before[-1] if before else 0
    assert numbers(tenant) == [*before, last + 1, last + 2, last + 3, last + 4]
    assert numbers(other_tenant) == [1]  # each tenant counts on its own


@pytest.mark.parametrize(
    "scrap_at",
    [
        {10: 1},  # one unit dented at the press
        {10: 1, 40: 2},  # more later in assembly
        {50: 4},  # everything fails the end-of-line test
    ],
)
def test_units_are_conserved_and_scrap_is_made_up(
    platform: Platform, tenant: TenantPeople, scrap_at: dict[int, int]
) -> None:
    work_order = released(platform, tenant, quantity=4)
    before = platform.execution.unit_counts(PLANT)
    done = run_all(platform, work_order, runs={s: Run(scrap=n) for s, n in scrap_at.items()})
    scrapped = sum(scrap_at.values())
    after = platform.execution.unit_counts(PLANT)  # the plant's tally: counts, no ids
    assert after.get("Scrapped", 0) - before.get("Scrapped", 0) == scrapped
    with pytest.raises(Forbidden):
        platform.execution.unit_counts(tenant.admin)
    assert (done.quantity_good, done.quantity_scrap) == (4 - scrapped, scrapped)
    assert done.quantity_good + done.quantity_scrap + done.in_process == done.quantity
    units = platform.execution.list_units(tenant.admin, order=work_order.order_id).data
    assert sum(u.status == UnitStatus.SCRAPPED for u in units) == scrapped
    assert all(not u.first_pass for u in units if u.status == UnitStatus.SCRAPPED)
    orders = platform.execution.list_work_orders(tenant.admin, order=work_order.order_id).data
    makeup = [w for w in orders if w.replaces == work_order.number]
    assert [w.quantity for w in makeup] == [scrapped]  # a make-up work order for the shortfall
    assert platform.orders.get(tenant.admin, work_order.order_id).status == "InProduction"
    with pytest.raises(Conflict):
        platform.execution.ship(PLANT, work_order.order_id, OrderShipment())
    run_all(platform, platform.execution.get_work_order(tenant.admin, makeup[0].id))
    assert platform.orders.get(tenant.admin, work_order.order_id).status == "Inspected"
    shipment = platform.execution.ship(PLANT, work_order.order_id, OrderShipment())
    assert len(shipment.serials) == 4


def conserved(platform: Platform, tenant: TenantPeople, work_order_id: str) -> dict[str, int]:
    """Units by status, after checking started = good + scrapped + in process."""
    with platform.db.unit(Scope.tenant(tenant.tenant_id), actor="t", readonly=True) as uow:
        row = uow.session.get(WorkOrderRow, work_order_id)
        counts = {
            str(status): int(n)
            for status, n in uow.session.execute(
                select(SerialUnitRow.status, func.count())
                .where(SerialUnitRow.work_order_id == work_order_id)
                .group_by(SerialUnitRow.status)
            ).all()
        }
    assert row is not None
    good = sum(counts.get(s, 0) for s in ("Completed", "Shipped", "Delivered"))
    scrapped, in_process = counts.get("Scrapped", 0), counts.get("InProcess", 0)
    if counts:  # started
        assert sum(counts.values()) == good + scrapped + in_process == row.quantity
    assert (row.quantity_good, row.quantity_scrap) == (good, scrapped)
    return counts


def test_conservation_holds_after_every_operation(platform: Platform, tenant: TenantPeople) -> None:
    work_order = released(platform, tenant, quantity=5)
    assert conserved(platform, tenant, work_order.id) == {}  # nothing started yet
    scrap = {10: 1, 30: 2}
    for op in work_order.operations:
        run_all(
            platform,
            work_order,
            runs={op.sequence: Run(scrap=scrap.get(op.sequence, 0))},
            until=op.sequence,
        )
        counts = conserved(platform, tenant, work_order.id)
        done = sum(n for s, n in scrap.items() if s <= op.sequence)
        assert counts.get("Scrapped", 0) == done
    assert counts == {"Completed": 2, "Scrapped": 3}


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    quantity=st.integers(min_value=1, max_value=6),
    shares=st.lists(st.floats(min_value=0, max_value=1), min_size=6, max_size=6),
)
def test_conservation_for_any_scrap_pattern(
    platform: Platform, tenant: TenantPeople, quantity: int, shares: list[float]
) -> None:
    """Whatever each operation scraps, started = good + scrapped + in process, and the good
    units plus the make-up order always cover the ordered quantity."""
    work_order = released(platform, tenant, quantity=quantity)
    left, runs = quantity, {}
    for op, share in zip(work_order.operations, shares, strict=False):
        runs[op.sequence] = Run(scrap=int(left * share))
        left -= runs[op.sequence].scrap
    done = run_all(platform, work_order, runs=runs)
    counts = conserved(platform, tenant, work_order.id)
    assert counts.get("Completed", 0) == left == done.quantity_good
    makeup = [
        w
        for w in platform.execution.list_work_orders(tenant.admin, order=work_order.order_id).data
        if w.replaces == work_order.number
    ]
    assert sum(w.quantity for w in makeup) == quantity - left


def test_per_unit_reports_rework_and_inspections(platform: Platform, tenant: TenantPeople) -> None:
    work_order = released(platform, tenant, quantity=3)
    platform.execution.start_operation(
        TWIN, work_order.number, 10, OperationStart(machine="sheet_metal_press-1")
    )
    serials = [
        u.serial
        for u in platform.execution.list_units(tenant.admin, order=work_order.order_id).data
    ]
    reports = [
        UnitReport(
            serial=serials[0],
            measurements={"flatness_mm": 0.12},
            inspections=[InspectionReport(characteristic="flatness_mm", value=0.12, high=0.2)],
        ),
        UnitReport(
            serial=serials[1],
            outcome="rework",
            reason="burr removed",
            inspections=[InspectionReport(characteristic="flatness_mm", value=0.3, high=0.2)],
        ),
        UnitReport(serial=serials[2], outcome="scrap", reason="crack"),
    ]
    finish = OperationFinish(quantity_good=2, quantity_scrap=1, units=reports)
    platform.execution.finish_operation(TWIN, work_order.number, 10, finish)
    first = platform.execution.genealogy(tenant.admin, serials[0])
    assert first.unit.first_pass and first.steps[0].measurements == {"flatness_mm": 0.12}
    assert first.steps[0].inspections[0].passed
    second = platform.execution.genealogy(tenant.admin, serials[1])
    assert second.unit.reworked and not second.unit.first_pass
    assert second.steps[0].outcomes == ["rework"] and second.steps[0].reasons == ["burr removed"]
    assert not second.steps[0].inspections[0].passed
    third = platform.execution.get_unit(tenant.admin, serials[2])
    assert (third.status, third.scrapped_at_sequence, third.scrap_reason) == (
        "Scrapped",
        10,
        "crack",
    )
    later = platform.execution.rework_unit(
        PLANT, serials[0], UnitRework(sequence=10, reason="re-flattened")
    )
    assert later.reworked and not later.first_pass
    scrapped = platform.execution.scrap_unit(PLANT, serials[1], UnitScrap(reason="dropped"))
    assert scrapped.status == "Scrapped"
    detail = platform.execution.get_work_order(tenant.admin, work_order.id)
    assert (detail.quantity_scrap, detail.in_process) == (2, 1)


def test_a_redelivered_message_is_applied_once(platform: Platform, tenant: TenantPeople) -> None:
    work_order = released(platform, tenant, quantity=2)
    start = OperationStart(
        message_id=message(),
        machine="sheet_metal_press-2",
        materials=[
            LotConsumption(material="steel_coil_dc01", lot=in_stores(platform, "L-7"), quantity=3)
        ],
    )
    first = platform.execution.start_operation(TWIN, work_order.number, 10, start)
    again = platform.execution.start_operation(TWIN, work_order.number, 10, start)
    assert first == again
    finish = OperationFinish(message_id=message(), quantity_good=1, quantity_scrap=1)
    done = platform.execution.finish_operation(TWIN, work_order.number, 10, finish)
    assert platform.execution.finish_operation(TWIN, work_order.number, 10, finish) == done
    op_id = _operation_id(platform, tenant, work_order.id, 10)
    assert event_types(platform, tenant, op_id) == ["operation.started", "operation.finished"]
    detail = platform.execution.get_work_order(tenant.admin, work_order.id)
    assert (detail.quantity_scrap, detail.in_process) == (1, 1)
    serial = platform.execution.list_units(tenant.admin, order=work_order.order_id).data[0].serial
    assert len(platform.execution.genealogy(tenant.admin, serial).steps[0].materials) == 1
    with pytest.raises(Conflict, match="already used"):  # one id, another message: refused
        platform.execution.start_operation(
            TWIN,
            work_order.number,
            20,
            OperationStart(message_id=start.message_id, machine="paint_line-1"),
        )


def test_bad_reports_name_every_problem_and_write_nothing(
    platform: Platform, tenant: TenantPeople
) -> None:
    work_order = released(platform, tenant, quantity=2)
    bad_start = OperationStart(
        machine="paint_line-1",  # not a press
        started_at=utcnow().replace(tzinfo=None),  # no time zone
        materials=[LotConsumption(material="unobtainium", lot="L", quantity=1)],
    )
    with pytest.raises(InvalidInput) as caught:
        platform.execution.start_operation(TWIN, work_order.number, 10, bad_start)
    assert {p.loc for p in caught.value.problems} == {
        "machine",
        "started_at",
        "materials.0.material",
    }
    with pytest.raises(Conflict):  # the second step waits for the first
        platform.execution.start_operation(
            TWIN, work_order.number, 20, OperationStart(machine="paint_line-1")
        )
    platform.execution.start_operation(
        TWIN, work_order.number, 10, OperationStart(machine="sheet_metal_press-1")
    )
    bad_finish = OperationFinish(
        machine="sheet_metal_press-2",
        quantity_good=2,
        quantity_scrap=1,
        units=[
            UnitReport(serial="NO-SUCH-000001"),
            UnitReport(serial="x", inspections=[InspectionReport(characteristic="gap")]),
        ],
    )
    with pytest.raises(InvalidInput) as caught:
        platform.execution.finish_operation(TWIN, work_order.number, 10, bad_finish)
    locs = {p.loc for p in caught.value.problems}
    assert {
        "machine",
        "quantity_good",
        "units.0.serial",
        "units.1.serial",
        "units.1.inspections.0",
    } <= locs
    detail = platform.execution.get_work_order(tenant.admin, work_order.id)
    assert detail.operations[0].status == "Running" and detail.quantity_scrap == 0
    with pytest.raises(NotFound):
        platform.execution.start_operation(
            TWIN, work_order.number, 999, OperationStart(machine="x")
        )


def test_tenants_and_customers_see_only_their_own(
    platform: Platform, tenant: TenantPeople, other_tenant: TenantPeople
) -> None:
    mine = run_all(platform, released(platform, tenant, who="alice"))
    bobs = run_all(platform, released(platform, tenant, who="bob"))
    alice_orders = {u.order_id for u in platform.execution.list_units(tenant.alice, limit=500).data}
    assert mine.order_id in alice_orders and bobs.order_id not in alice_orders
    bob_serial = platform.execution.list_units(tenant.bob).data[0].serial
    with pytest.raises(NotFound):
        platform.execution.genealogy(tenant.alice, bob_serial)
    with pytest.raises(NotFound):
        platform.execution.genealogy(other_tenant.admin, bob_serial)
    with pytest.raises(NotFound):
        platform.execution.get_work_order(other_tenant.admin, mine.number)
    with pytest.raises(Forbidden):  # a brand never acts on the shop floor, not even its own
        platform.execution.finish_operation(
            other_tenant.admin, bobs.number, 10, OperationFinish(quantity_good=1)
        )
    alice_sees = platform.execution.list_work_orders(tenant.alice, limit=500).data
    assert mine.number in {w.number for w in alice_sees}
    assert bobs.number not in {w.number for w in alice_sees}
    assert platform.execution.list_work_orders(other_tenant.admin).count == 0
    shared_id = message()  # message ids are per tenant: one never blocks another's
    for people in (tenant, other_tenant):
        work_order = released(platform, people)
        start = OperationStart(message_id=shared_id, machine="sheet_metal_press-1")
        assert platform.execution.start_operation(PLANT, work_order.number, 10, start)
        detail = platform.execution.get_work_order(people.admin, work_order.id)
        assert detail.operations[0].status == "Running"


def test_oee_from_machine_states(platform: Platform, tenant: TenantPeople) -> None:
    """A press reported 60 min running and 20 min down, made 3 units (1 scrap) of 4 min
    ideal cycle: availability 60/80, performance 12/60, quality 2/3."""
    machine = "sheet_metal_press-2"
    origin = utcnow().replace(microsecond=0) - timedelta(days=30)
    for minutes, state in [
        (0, MachineState.RUNNING),
        (60, MachineState.DOWN),
        (80, MachineState.MAINTENANCE),
    ]:
        report = MachineStateReport(
            message_id=message(), state=state, at=origin + timedelta(minutes=minutes)
        )
        platform.execution.report_machine_state(TWIN, machine, report)
        platform.execution.report_machine_state(TWIN, machine, report)  # redelivered
    work_order = released(platform, tenant, quantity=3)
    platform.execution.start_operation(
        TWIN,
        work_order.number,
        10,
        OperationStart(machine=machine, started_at=origin + timedelta(minutes=1)),
    )
    platform.execution.finish_operation(
        TWIN,
        work_order.number,
        10,
        OperationFinish(
            quantity_good=2, quantity_scrap=1, finished_at=origin + timedelta(minutes=50)
        ),
    )
    ideal = 3 * 60 * _run_minutes(platform, tenant, work_order.id)
    report = platform.execution.oee(
        tenant.admin, start=origin, end=origin + timedelta(hours=2), machines=[machine]
    )
    press = report.machines[0]
    assert press.source == "machine-states"
    assert press.availability == pytest.approx(60 / 80)
    assert press.performance == pytest.approx(min(1.0, ideal / 3600))
    assert press.quality == pytest.approx(2 / 3)
    assert press.oee == pytest.approx(press.availability * press.performance * press.quality)
    with pytest.raises(Forbidden):
        platform.execution.oee(tenant.alice, start=origin, end=origin + timedelta(hours=1))
    with pytest.raises(InvalidInput):
        platform.execution.oee(tenant.admin, start=origin, end=origin, machines=["nope"])


def test_cancelled_orders_lose_their_released_work_order(
    platform: Platform, tenant: TenantPeople
) -> None:
    work_order = released(platform, tenant)
    platform.orders.cancel(tenant.alice, work_order.order_id)
    summary = platform.execution.release(PLANT)
    assert work_order.number in summary.cancelled
    with pytest.raises(Conflict):
        platform.execution.start_operation(
            TWIN, work_order.number, 10, OperationStart(machine="sheet_metal_press-1")
        )


def _operation_id(platform: Platform, tenant: TenantPeople, work_order_id: str, seq: int) -> str:
    from openfab.execution.orm import OperationRow

    with platform.db.unit(Scope.tenant(tenant.tenant_id), actor="t", readonly=True) as uow:
        return str(
            uow.session.scalar(
                select(OperationRow.id).where(
                    OperationRow.work_order_id == work_order_id, OperationRow.sequence == seq
                )
            )
        )


def _run_minutes(platform: Platform, tenant: TenantPeople, work_order_id: str) -> float:
    from openfab.execution.orm import OperationRow

    with platform.db.unit(Scope.tenant(tenant.tenant_id), actor="t", readonly=True) as uow:
        return float(
            uow.session.scalar(
                select(OperationRow.run_minutes).where(
                    OperationRow.work_order_id == work_order_id, OperationRow.sequence == 10
                )
            )
            or 0
        )


def test_a_floor_batch_commits_good_messages_and_lists_refused_ones(
    platform: Platform, tenant: TenantPeople
) -> None:
    first, second = released(platform, tenant), released(platform, tenant)
    seen = Following(platform, Recorder(patterns=("operation.*",)))
    with platform.execution.floor(TWIN, tenant_id=tenant.tenant_id) as floor:
        assert floor.start_operation(
            first.number, 10, OperationStart(machine="sheet_metal_press-1")
        )
        bad = floor.start_operation(second.number, 10, OperationStart(machine="paint_line-1"))
        assert bad is None
        assert floor.finish_operation(first.number, 10, OperationFinish(quantity_good=1))
    assert [what for what, _ in floor.refused] == [f"start {second.number}/10"]
    assert isinstance(floor.refused[0][1], InvalidInput)
    assert (
        platform.execution.get_work_order(tenant.admin, first.id).operations[0].status
        == "Completed"
    )
    untouched = platform.execution.get_work_order(tenant.admin, second.id)
    assert untouched.status == "Released" and untouched.operations[0].status == "Ready"
    seen.poll()
    types = [m.type for m in seen.consumer.seen]
    assert types == ["operation.started", "operation.finished"]  # nothing of the refused one
    changes = [
        ("laser_cutting-1", MachineStateReport(message_id=message(), state=MachineState.SETUP)),
        ("laser_cutting-1", MachineStateReport(message_id=message(), state=MachineState.RUNNING)),
    ]
    assert platform.execution.report_machine_states(TWIN, changes) == 2
    assert platform.execution.report_machine_states(TWIN, changes) == 0  # redelivered
    with pytest.raises(InvalidInput):
        platform.execution.report_machine_states(TWIN, [("nope", changes[0][1])])


def test_a_refusal_mid_batch_undoes_only_its_own_message(
    platform: Platform, tenant: TenantPeople
) -> None:
    """The batch applies messages optimistically; a refusal replays the ones before it, so
    a refused message leaves nothing behind — not even its message id in the inbox."""
    work_order = released(platform, tenant)
    start, finish = message(), message()
    with platform.execution.floor(TWIN, tenant_id=tenant.tenant_id) as floor:
        early = floor.finish_operation(
            work_order.number, 10, OperationFinish(message_id=finish, quantity_good=1)
        )
        assert early is None  # not running yet: refused
        body = OperationStart(message_id=start, machine="sheet_metal_press-1")
        assert floor.start_operation(work_order.number, 10, body)
        assert floor.start_operation(work_order.number, 10, body)  # redelivered: once
        done = floor.finish_operation(
            work_order.number, 10, OperationFinish(message_id=finish, quantity_good=1)
        )
        assert done is not None and done.status == "Completed"  # its id was not kept
        refused = floor.finish_operation(
            work_order.number, 20, OperationFinish(message_id=message(), quantity_good=1)
        )
        assert refused is None  # the next step has not started
    assert [type(e).__name__ for _, e in floor.refused] == ["Conflict", "Conflict"]
    with platform.db.unit(Scope.tenant(tenant.tenant_id), actor="t", readonly=True) as uow:
        events = uow.session.scalars(
            select(EventRecord).where(EventRecord.type.like("operation.%"))
        ).all()
    mine = [
        (e.type, e.payload["sequence"])
        for e in events
        if e.payload["work_order"] == work_order.number
    ]
    assert mine == [("operation.started", 10), ("operation.finished", 10)]
    assert platform.audit.verify(PLANT).ok


def test_a_redelivery_after_a_refusal_in_a_batch_is_still_a_no_op(
    platform: Platform, tenant: TenantPeople
) -> None:
    """Genealogy rows and inbox keys of a batch go in as bulk inserts before the commit; a
    refusal rolls back and replays what came before it, and the keys of replayed messages
    (not written yet) still recognise a redelivery after that."""
    from openfab.execution.orm import SerialUnitRow, UnitOperationRow

    work_order = released(platform, tenant)
    start, finish = message(), message()
    body = OperationStart(message_id=start, machine="sheet_metal_press-1")
    with platform.execution.floor(TWIN, tenant_id=tenant.tenant_id) as floor:
        assert floor.start_operation(work_order.number, 10, body)
        refused = floor.finish_operation(
            work_order.number, 20, OperationFinish(message_id=message(), quantity_good=1)
        )
        assert refused is None  # not started: the batch is replayed message by message
        before = floor.applied_messages
        assert floor.start_operation(work_order.number, 10, body)  # redelivered
        assert floor.applied_messages == before
        ended = OperationFinish(message_id=finish, quantity_good=work_order.quantity)
        assert floor.finish_operation(work_order.number, 10, ended)
        assert floor.finish_operation(work_order.number, 10, ended)  # redelivered
    with platform.db.unit(Scope.tenant(tenant.tenant_id), actor="t", readonly=True) as uow:
        units = uow.session.scalars(
            select(SerialUnitRow.id).where(SerialUnitRow.work_order_id == work_order.id)
        ).all()
        steps = uow.session.scalars(
            select(UnitOperationRow).where(UnitOperationRow.unit_id.in_(units))
        ).all()
        events = uow.session.scalars(
            select(EventRecord).where(EventRecord.type.like("operation.%"))
        ).all()
    assert len(units) == work_order.quantity
    assert sorted(s.unit_id for s in steps) == sorted(units)  # one row per unit, once
    assert {s.tenant_id for s in steps} == {tenant.tenant_id}
    mine = [e.type for e in events if e.payload["work_order"] == work_order.number]
    assert mine == ["operation.started", "operation.finished"]
    assert platform.audit.verify(PLANT).ok


def test_the_plant_names_the_brand_where_two_brands_number_their_units_alike(
    platform: Platform,
) -> None:
    twins = [make_tenant(platform, tenant_id=f"dup-a-{uuid.uuid4().hex[:8]}") for _ in range(2)]
    serials = []
    for brand in twins:
        work_order = released(platform, brand)
        platform.execution.start_operation(
            TWIN, work_order.number, 10, OperationStart(machine="sheet_metal_press-1")
        )
        finish = OperationFinish(quantity_good=1)
        platform.execution.finish_operation(TWIN, work_order.number, 10, finish)
        [unit] = platform.execution.list_units(brand.admin, order=work_order.order_id).data
        serials.append(unit.serial)
    assert serials[0] == serials[1]  # "DA-FR-…" for both brands
    with pytest.raises(NotFound, match="ambiguous"):
        platform.execution.scrap_unit(PLANT, serials[0], UnitScrap(reason="dropped"))
    second = twins[1]
    scrapped = platform.execution.scrap_unit(
        PLANT, serials[1], UnitScrap(reason="dropped"), tenant=second.tenant_id
    )
    assert scrapped.status == "Scrapped"
    mine = platform.execution.get_unit(twins[0].admin, serials[0])
    assert mine.status != "Scrapped"  # the other brand's unit of that serial is untouched
    with pytest.raises(Forbidden):  # a brand acts for no other brand
        platform.execution.scrap_unit(
            twins[0].admin, serials[0], UnitScrap(reason="x"), tenant=second.tenant_id
        )
