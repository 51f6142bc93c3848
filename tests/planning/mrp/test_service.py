"""The material service on a real store (SQLite and PostgreSQL): plan runs, purchase
orders from planned to received, inventory moves as events, tenants kept apart."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from openfab.autopilot.replanning import ReplanningAutopilot
from openfab.errors import Conflict, Forbidden, InvalidInput, NotFound
from openfab.identity.actor import Actor
from openfab.planning.mrp.schemas import GoodsReceipt, MoveCreate, MoveKind, PurchaseStatus
from openfab.platform import Platform
from openfab.store import EventRecord
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow
from tests.conftest import PLANT, Following, TenantPeople
from tests.planning.mrp.conftest import lot_name, place_fridge

SYSTEM = Actor.system("test")


def test_a_run_buys_for_an_order_and_files_its_shortages_under_its_tenant(
    stocked: Platform, tenant: TenantPeople, other_tenant: TenantPeople
) -> None:
    order_id = place_fridge(stocked, tenant, quantity=3)
    number = stocked.orders.get(tenant.planner, order_id).number
    run = stocked.materials.run(PLANT, trigger="test")
    assert run.work_orders >= 1 and run.planned_orders >= 1

    plan = stocked.materials.material_plan(PLANT)
    assert plan.run is not None and plan.run.id == run.id
    covering = [po for po in plan.planned if number in po.work_orders]
    assert covering, "some planned purchase covers the new order"
    assert all(po.status == "Planned" and po.value > 0 for po in covering)
    # the order is needed now (not scheduled yet): every bought part with a lead time is late
    mine = stocked.materials.shortages(tenant.planner)
    assert any(s.order_id == order_id for s in mine)
    assert all(s.available_date is not None for s in mine)

    theirs = stocked.materials.shortages(other_tenant.planner)
    assert all(s.order_id != order_id for s in theirs)
    with pytest.raises(Forbidden):  # the plant's purchasing is not a brand's to read
        stocked.materials.material_plan(other_tenant.planner)

    released = stocked.materials.material_release_dates([order_id])
    assert released[order_id] > utcnow()


def test_a_new_run_replaces_the_planned_purchases(stocked: Platform, tenant: TenantPeople) -> None:
    place_fridge(stocked, tenant)
    stocked.materials.run(PLANT)
    first = {
        po.id
        for po in stocked.materials.purchase_orders(SYSTEM, status=PurchaseStatus.PLANNED).data
    }
    stocked.materials.run(PLANT)
    second = {
        po.id
        for po in stocked.materials.purchase_orders(SYSTEM, status=PurchaseStatus.PLANNED).data
    }
    assert first and second and not first & second


def test_purchase_order_from_release_to_goods_receipt(
    stocked: Platform, tenant: TenantPeople
) -> None:
    place_fridge(stocked, tenant)
    stocked.materials.run(PLANT)
    po = stocked.materials.purchase_orders(SYSTEM, status=PurchaseStatus.PLANNED).data[0]
    released = stocked.materials.release(PLANT, po.id, "test release")
    assert released.status == "Released"
    before = stocked.materials.stock(PLANT, po.material)[0].on_hand
    lot = lot_name()
    half = (po.quantity / 2).quantize(Decimal("0.001"))
    partial = stocked.materials.receive(PLANT, po.id, GoodsReceipt(quantity=half, lot=lot))
    assert (partial.status, partial.received_quantity) == ("Released", half)
    done = stocked.materials.receive(
        PLANT, po.number, GoodsReceipt(quantity=po.quantity - half, lot=lot)
    )
    assert done.status == "Received"
    stock = stocked.materials.stock(PLANT, po.material)[0]
    assert stock.on_hand == before + po.quantity
    assert any(x.lot == lot and x.purchase_order_id == po.id for x in stock.lots)
    with pytest.raises(Conflict):
        stocked.materials.receive(PLANT, po.id, GoodsReceipt(quantity=1, lot=lot))
    with pytest.raises(Conflict):
        stocked.materials.cancel(PLANT, po.id)
    types = _event_types(stocked, po.id)
    assert types[:2] == ["purchase_order.released", "purchase_order.received"]


def test_every_inventory_move_is_an_event_and_stock_never_goes_negative(
    stocked: Platform, tenant: TenantPeople
) -> None:
    order_id = place_fridge(stocked, tenant)
    lot = lot_name()
    moves = stocked.materials

    def move(kind: MoveKind, quantity: str, unit: str = "kg", **extra: str) -> None:
        body = MoveCreate(
            kind=kind,
            material="powder_coat",
            lot=lot,
            quantity=Decimal(quantity),
            unit=unit,
            **extra,
        )
        moves.move(PLANT, body)

    move(MoveKind.RECEIVE, "10")
    move(MoveKind.ISSUE, "4", order_id=order_id)
    move(MoveKind.RETURN, "500", unit="g", order_id=order_id)  # 0.5 kg back
    move(MoveKind.SCRAP, "1.5")
    with pytest.raises(Conflict) as over:
        move(MoveKind.ISSUE, "6", order_id=order_id)  # only 5 kg left
    assert lot in over.value.detail and "powder_coat" in over.value.detail
    with pytest.raises(InvalidInput) as negative:
        move(MoveKind.COUNT, "-2")
    assert negative.value.problems[0].code == "negative_stock"
    with pytest.raises(InvalidInput) as mismatch:
        move(MoveKind.RECEIVE, "3", unit="pcs")
    assert "powder_coat" in mismatch.value.problems[0].msg
    move(MoveKind.COUNT, "4.75")
    lots = {x.lot: x.quantity for x in moves.stock(PLANT, "powder_coat")[0].lots}
    assert lots[lot] == Decimal("4.75")
    history = [m for m in moves.moves(PLANT, material="powder_coat") if m.lot == lot]
    assert [m.kind for m in reversed(history)] == ["Receive", "Issue", "Return", "Scrap", "Count"]
    assert [m.quantity for m in reversed(history)] == [
        10,
        -4,
        Decimal("0.5"),
        Decimal("-1.5"),
        Decimal("-0.25"),
    ]
    with stocked.db.unit(Scope.plant(), actor="t", readonly=True) as uow:
        kinds = uow.session.scalars(
            select(EventRecord.type)
            .where(EventRecord.type.like("inventory.%"))
            .order_by(EventRecord.seq)
        ).all()
    assert {
        "inventory.received",
        "inventory.issued",
        "inventory.returned",
        "inventory.scrapped",
        "inventory.counted",
    } <= set(kinds)


def test_issuing_to_an_order_lowers_its_requirement(
    stocked: Platform, tenant: TenantPeople
) -> None:
    order_id = place_fridge(stocked, tenant)
    stocked.materials.run(PLANT)
    short = [s for s in stocked.materials.shortages(tenant.planner) if s.order_id == order_id]
    target = next(s for s in short if s.unit == "pcs")
    lot = lot_name()
    for kind in (MoveKind.RECEIVE, MoveKind.ISSUE):
        stocked.materials.move(
            PLANT,
            MoveCreate(
                kind=kind,
                material=target.material,
                lot=lot,
                quantity=Decimal(500),
                unit="pcs",
                order_id=order_id if kind == MoveKind.ISSUE else None,
            ),
        )
    stocked.materials.run(PLANT)
    after = [s for s in stocked.materials.shortages(tenant.planner) if s.order_id == order_id]
    assert target.material not in {s.material for s in after}


def test_late_purchase_order_raises_material_late_and_triggers_replanning(
    stocked: Platform, tenant: TenantPeople
) -> None:
    place_fridge(stocked, tenant)
    stocked.materials.run(PLANT)
    po = stocked.materials.purchase_orders(SYSTEM, status=PurchaseStatus.PLANNED).data[0]
    stocked.materials.release(PLANT, po.id)
    pilot = Following(stocked, ReplanningAutopilot(stocked.planning))
    later = po.due_date + timedelta(days=3)
    late = stocked.materials.flag_late(PLANT, today=later)
    assert po.id in {x.id for x in late}
    pilot.poll()  # the autopilot re-plans (planned, or failed with the reasons)
    with stocked.db.unit(Scope.plant(), actor="t", readonly=True) as uow:
        decisions = uow.session.scalars(
            select(EventRecord.payload).where(
                EventRecord.type.in_(["schedule.planned", "schedule.failed"])
            )
        ).all()
    assert any("material.late" in str(d.get("trigger", "")) for d in decisions)
    again = stocked.materials.flag_late(PLANT, today=later)
    assert po.id not in {x.id for x in again}  # raised once
    assert "material.late" in _event_types(stocked, po.id)


def test_roles_and_missing_things(stocked: Platform, tenant: TenantPeople) -> None:
    with pytest.raises(Forbidden):
        stocked.materials.run(tenant.alice)
    with pytest.raises(Forbidden):
        stocked.materials.stock(tenant.alice)
    with pytest.raises(NotFound):
        stocked.materials.release(PLANT, "PO-999999999")
    with pytest.raises(NotFound):
        stocked.materials.stock(PLANT, "unobtainium")


def _event_types(platform: Platform, entity_id: str) -> list[str]:
    with platform.db.unit(Scope.plant(), actor="t", readonly=True) as uow:
        return list(
            uow.session.scalars(
                select(EventRecord.type)
                .where(EventRecord.entity_id == entity_id)
                .order_by(EventRecord.seq)
            )
        )
