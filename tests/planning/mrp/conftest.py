from __future__ import annotations

import uuid

import pytest

from openfab.identity.actor import Actor
from openfab.orders.schemas import OrderCreate
from openfab.platform import Platform
from tests.conftest import TenantPeople
from tests.orders.test_service import cheapest


@pytest.fixture
def stocked(platform: Platform) -> Platform:
    """The platform with the sample suppliers installed (idempotent)."""
    platform.materials.install_sample_suppliers(Actor.system("test"))
    return platform


def place_fridge(platform: Platform, tenant: TenantPeople, quantity: int = 1) -> str:
    body = OrderCreate(product="fridge", choices=cheapest(platform, tenant), quantity=quantity)
    return platform.orders.place(tenant.alice, body).id


def lot_name() -> str:
    return f"LOT-{uuid.uuid4().hex[:8]}"
