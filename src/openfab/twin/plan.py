"""What the twin is asked to do: a production plan, purchase orders, maintenance windows.

Times are minutes from the twin's origin (``TwinConfig.origin``), like the scheduler's
minutes from its planning origin. A work order's operations run in the listed order (a
routing); the twin starts each when a machine is free, its predecessor is done, its material
is on hand and, by ``TwinConfig.dispatch``, its planned start has come on its planned
machine (``fixed``) or an eligible machine picks it from a shared pool (``fifo``, ``plan``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from openfab.errors import ProblemCollector
from openfab.twin.layout import PlantLayout


@dataclass(frozen=True)
class MaterialNeed:
    """Material consumed per unit when the operation starts; ``scrap_factor`` more is drawn
    from the lots (offcuts, purge), so a lot loses ``quantity * (1 + scrap_factor)``."""

    material: str
    quantity: float
    scrap_factor: float = 0.0


@dataclass(frozen=True)
class PlannedOperation:
    """One operation of a work order, placed on a machine by the planner.

    ``start``/``end`` are planned minutes; the run time is ``end - start - setup_minutes``
    (as planned; the twin's actual time varies). ``load`` scales wear and failure hazard
    (1 = nominal). ``family`` skips the setup when the machine is already set up for it;
    ``group/variant`` families pay ``TwinConfig.minor_setup_share`` of it between variants.
    ``alternatives``: other machines that may run it under pooled dispatch (none: the
    planned machine's work center). ``not_before``: the plan deferred it (e.g. into solar
    hours); it does not start earlier in any dispatch mode.
    """

    id: str
    code: str
    machine: str
    start: float
    end: float
    setup_minutes: float = 0.0
    family: str | None = None
    load: float = 1.0
    materials: tuple[MaterialNeed, ...] = ()
    alternatives: tuple[str, ...] = ()
    not_before: float | None = None


@dataclass(frozen=True)
class PlannedWorkOrder:
    """A work order (ISA-95 JobOrder) making ``quantity`` serial units of ``product``.

    ``released``: the minute the order arrived (FIFO dispatch order; None: the first
    operation's planned start)."""

    id: str
    product: str
    operations: tuple[PlannedOperation, ...]
    quantity: int = 1
    due: float | None = None
    released: float | None = None

    @property
    def arrival(self) -> float:
        """When the order arrived, for first-come-first-served dispatch."""
        if self.released is not None:
            return self.released
        return self.operations[0].start if self.operations else 0.0


@dataclass(frozen=True)
class PurchaseOrder:
    """Material ordered from a supplier, due ``due`` minutes after the origin.

    It arrives in lots of ``lot_size`` (one lot if None); a supplier may be late or early
    when there is a lead time (``due > ordered_at``); stock on hand is a purchase order due
    at its ``ordered_at``.
    """

    id: str
    material: str
    quantity: float
    due: float
    ordered_at: float = 0.0
    lot_size: float | None = None
    supplier: str | None = None


@dataclass(frozen=True)
class MaintenanceWindow:
    """Preventive maintenance: from ``start`` (or when the running operation ends) the
    machine is maintained for ``end - start`` minutes; wear is reset, parameters recalibrated."""

    machine: str
    start: float
    end: float


@dataclass(frozen=True)
class ProductionPlan:
    work_orders: tuple[PlannedWorkOrder, ...] = ()
    purchase_orders: tuple[PurchaseOrder, ...] = ()
    maintenance: tuple[MaintenanceWindow, ...] = ()

    @property
    def operations(self) -> list[PlannedOperation]:
        return [op for wo in self.work_orders for op in wo.operations]


def check_plan(plan: ProductionPlan, layout: PlantLayout) -> None:
    """Raise ``InvalidInput`` naming every problem of ``plan`` on ``layout``."""
    errors = ProblemCollector()
    machines = layout.machines
    _unique(errors, "work order", [wo.id for wo in plan.work_orders])
    _unique(errors, "operation", [op.id for op in plan.operations])
    _unique(errors, "purchase order", [po.id for po in plan.purchase_orders])
    for wo in plan.work_orders:
        loc = f"work order {wo.id}"
        if wo.quantity < 1:
            errors.add(loc, f"quantity must be >= 1, got {wo.quantity}")
        if not wo.operations:
            errors.add(loc, "has no operations")
        for op in wo.operations:
            _check_operation(errors, f"{loc}, operation {op.id}", op, machines)
    for po in plan.purchase_orders:
        loc = f"purchase order {po.id}"
        if po.quantity <= 0:
            errors.add(loc, f"quantity must be > 0, got {po.quantity}")
        if po.lot_size is not None and po.lot_size <= 0:
            errors.add(loc, f"lot size must be > 0, got {po.lot_size}")
        if po.due < po.ordered_at or po.ordered_at < 0:
            errors.add(loc, f"needs 0 <= ordered_at <= due, got {po.ordered_at}, {po.due}")
    for w in plan.maintenance:
        loc = f"maintenance {w.machine}@{w.start:g}"
        if w.machine not in machines:
            errors.add(loc, f"unknown machine {w.machine}", "unknown")
        if not 0 <= w.start < w.end:
            errors.add(loc, f"needs 0 <= start < end, got [{w.start:g}, {w.end:g})")
    errors.raise_if_any("invalid production plan")


def _check_operation(
    errors: ProblemCollector, loc: str, op: PlannedOperation, machines: Mapping[str, object]
) -> None:
    if op.machine not in machines:
        errors.add(loc, f"unknown machine {op.machine}", "unknown")
    for alt in op.alternatives:
        if alt not in machines:
            errors.add(loc, f"unknown alternative machine {alt}", "unknown")
    if op.not_before is not None and op.not_before < 0:
        errors.add(loc, f"not_before must be >= 0, got {op.not_before:g}")
    if op.start < 0 or op.end <= op.start:
        errors.add(loc, f"needs 0 <= start < end, got [{op.start:g}, {op.end:g})")
    if op.setup_minutes < 0 or op.setup_minutes >= op.end - op.start:
        errors.add(loc, f"setup {op.setup_minutes:g} min must be >= 0 and < the planned time")
    if op.load <= 0:
        errors.add(loc, f"load must be > 0, got {op.load}")
    for need in op.materials:
        if need.quantity < 0 or need.scrap_factor < 0:
            errors.add(loc, f"material {need.material}: quantity and scrap must be >= 0")


def _unique(errors: ProblemCollector, kind: str, ids: Sequence[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if not i:
            errors.add(kind, "id must not be empty")
        elif i in seen:
            errors.add(f"{kind} {i}", "duplicate id", "duplicate")
        seen.add(i)
