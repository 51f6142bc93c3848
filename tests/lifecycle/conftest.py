"""Fixtures of the lifecycle tests: battery packs built on the floor from lots the plant
bought through MRP and purchase orders, then shipped (a small demo run)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from openfab.execution.schemas import (
    InspectionReport,
    LotConsumption,
    OperationFinish,
    OperationStart,
    OrderShipment,
    UnitReport,
)
from openfab.identity.actor import Actor
from openfab.orders.schemas import OrderCreate, OrderTransition
from openfab.planning.mrp.schemas import GoodsReceipt, PurchaseStatus
from openfab.platform import Platform
from openfab.store.types import utcnow
from tests.conftest import PLANT, TenantPeople, make_tenant
from tests.execution.conftest import machine_for

TWIN = Actor.system("twin")
STEP_OF = {  # which routing step consumes each material of the pack
    "cell_": "sort",
    "cell_holder": "stack",
    "nickel_strip": "weld",
    "carton_box": "pack",
}


@pytest.fixture(scope="module")
def brand(platform: Platform) -> TenantPeople:
    return make_tenant(platform)


@dataclass
class BatteryRun:
    order_id: str
    serials: list[str]
    choices: dict[str, Any]
    lots: dict[str, str]


def _step(material: str) -> str:
    if material == "cell_holder":
        return "stack"
    if material.startswith("cell_"):
        return "sort"
    return STEP_OF.get(material, "assemble")


def buy(platform: Platform, materials: dict[str, Decimal]) -> dict[str, str]:
    """Lots of ``materials`` bought through the plant's purchasing: MRP plans, the planner
    releases, stores receive each order as a lot. Materials MRP netted from stock use a lot
    already on the shelves that came from a purchase order or from recovery."""
    platform.materials.install_sample_suppliers(PLANT)
    platform.materials.run(PLANT)
    lots: dict[str, str] = {}
    for po in platform.materials.purchase_orders(PLANT, status=PurchaseStatus.PLANNED).data:
        if po.material not in materials or po.material in lots:
            continue
        platform.materials.release(PLANT, po.id)
        lot = f"{po.material[:20]}-{uuid.uuid4().hex[:8]}"
        platform.materials.receive(PLANT, po.id, GoodsReceipt(quantity=po.quantity, lot=lot))
        lots[po.material] = lot
    for material, need in materials.items():
        if material in lots:
            continue
        stock = platform.materials.stock(PLANT, material)[0]
        recovered = platform.lifecycle.recovered_lots()
        known = [  # recovered lots first, as the floor issues them before bought ones
            x
            for x in stock.lots
            if (material, x.lot) in recovered or (x.purchase_order_id and x.quantity >= need)
        ]
        known.sort(key=lambda x: (material, x.lot) not in recovered)
        assert known, f"no purchased or recovered lot of {material}"
        lots[material] = known[0].lot
    return lots


def battery_run(
    platform: Platform,
    brand: TenantPeople,
    *,
    quantity: int = 2,
    ship: bool = True,
    kwh_per_step: float | None = None,
) -> BatteryRun:
    """An e-bike battery order built on the floor, each step consuming its BOM lots; the
    end-of-line test measures each pack's internal resistance; then it ships. With
    ``kwh_per_step``, each machine reports the energy its operation drew for each unit."""
    configured = platform.catalog.complete(brand.alice, "ebike-battery", {}).to_dict()
    choices = configured["choices"]
    per_unit = {line["material"]: Decimal(line["quantity"]) for line in configured["bom"]}
    order = platform.orders.place(
        brand.alice, OrderCreate(product="ebike-battery", choices=choices, quantity=quantity)
    )
    platform.orders.transition(PLANT, order.id, OrderTransition(status="Planned"))
    work_order = platform.execution.release_order(PLANT, order.id)
    lots = buy(platform, {m: q * quantity for m, q in per_unit.items()})
    moment = utcnow() - timedelta(hours=6)
    for op in work_order.operations:
        consumed = [
            LotConsumption(material=m, lot=lots[m], quantity=float(q), unit=_unit(configured, m))
            for m, q in per_unit.items()
            if _step(m) == op.code
        ]
        started = platform.execution.start_operation(
            TWIN,
            work_order.number,
            op.sequence,
            OperationStart(
                message_id=uuid.uuid4().hex,
                machine=machine_for(platform, op.work_centers),
                started_at=moment,
                materials=consumed,
                parameters={} if kwh_per_step is None else {"energy_kwh": kwh_per_step * quantity},
            ),
        )
        moment += timedelta(minutes=20)
        units = []
        if op.code == "test":
            serials = _serials(platform, order.id)
            units = [
                UnitReport(
                    serial=s,
                    inspections=[
                        InspectionReport(
                            characteristic="internal_resistance_mohm", value=160.0, high=250.0
                        )
                    ],
                )
                for s in serials
            ]
        platform.execution.finish_operation(
            TWIN,
            work_order.number,
            op.sequence,
            OperationFinish(
                message_id=uuid.uuid4().hex,
                finished_at=moment,
                quantity_good=started.quantity_in,
                units=units,
            ),
        )
    if ship:
        platform.execution.ship(PLANT, order.id, OrderShipment())
    return BatteryRun(order.id, _serials(platform, order.id), choices, lots)


def _unit(configured: dict[str, Any], material: str) -> str:
    return next(str(line["unit"]) for line in configured["bom"] if line["material"] == material)


def _serials(platform: Platform, order_id: str) -> list[str]:
    units = platform.execution.list_units(PLANT, order=order_id, limit=500)
    data = units.data if hasattr(units, "data") else units
    return sorted(u.serial for u in data)
