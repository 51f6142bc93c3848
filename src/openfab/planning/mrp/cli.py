"""``openfab mrp``: run the material plan, look at stock, move it, work purchase orders."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from openfab.commands import DbOption, handled
from openfab.identity.actor import Actor

mrp_app = typer.Typer(
    help="Material planning (MRP), inventory and purchasing.", no_args_is_help=True
)
po_app = typer.Typer(help="Purchase orders: list, release, receive, cancel.", no_args_is_help=True)
mrp_app.add_typer(po_app, name="po")
console = Console()
ACTOR = Actor.system("cli")


def _platform(db: str | None) -> Any:
    from openfab.platform import Platform

    return Platform.open(db)


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}"


@mrp_app.command("run")
@handled
def run(
    db: DbOption = None,
    suppliers: Annotated[
        bool, typer.Option("--sample-suppliers", help="Install the sample suppliers first.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows of the table.")] = 40,
    sense_demand: Annotated[
        bool,
        typer.Option("--sense-demand", help="Add forecast demand and forecast-error safety stock."),
    ] = False,
    service_level: Annotated[
        float, typer.Option(min=0.5, max=0.9999, help="Service level for safety stock.")
    ] = 0.95,
) -> None:
    """Plan materials for every open order of the plant and print the plan as a table."""
    platform = _platform(db)
    try:
        if suppliers:
            platform.materials.install_sample_suppliers(ACTOR)
        if sense_demand:
            summary = platform.demand.plan_materials(
                ACTOR, service_level=service_level, trigger="cli, demand sensing"
            )
        else:
            summary = platform.materials.run(ACTOR, trigger="cli")
        plan = platform.materials.material_plan(ACTOR)
    finally:
        platform.close()
    table = Table(title=f"Material plan of {summary.plan_date} ({summary.work_orders} work orders)")
    for column, justify in (
        ("PO", "left"), ("material", "left"), ("supplier", "left"), ("quantity", "right"),
        ("release", "left"), ("due", "left"), ("value", "right"), ("reason", "left"),
    ):  # fmt: skip
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for po in plan.planned[:limit]:
        table.add_row(
            po.number,
            po.material,
            po.supplier,
            f"{_quantity(po.quantity)} {po.unit}",
            str(po.release_date),
            str(po.due_date),
            str(po.value),
            po.reason,
        )
    console.print(table)
    if len(plan.planned) > limit:
        console.print(f"… and {len(plan.planned) - limit} more planned purchase orders")
    _print_messages_and_shortages(plan)
    console.print(
        f"{summary.planned_orders} planned purchases worth {summary.purchase_value}, "
        f"{summary.messages} messages, {summary.shortages} shortages "
        f"({summary.seconds:.3f} s)"
    )


def _print_messages_and_shortages(plan: Any) -> None:
    if plan.messages:
        table = Table(title="Open purchase orders to reschedule")
        for column in ("action", "material", "due", "new due", "reason"):
            table.add_column(column)
        for m in plan.messages:
            table.add_row(
                m.action, m.material, str(m.due_date), str(m.new_due_date or "—"), m.reason
            )
        console.print(table)
    if plan.shortages:
        table = Table(title="Shortages (work orders that will wait for material)")
        for column in ("order", "material", "quantity", "needed", "available", "cause"):
            table.add_column(column)
        for s in plan.shortages:
            table.add_row(
                s.order_number,
                s.material,
                f"{_quantity(s.quantity)} {s.unit}",
                str(s.need_date),
                str(s.available_date or "—"),
                s.cause,
            )
        console.print(table)


@mrp_app.command("stock")
@handled
def stock(
    material: Annotated[str | None, typer.Argument(help="One material (default: all).")] = None,
    db: DbOption = None,
) -> None:
    """Stock by material and lot: on hand, reserved for work orders, free."""
    platform = _platform(db)
    try:
        rows = platform.materials.stock(ACTOR, material)
    finally:
        platform.close()
    table = Table(title="Inventory")
    for column in ("material", "on hand", "allocated", "free", "lots"):
        table.add_column(column)
    for row in rows:
        if row.on_hand or material:
            lots = ", ".join(f"{x.lot}@{x.location}: {_quantity(x.quantity)}" for x in row.lots)
            table.add_row(
                row.material,
                f"{_quantity(row.on_hand)} {row.unit}",
                _quantity(row.allocated),
                _quantity(row.free),
                lots,
            )
    console.print(table)


@mrp_app.command("move")
@handled
def move(
    kind: Annotated[str, typer.Argument(help="Receive, Issue, Return, Scrap, Count or Consume.")],
    material: str,
    lot: str,
    quantity: Annotated[str, typer.Argument(help="Quantity (for Count: the counted stock).")],
    unit: str,
    location: Annotated[str, typer.Option("--location")] = "MAIN",
    order: Annotated[str | None, typer.Option("--order", help="Work order (Issue/Return).")] = None,
    reason: Annotated[str, typer.Option("--reason")] = "",
    db: DbOption = None,
) -> None:
    """Record one inventory move (an event; stock never goes negative)."""
    from openfab.errors import InvalidInput, Problem
    from openfab.planning.mrp.schemas import MoveCreate, MoveKind

    try:
        body = MoveCreate(
            kind=MoveKind(kind.capitalize()),
            material=material,
            lot=lot,
            location=location,
            quantity=Decimal(quantity),
            unit=unit,
            order_id=order,
            reason=reason,
        )
    except (ValueError, ArithmeticError) as exc:
        raise InvalidInput("invalid move", [Problem("move", str(exc).splitlines()[0])]) from None
    platform = _platform(db)
    try:
        done = platform.materials.move(ACTOR, body)
    finally:
        platform.close()
    console.print(
        f"{done.kind} {_quantity(done.quantity)} {done.unit} of {done.material}, "
        f"lot {done.lot} at {done.location}"
    )


@mrp_app.command("suppliers")
@handled
def suppliers(
    install: Annotated[bool, typer.Option("--install", help="Install the samples.")] = False,
    db: DbOption = None,
) -> None:
    """List suppliers and what they offer (optionally install the sample suppliers)."""
    platform = _platform(db)
    try:
        if install:
            platform.materials.install_sample_suppliers(ACTOR)
        rows = platform.materials.suppliers(ACTOR)
    finally:
        platform.close()
    table = Table(title="Suppliers")
    for column in ("supplier", "material", "lead time", "price", "MOQ", "multiple", "capacity"):
        table.add_column(column)
    for s in rows:
        for i in s.items:
            capacity = (
                f"{_quantity(i.capacity_per_period)}/{i.period_days} d"
                if i.capacity_per_period
                else "—"
            )
            table.add_row(
                s.code, i.material, f"{i.lead_time_days} d", str(i.price),
                _quantity(i.minimum_order), _quantity(i.lot_multiple), capacity,
            )  # fmt: skip
    console.print(table)


@mrp_app.command("autopilot")
@handled
def autopilot(
    max_value: Annotated[float, typer.Option("--max-value", min=0)] = 5000.0,
    supplier: Annotated[
        list[str] | None, typer.Option("--supplier", help="Allowed supplier (repeat).")
    ] = None,
    horizon: Annotated[int, typer.Option("--horizon", min=0, help="Days ahead.")] = 7,
    sense_demand: Annotated[
        bool, typer.Option("--sense-demand", help="Buy for forecast demand too.")
    ] = False,
    db: DbOption = None,
) -> None:
    """One purchasing round: plan, release within the limits, hold the rest, flag late."""
    from openfab.autopilot.purchasing import PurchasingAutopilot, PurchasingLimits

    limits = PurchasingLimits(
        Decimal(str(max_value)), frozenset(supplier) if supplier else None, horizon
    )
    platform = _platform(db)
    try:
        demand = platform.demand if sense_demand else None
        pilot = PurchasingAutopilot(platform.materials, limits, demand=demand)
        result = pilot.run(trigger="cli autopilot")
    finally:
        platform.close()
    for po in result.released:
        console.print(f"[green]released[/] {po.number} {po.material} {po.value}: {po.reason}")
    for po, why in result.held:
        console.print(f"[yellow]held[/] {po.number} {po.material} {po.value}: {why}")
    for po in result.late:
        console.print(f"[red]late[/] {po.number} {po.material} due {po.due_date}")
    console.print(
        f"{len(result.released)} released, {len(result.held)} held, {len(result.late)} late"
    )


@po_app.command("list")
@handled
def po_list(
    status: Annotated[str | None, typer.Option("--status", help="Planned, Released…")] = None,
    db: DbOption = None,
) -> None:
    """Purchase orders, optionally of one status."""
    from openfab.planning.mrp.schemas import PurchaseStatus

    platform = _platform(db)
    try:
        chosen = PurchaseStatus(status.capitalize()) if status else None
        rows = platform.materials.purchase_orders(ACTOR, status=chosen).data
    finally:
        platform.close()
    table = Table(title="Purchase orders")
    for column in ("PO", "status", "material", "supplier", "quantity", "received", "due", "value"):
        table.add_column(column)
    for po in rows:
        table.add_row(
            po.number, po.status, po.material, po.supplier,
            f"{_quantity(po.quantity)} {po.unit}", _quantity(po.received_quantity),
            str(po.due_date) + (" [red]late[/]" if po.late else ""), str(po.value),
        )  # fmt: skip
    console.print(table)


@po_app.command("release")
@handled
def po_release(po: str, reason: str = "", db: DbOption = None) -> None:
    """Send a planned purchase order to its supplier."""
    platform = _platform(db)
    try:
        done = platform.materials.release(ACTOR, po, reason)
    finally:
        platform.close()
    console.print(f"{done.number} released to {done.supplier}")


@po_app.command("cancel")
@handled
def po_cancel(po: str, reason: str = "", db: DbOption = None) -> None:
    platform = _platform(db)
    try:
        done = platform.materials.cancel(ACTOR, po, reason)
    finally:
        platform.close()
    console.print(f"{done.number} cancelled")


@po_app.command("receive")
@handled
def po_receive(
    po: str,
    quantity: str,
    lot: Annotated[str, typer.Option("--lot", help="Lot number of the delivery.")],
    location: Annotated[str, typer.Option("--location")] = "MAIN",
    db: DbOption = None,
) -> None:
    """Goods receipt: the delivery becomes a lot."""
    from openfab.planning.mrp.schemas import GoodsReceipt

    receipt = GoodsReceipt(quantity=Decimal(quantity), lot=lot, location=location)
    platform = _platform(db)
    try:
        done = platform.materials.receive(ACTOR, po, receipt)
    finally:
        platform.close()
    console.print(
        f"{done.number}: received {_quantity(done.received_quantity)} of "
        f"{_quantity(done.quantity)} {done.unit} ({done.status})"
    )
