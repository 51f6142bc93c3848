"""The store side: migration 0004 creates exactly the tables the models describe, and no
sequence of inventory moves ever leaves a lot below zero."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from openfab.errors import Conflict, InvalidInput, NotFound
from openfab.models import metadata
from openfab.planning.mrp import orm
from openfab.planning.mrp.schemas import MoveCreate, MoveKind
from openfab.platform import Platform
from openfab.store.tenancy import Scope
from tests.conftest import PLANT, TenantPeople

MINE = {
    table.__tablename__
    for table in (
        orm.SupplierRow,
        orm.SupplierItemRow,
        orm.MaterialPolicyRow,
        orm.MaterialLotRow,
        orm.AllocationRow,
        orm.InventoryMoveRow,
        orm.MaterialPlanRunRow,
        orm.PurchaseOrderRow,
        orm.PurchasePegRow,
        orm.MaterialMessageRow,
        orm.MaterialShortageRow,
    )
}


def test_migration_matches_the_material_tables(platform: Platform) -> None:
    with platform.db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
    assert [d for d in diffs if any(name in str(d) for name in MINE)] == []


moves = st.lists(
    st.tuples(
        st.sampled_from(list(MoveKind)),
        st.integers(-3, 12),
        st.sampled_from(["pcs", "pcs", "kg"]),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=moves)
def test_no_sequence_of_moves_makes_stock_negative(
    platform: Platform, tenant: TenantPeople, steps: list[tuple[MoveKind, int, str]]
) -> None:
    lot = f"P-{uuid.uuid4().hex[:8]}"
    expected = Decimal(0)
    for kind, quantity, unit in steps:
        body = MoveCreate(
            kind=kind,
            material="cell_holder",
            lot=lot,
            quantity=Decimal(quantity),
            unit=unit,
            order_id="WO-prop" if kind in (MoveKind.ISSUE, MoveKind.RETURN) else None,
        )
        try:
            platform.materials.move(PLANT, body)
        except (Conflict, InvalidInput, NotFound):
            continue  # refused moves change nothing (NotFound: no such lot to take from yet)
        if kind == MoveKind.COUNT:
            expected = Decimal(quantity)
        elif kind in (MoveKind.RECEIVE, MoveKind.RETURN):
            expected += quantity
        else:
            expected -= quantity
        assert expected >= 0
    lots = {x.lot: x.quantity for x in platform.materials.stock(PLANT, "cell_holder")[0].lots}
    assert lots.get(lot, Decimal(0)) == expected


def test_a_receipt_without_a_purchase_order_keeps_its_supplier(platform: Platform) -> None:
    """Opening stock or a consignment: the delivery note's supplier is the lot's origin; an
    unknown supplier, or a supplier on anything but a receipt, is refused by name."""
    platform.materials.install_sample_suppliers(PLANT)
    lot = f"S-{uuid.uuid4().hex[:8]}"
    receipt = MoveCreate(kind=MoveKind.RECEIVE, material="spare_kit_packaging", lot=lot,
                         quantity=Decimal(1), unit="pcs", supplier="MaintPro")  # fmt: skip
    platform.materials.move(PLANT, receipt)
    with platform.db.unit(Scope.plant(), actor="system:test", readonly=True) as uow:
        row = uow.session.scalars(select(orm.MaterialLotRow).where(orm.MaterialLotRow.lot == lot))
        assert row.one().supplier == "MaintPro"
    unknown = receipt.model_copy(update={"supplier": "NoSuchCo", "lot": f"{lot}-x"})
    on_scrap = receipt.model_copy(update={"kind": MoveKind.SCRAP})
    for bad in (unknown, on_scrap):
        with pytest.raises(InvalidInput) as refused:
            platform.materials.move(PLANT, bad)
        assert [p.loc for p in refused.value.problems] == ["supplier"]
