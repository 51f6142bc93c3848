"""Fixtures of the execution tests: an order released as a work order, and a shop-floor
actor that runs its operations the way the twin does."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from openfab.execution.schemas import (
    LotConsumption,
    OperationFinish,
    OperationStart,
    UnitReport,
    WorkOrderDetail,
)
from openfab.identity.actor import Actor
from openfab.orders.schemas import OrderCreate, OrderTransition
from openfab.planning.mrp.schemas import MoveCreate, MoveKind
from openfab.platform import Platform
from openfab.store.types import utcnow
from tests.conftest import PLANT, TenantPeople, make_tenant
from tests.orders.test_service import cheapest

TWIN = Actor.system("twin")  # a platform process: acts for whichever tenant owns the work


@pytest.fixture(scope="module")
def tenant(platform: Platform) -> TenantPeople:
    """One brand per test module (creating one takes seconds); tests isolate by order."""
    return make_tenant(platform)


def message() -> str:
    return uuid.uuid4().hex


def released(
    platform: Platform, tenant: TenantPeople, *, quantity: int = 1, who: str = "alice"
) -> WorkOrderDetail:
    """A customer's fridge order, planned by hand and released as a work order."""
    body = OrderCreate(product="fridge", choices=cheapest(platform, tenant), quantity=quantity)
    order = platform.orders.place(getattr(tenant, who), body)
    platform.orders.transition(PLANT, order.id, OrderTransition(status="Planned"))
    return platform.execution.release_order(PLANT, order.id)


def scheduled(platform: Platform, tenant: TenantPeople) -> WorkOrderDetail:
    """A customer's fridge order, planned by the scheduler and released with planned times."""
    body = OrderCreate(product="fridge", choices=cheapest(platform, tenant))
    order = platform.orders.place(tenant.alice, body)
    platform.planning.plan(PLANT, time_limit=2)
    platform.execution.release(PLANT)
    return platform.execution.get_work_order(tenant.planner, order.id)


def machine_for(platform: Platform, work_centers: Sequence[str]) -> str:
    machines = platform.execution.machines()
    return next(m for m, center in sorted(machines.items()) if center in work_centers)


@dataclass
class Run:
    """How one operation went: scrap count, rework, tests, the lot it used."""

    scrap: int = 0
    units: tuple[UnitReport, ...] = ()
    lot: str = "LOT-STEEL-1"


def in_stores(platform: Platform, lot: str, material: str = "steel_coil_dc01") -> str:
    """A lot received into the plant's stores (the floor consumes only real lots)."""
    unit = platform.catalog.reference().materials[material].unit
    receipt = MoveCreate(
        kind=MoveKind.RECEIVE, material=material, lot=lot, quantity=1000, unit=unit
    )
    platform.materials.move(PLANT, receipt)
    return lot


def run_all(
    platform: Platform,
    work_order: WorkOrderDetail,
    *,
    actor: Actor = TWIN,
    runs: dict[int, Run] | None = None,
    start: datetime | None = None,
    until: int | None = None,
) -> WorkOrderDetail:
    """Start and finish the ready operations in turn (up to step ``until``), as the twin
    would, each consuming a lot."""
    moment = start or utcnow() - timedelta(hours=4)
    current = platform.execution.get_work_order(actor, work_order.id)
    for op in current.operations:
        if op.status == "Completed":
            continue
        if op.status not in ("Ready", "Pending") or (until is not None and op.sequence > until):
            break
        how = (runs or {}).get(op.sequence, Run())
        in_stores(platform, how.lot)
        started = platform.execution.start_operation(
            actor,
            work_order.number,
            op.sequence,
            OperationStart(
                message_id=message(),
                machine=machine_for(platform, op.work_centers),
                started_at=moment,
                parameters={"speed": 1.0},
                materials=[LotConsumption(material="steel_coil_dc01", lot=how.lot, quantity=2)],
            ),
        )
        moment += timedelta(minutes=5)
        finished = platform.execution.finish_operation(
            actor,
            work_order.number,
            op.sequence,
            OperationFinish(
                message_id=message(),
                finished_at=moment,
                quantity_good=started.quantity_in - how.scrap,
                quantity_scrap=how.scrap,
                scrap_reason="dent" if how.scrap else "",
                units=list(how.units),
            ),
        )
        if finished.quantity_good == 0:
            break
    return platform.execution.get_work_order(actor, work_order.id)
