"""A planner's move is stored as a pin: later re-plans keep the step where it was put until
the pin is released or the order leaves the plan."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from openfab.errors import Forbidden, NotFound
from openfab.orders.schemas import OrderCreate
from openfab.planning import Machine, Mode, Operation, ProblemData, WorkOrder
from openfab.planning.orm import OperationPinRow
from openfab.planning.pins import Hold, held
from openfab.planning.schemas import GanttBar
from openfab.platform import Platform
from openfab.store import EventRecord
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow
from tests.conftest import PLANT, TenantPeople
from tests.orders.test_service import cheapest
from tests.planning.moves import free_sibling


def _two_step_shop() -> ProblemData:
    modes = (Mode("press-1", 30), Mode("press-2", 40))
    order = WorkOrder(
        "o1",
        (
            Operation("o1/1/1", modes),
            Operation("o1/1/2", modes),
            Operation("o1/2/1", (Mode("paint-1", 20),)),
        ),
    )
    other = WorkOrder("o2", (Operation("o2/1/1", modes),))
    machines = tuple(Machine(m) for m in ("press-1", "press-2", "paint-1"))
    return ProblemData(machines=machines, orders=(order, other))


def test_a_hold_keeps_every_sub_lot_of_its_step_on_its_machine_not_before_its_minute() -> None:
    problem = held(_two_step_shop(), [Hold("o1", 1, "press-2", 90)])
    o1, o2 = problem.orders
    for op in o1.operations[:2]:  # both sub-lots of step 1
        assert [m.machine for m in op.modes] == ["press-2"] and op.release == 90
    assert o1.operations[2] == _two_step_shop().orders[0].operations[2]  # step 2 untouched
    assert o2 == _two_step_shop().orders[1]  # another order's step 1 untouched


def test_a_hold_on_a_machine_that_cannot_run_the_step_leaves_its_machines() -> None:
    problem = held(_two_step_shop(), [Hold("o1", 1, "paint-1", 0), Hold("gone", 1, "press-1", 5)])
    assert problem.orders == _two_step_shop().orders
    assert held(_two_step_shop(), []) == _two_step_shop()


def _place(platform: Platform, tenant: TenantPeople) -> tuple[str, str]:
    body = OrderCreate(product="fridge", choices=cheapest(platform, tenant))
    order = platform.orders.place(tenant.alice, body)
    return order.id, order.number


def _planned(platform: Platform, tenant: TenantPeople) -> tuple[str, str, GanttBar]:
    """A new order, planned: its id, number and last step (not started yet)."""
    order_id, number = _place(platform, tenant)
    platform.planning.plan(PLANT, trigger="test", time_limit=2)
    return order_id, number, platform.planning.order_plan(PLANT, order_id).rows[0].bars[-1]


def test_a_move_is_pinned_and_later_replans_keep_it_until_it_is_released(
    platform: Platform, tenant: TenantPeople
) -> None:
    order_id, number, last = _planned(platform, tenant)
    start = max(last.start_at, utcnow() + timedelta(hours=5)).replace(second=0, microsecond=0)
    machine = free_sibling(platform, last, start)
    moved = platform.planning.move_operation(
        PLANT, number, last.sequence, machine, start, time_limit=2
    )
    assert (moved.pin.machine, moved.pin.sequence, moved.pin.not_before) == (
        machine,
        last.sequence,
        start,
    )
    assert moved.pin.id in {p.id for p in platform.planning.pins(PLANT)}

    _place(platform, tenant)  # new work arrives; the plant re-plans from scratch of its own
    platform.planning.plan(PLANT, trigger="test", time_limit=2)
    step = [
        b
        for b in platform.planning.order_plan(PLANT, order_id).rows[0].bars
        if b.sequence == last.sequence
    ]
    assert step and all(b.machine == machine for b in step)
    assert min(b.start_at for b in step) >= start

    with pytest.raises(Forbidden):
        platform.planning.pins(tenant.planner)  # a brand never sees the plant's pins
    with pytest.raises(Forbidden):
        platform.planning.release_pin(tenant.planner, moved.pin.id)
    platform.planning.release_pin(PLANT, moved.pin.id)
    assert moved.pin.id not in {p.id for p in platform.planning.pins(PLANT)}
    with platform.db.unit(Scope.plant(), actor="t", readonly=True) as uow:
        events = uow.session.scalars(
            select(EventRecord.type)
            .where(EventRecord.entity_id == moved.pin.id)
            .order_by(EventRecord.seq)
        ).all()
    assert events == ["operation.pinned", "operation.unpinned"]
    with pytest.raises(NotFound):
        platform.planning.release_pin(PLANT, moved.pin.id)


def test_a_second_move_of_a_step_replaces_its_pin_and_a_cancelled_orders_pin_goes(
    platform: Platform, tenant: TenantPeople
) -> None:
    order_id, number, last = _planned(platform, tenant)
    start = max(last.start_at, utcnow() + timedelta(hours=4))
    platform.planning.move_operation(
        PLANT, number, last.sequence, last.machine, start, time_limit=2
    )
    later = start + timedelta(hours=2)
    again = platform.planning.move_operation(
        PLANT, number, last.sequence, last.machine, later, time_limit=2
    )
    mine = [p for p in platform.planning.pins(PLANT) if p.order_number == number]
    assert [p.id for p in mine] == [again.pin.id]  # one pin a step, the newest

    platform.orders.cancel(tenant.alice, order_id)
    platform.planning.plan(PLANT, trigger="test", time_limit=2)
    with platform.db.unit(Scope.plant(), actor="t", readonly=True) as uow:
        left = uow.session.scalars(
            select(OperationPinRow.id).where(OperationPinRow.order_id == order_id)
        ).all()
    assert left == []
