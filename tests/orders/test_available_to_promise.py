"""Available-to-promise: material waits only when the stores cannot cover the order."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openfab.orders.promise import (
    SHIPPING_DAYS,
    CapacityView,
    MaterialSupply,
    estimate_promise,
    material_wait_days,
)
from openfab.orders.schemas import OrderCreate, OrderDetail
from openfab.planning.mrp.schemas import MoveCreate, MoveKind
from openfab.platform import Platform
from tests.conftest import make_plant_staff, make_tenant

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
MATERIALS = ("steel", "foam", "motor")
quantities = st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False)
supplies = st.dictionaries(
    st.sampled_from(MATERIALS),
    st.builds(
        MaterialSupply,
        available=st.decimals(min_value=-50, max_value=1000, places=3, allow_nan=False),
        unit=st.just("kg"),
        lead_time_days=st.integers(0, 60),
    ),
)
needs_st = st.dictionaries(st.sampled_from(MATERIALS), st.tuples(quantities, st.just("kg")))


@given(needs=needs_st, supply=supplies, fallback=st.integers(0, 30))
def test_material_waits_only_when_short(
    needs: dict[str, tuple[Decimal, str]], supply: dict[str, MaterialSupply], fallback: int
) -> None:
    wait = material_wait_days(needs, supply, fallback)
    if not needs:
        assert wait == 0
    elif not supply:
        assert wait == fallback  # no stock information: the quoted lead time
    else:
        short = [m for m, (q, _) in needs.items() if m not in supply or q > supply[m].available]
        if not short:
            assert wait == 0
        else:
            leads = [supply[m].lead_time_days if m in supply else fallback for m in short]
            assert wait == max(leads)


@given(
    load=st.dictionaries(st.sampled_from(("cut", "weld", "paint")), st.floats(0, 5000)),
    open_load=st.dictionaries(st.sampled_from(("cut", "weld", "paint")), st.floats(0, 50000)),
    needs=needs_st,
    supply=supplies,
    express=st.booleans(),
)
def test_never_earlier_than_production_capacity_allows(
    load: dict[str, float],
    open_load: dict[str, float],
    needs: dict[str, tuple[Decimal, str]],
    supply: dict[str, MaterialSupply],
    express: bool,
) -> None:
    per_day = {"cut": 960.0, "weld": 480.0, "paint": 1440.0}
    capacity = CapacityView(per_day, open_load, {})
    wait = material_wait_days(needs, supply, 7)
    promise = estimate_promise(
        now=NOW, load=load, capacity=capacity, material_days=wait, express=express
    )
    ahead = {} if express else open_load
    production = max(
        [math.ceil((ahead.get(c, 0.0) + m) / per_day[c]) for c, m in load.items()] + [1]
    )
    assert promise.promise_date >= NOW + timedelta(days=production + SHIPPING_DAYS)
    assert promise.promise_date == NOW + timedelta(days=wait + production + SHIPPING_DAYS)


@pytest.fixture
def own_platform(fresh_database_url: str) -> Iterator[Platform]:
    opened = Platform.open(fresh_database_url)
    yield opened
    opened.close()


def _days(order: OrderDetail) -> int:
    return round((order.promise_date - order.created_at).total_seconds() / 86400)


def test_stock_on_hand_promises_production_and_shipping_only(own_platform: Platform) -> None:
    platform = own_platform
    tenant, plant = make_tenant(platform), make_plant_staff(platform)
    configured = platform.catalog.complete(tenant.alice, "washer", {})
    choices = configured.to_dict()["choices"]
    bom = {line.material: line for line in configured.bom}
    supply = platform.materials.available(bom)
    lead = max(supply[m].lead_time_days for m in bom)
    assert lead > 0

    short = platform.orders.place(tenant.alice, OrderCreate(product="washer", choices=choices))
    assert _days(short) == lead + 1 + SHIPPING_DAYS  # nothing on the shelves: buy first

    def receive(times: int, lot: str) -> None:
        for material, line in bom.items():
            platform.materials.move(
                plant.stores,
                MoveCreate(
                    kind=MoveKind.RECEIVE,
                    material=material,
                    lot=lot,
                    quantity=line.quantity * times,
                    unit=line.unit,
                ),
            )

    receive(1, "L1")  # exactly what the open order already needs: still short
    second = platform.orders.place(tenant.alice, OrderCreate(product="washer", choices=choices))
    assert _days(second) == lead + 1 + SHIPPING_DAYS

    receive(5, "L2")  # enough for both open orders and another
    stocked = platform.orders.place(tenant.alice, OrderCreate(product="washer", choices=choices))
    assert _days(stocked) == 1 + SHIPPING_DAYS
    preview = platform.orders.preview_promise(configured, 1)
    assert round((preview - stocked.promise_date).total_seconds() / 86400) == 0


def test_without_stock_records_the_quoted_lead_time_stands(own_platform: Platform) -> None:
    platform = own_platform
    tenant = make_tenant(platform)
    configured = platform.catalog.complete(tenant.alice, "washer", {})
    platform.orders.material_supply = lambda materials, uow: {}
    order = platform.orders.place(
        tenant.alice, OrderCreate(product="washer", choices=configured.to_dict()["choices"])
    )
    assert _days(order) == configured.lead_time_days + 1 + SHIPPING_DAYS
