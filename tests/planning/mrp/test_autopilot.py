"""The purchasing autopilot: it notices demand on the bus, plans, and releases only what the
planner's limits allow, each release with its reason."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from openfab.autopilot.purchasing import PurchasingAutopilot, PurchasingLimits
from openfab.planning.mrp.schemas import PurchaseStatus
from openfab.platform import Platform
from openfab.store import EventRecord
from openfab.store.tenancy import Scope
from tests.conftest import PLANT, Following, TenantPeople
from tests.planning.mrp.conftest import place_fridge


def test_new_orders_wake_the_autopilot_which_releases_within_limits(
    stocked: Platform, tenant: TenantPeople
) -> None:
    limits = PurchasingLimits(Decimal("40"), frozenset({"PolyForm", "HardwareHub"}), 30)
    pilot = Following(stocked, PurchasingAutopilot(stocked.materials, limits))
    assert pilot.poll() == []  # nothing happened yet
    place_fridge(stocked, tenant)
    [result] = pilot.poll()
    assert result.released or result.held
    for po in result.released:
        assert po.value <= 40 and po.supplier in {"PolyForm", "HardwareHub"}
    for po, why in result.held:
        assert po.value > 40 or po.supplier not in {"PolyForm", "HardwareHub"}
        assert why
    released = {
        po.id
        for po in stocked.materials.purchase_orders(PLANT, status=PurchaseStatus.RELEASED).data
    }
    assert {po.id for po in result.released} <= released
    with stocked.db.unit(Scope.plant(), actor="t", readonly=True) as uow:
        reasons = uow.session.scalars(
            select(EventRecord.payload).where(
                EventRecord.type == "purchase_order.released",
                EventRecord.entity_id.in_([po.id for po in result.released] or ["-"]),
            )
        ).all()
    assert all("within limits" in r["reason"] for r in reasons)
    assert len(reasons) == len(result.released)
