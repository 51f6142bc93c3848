"""Stock by lot and location, changed only by moves: receive, issue, return, scrap, count.

Every move is a row and an event in the same transaction, and no move may take a lot below
zero: an issue or scrap larger than the lot is refused naming the lot, a negative count is
refused as bad input. Quantities in another unit of the same dimension are converted (a
move in g against a lot kept in kg); across dimensions they are refused.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from openfab.catalog.orm import MaterialRow
from openfab.errors import Conflict, InvalidInput, NotFound, Problem
from openfab.orders.orm import SalesOrderRow
from openfab.planning.mrp.orm import AllocationRow, InventoryMoveRow, MaterialLotRow, SupplierRow
from openfab.planning.mrp.schemas import MoveCreate, MoveKind, MovePublic
from openfab.planning.mrp.units import UnitMismatch, convert
from openfab.store import UnitOfWork
from openfab.store.base import new_id
from openfab.store.types import utcnow

ZERO = Decimal(0)
LOTS = "mrp.locked_lots"
MATERIALS = "mrp.materials"
ALLOCATED = "mrp.allocated"
ORDERS = "mrp.known_orders"
EVENT = {
    MoveKind.RECEIVE: "inventory.received",
    MoveKind.ISSUE: "inventory.issued",
    MoveKind.RETURN: "inventory.returned",
    MoveKind.SCRAP: "inventory.scrapped",
    MoveKind.COUNT: "inventory.counted",
    MoveKind.CONSUME: "inventory.consumed",
}


def check_move(uow: UnitOfWork, data: MoveCreate) -> tuple[MaterialRow, Decimal]:
    """The material and the move's quantity in its unit; every problem named at once."""
    problems: list[Problem] = []
    material = _material(uow, data.material)
    quantity = data.quantity
    if material is None:
        problems.append(Problem("material", f"unknown material {data.material!r}", "not_found"))
    else:
        try:
            quantity = convert(data.quantity, data.unit, material.unit)
        except UnitMismatch as exc:
            problems.append(Problem("unit", f"material {data.material}: {exc}", "unit"))
    if data.kind == MoveKind.COUNT and data.quantity < 0:
        problems.append(
            Problem(
                "quantity",
                f"a count of lot {data.lot} of {data.material} cannot be negative "
                f"({data.quantity} {data.unit})",
                "negative_stock",
            )
        )
    elif data.kind != MoveKind.COUNT and data.quantity <= 0:
        problems.append(Problem("quantity", f"must be > 0, got {data.quantity}"))
    if data.supplier is not None and (
        data.kind != MoveKind.RECEIVE or uow.session.get(SupplierRow, data.supplier) is None
    ):
        why = "names a receipt's supplier" if data.kind != MoveKind.RECEIVE else "unknown"
        problems.append(Problem("supplier", f"{data.supplier!r}: {why}", "not_found"))
    if data.kind in (MoveKind.ISSUE, MoveKind.RETURN) and not data.order_id:
        problems.append(Problem("order_id", f"a {data.kind} names the work order", "missing"))
    elif data.order_id and not order_exists(uow, data.order_id):
        problems.append(Problem("order_id", f"unknown order {data.order_id!r}", "not_found"))
    if problems:
        raise InvalidInput("invalid inventory move", problems)
    assert material is not None
    return material, quantity


def order_exists(uow: UnitOfWork, order_id: str) -> bool:
    """Whether ``order_id`` names a sales order the unit can see (remembered per
    transaction: a batch of moves often names the same order)."""
    known: set[str] = uow.session.info.setdefault(ORDERS, set())
    if order_id not in known:
        if uow.session.get(SalesOrderRow, order_id) is None:
            return False
        known.add(order_id)
    return True


def apply_move(
    uow: UnitOfWork,
    data: MoveCreate,
    *,
    purchase_order_id: str | None = None,
    bulk: list[dict[str, object]] | None = None,
) -> MovePublic:
    """Change the lot, write the move and its event (the caller's transaction); the move's
    row is appended to ``bulk`` when given, for a caller that inserts a batch's moves in one
    statement (before its commit)."""
    material, quantity = check_move(uow, data)
    lot = _locked_lot(uow, data)
    if lot is None:
        if data.kind not in (MoveKind.RECEIVE, MoveKind.RETURN, MoveKind.COUNT):
            where = f"lot {data.lot} of {data.material} at {data.location}"
            raise NotFound(f"{where} not found")
        lot = MaterialLotRow(
            id=new_id(),
            material=data.material,
            lot=data.lot,
            location=data.location,
            quantity=ZERO,
            unit=material.unit,
            purchase_order_id=purchase_order_id,
            supplier=data.supplier if data.kind == MoveKind.RECEIVE else None,
        )
        uow.session.add(lot)
        uow.session.info[LOTS][data.material, data.lot, data.location] = lot
    delta = _delta(data.kind, quantity, lot)
    lot.quantity = lot.quantity + delta
    lot.updated_at = utcnow()
    if data.kind == MoveKind.ISSUE and data.order_id:
        _release_allocation(uow, data.material, data.order_id, -delta)
    row: dict[str, object] = {
        "id": new_id(),
        "kind": data.kind.value,
        "material": data.material,
        "lot": data.lot,
        "location": data.location,
        "quantity": delta,
        "unit": material.unit,
        "order_id": data.order_id,
        "purchase_order_id": purchase_order_id,
        "reason": data.reason,
        "actor": uow.actor,
        "moved_at": utcnow(),
    }
    public = MovePublic.model_validate(row)
    if bulk is None:
        uow.session.add(InventoryMoveRow(**row))
    else:
        bulk.append(row)
    payload = public.model_dump(mode="json") | {"lot_quantity": str(lot.quantity)}
    uow.record(EVENT[data.kind], "material_lot", lot.id, payload)
    return public


def _locked_lot(uow: UnitOfWork, data: MoveCreate) -> MaterialLotRow | None:
    """The lot, locked for this transaction; read once per transaction (a batch of moves
    often draws from the same lot)."""
    known: dict[tuple[str, str, str], MaterialLotRow] = uow.session.info.setdefault(LOTS, {})
    key = (data.material, data.lot, data.location)
    lot = known.get(key)
    if lot is None or lot not in uow.session:
        lot = uow.session.scalars(
            select(MaterialLotRow)
            .where(
                MaterialLotRow.material == data.material,
                MaterialLotRow.lot == data.lot,
                MaterialLotRow.location == data.location,
            )
            .with_for_update()
        ).first()
        if lot is not None:
            known[key] = lot
    return lot


def _delta(kind: MoveKind, quantity: Decimal, lot: MaterialLotRow) -> Decimal:
    """What the lot gains; refuses to take it below zero."""
    if kind == MoveKind.COUNT:
        return quantity - lot.quantity
    if kind in (MoveKind.RECEIVE, MoveKind.RETURN):
        return quantity
    if quantity > lot.quantity:
        raise Conflict(
            f"lot {lot.lot} of {lot.material} at {lot.location} holds "
            f"{lot.quantity.normalize():f} {lot.unit}; cannot {kind.lower()} "
            f"{quantity.normalize():f} {lot.unit} (stock never goes negative)",
            [Problem("quantity", "more than the lot holds", "negative_stock")],
        )
    return -quantity


def _material(uow: UnitOfWork, code: str) -> MaterialRow | None:
    """Master data, read once per transaction."""
    known: dict[str, MaterialRow | None] = uow.session.info.setdefault(MATERIALS, {})
    if code not in known:
        known[code] = uow.session.get(MaterialRow, code)
    return known[code]


def _allocated(uow: UnitOfWork) -> set[tuple[str, str]]:
    """(material, order) pairs with a reservation, read once per transaction (reservations
    are made in transactions of their own); a pair whose reservation an issue used up stays
    listed, and its rows are simply read again."""
    pairs: set[tuple[str, str]] | None = uow.session.info.get(ALLOCATED)
    if pairs is None:
        rows = uow.session.execute(select(AllocationRow.material, AllocationRow.order_id))
        pairs = uow.session.info[ALLOCATED] = {(m, o) for m, o in rows}
    return pairs


def _release_allocation(uow: UnitOfWork, material: str, order_id: str, issued: Decimal) -> None:
    """Issuing to an order consumes its reservation first."""
    if (material, order_id) not in _allocated(uow):
        return
    rows = uow.session.scalars(
        select(AllocationRow).where(
            AllocationRow.material == material, AllocationRow.order_id == order_id
        )
    )
    for row in rows:
        if issued <= 0:
            return
        take = min(row.quantity, issued)  # allocations are kept in the material unit
        row.quantity -= take
        issued -= take
        if row.quantity <= 0:
            uow.session.delete(row)
