"""Inspected units with the genealogy a root-cause analysis tests, read from the store.

Each unit finished (or scrapped) in the window becomes one ``InspectedUnit``: failed when the
vision inspection rejected it or the floor scrapped or reworked it; its factors are, per
routing step, the machine, the shift and the hours since that machine's last maintenance
(tool wear), the lot and supplier of each material, and every process value reported with
it. Plant-wide (every brand's units), for plant staff: the report names machines, lots,
suppliers and parameter ranges, never a unit.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from openfab.execution.orm import (
    MachineStateRow,
    OperationRow,
    SerialUnitRow,
    UnitMaterialRow,
    UnitOperationRow,
)
from openfab.execution.states import UnitStatus
from openfab.planning.mrp.orm import MaterialLotRow, PurchaseOrderRow
from openfab.quality.orm import UnitScanRow
from openfab.quality.rca import Factor, InspectedUnit
from openfab.store import UnitOfWork

MAX_UNITS = 20_000
FactorValue = str | int | float | None


def inspected_units(uow: UnitOfWork, since: datetime) -> tuple[list[InspectedUnit], list[Factor]]:
    """Units started since ``since`` and finished or scrapped (newest ``MAX_UNITS``), and how
    to word their factors."""
    units = list(
        uow.session.scalars(
            select(SerialUnitRow)
            .where(
                SerialUnitRow.created_at >= since,
                SerialUnitRow.status != UnitStatus.IN_PROCESS,
            )
            .order_by(SerialUnitRow.created_at.desc())
            .limit(MAX_UNITS)
        )
    )
    if not units:
        return [], []
    ids = [u.id for u in units]
    rejected = set(
        uow.session.scalars(
            select(UnitScanRow.unit_id).where(
                UnitScanRow.unit_id.in_(ids), UnitScanRow.verdict == "defect"
            )
        )
    )
    factors: dict[str, dict[str, FactorValue]] = {u.id: {} for u in units}
    labels: dict[str, Factor] = {}
    _steps(uow, units, factors, labels)
    _materials(uow, ids, factors, labels)
    _measurements(uow, ids, factors, labels)
    inspected = [
        InspectedUnit(
            unit=u.id,
            defect=u.id in rejected or u.status == UnitStatus.SCRAPPED or u.reworked,
            factors=factors[u.id],
        )
        for u in units
    ]
    return inspected, sorted(labels.values(), key=lambda f: f.name)


def _steps(
    uow: UnitOfWork,
    units: Sequence[SerialUnitRow],
    factors: dict[str, dict[str, FactorValue]],
    labels: dict[str, Factor],
) -> None:
    """Machine, shift and hours since the machine's last maintenance, per routing step."""
    by_order: dict[str, list[str]] = defaultdict(list)
    for unit in units:
        by_order[unit.work_order_id].append(unit.id)
    steps = list(
        uow.session.scalars(
            select(OperationRow).where(
                OperationRow.work_order_id.in_(by_order), OperationRow.machine.is_not(None)
            )
        )
    )
    upkeep = _maintenance(uow, {s.machine for s in steps if s.machine})
    for step in steps:
        values: dict[str, FactorValue] = {f"{step.code} machine": step.machine}
        labels.setdefault(
            f"{step.code} machine",
            Factor(
                f"{step.code} machine",
                "categorical",
                f"{step.code} machine",
                phrase="through {level}",
            ),
        )
        if step.shift:
            values[f"{step.code} shift"] = step.shift
            labels.setdefault(
                f"{step.code} shift",
                Factor(
                    f"{step.code} shift",
                    "categorical",
                    f"{step.code} shift",
                    phrase="in shift {level}",
                ),
            )
        hours = _hours_since(upkeep.get(step.machine or "", []), step.started_at)
        if hours is not None:
            name = f"{step.code} hours since maintenance"
            values[name] = round(hours, 2)
            labels.setdefault(name, Factor(name, "numeric", name, unit="h"))
        for unit_id in by_order[step.work_order_id]:
            factors[unit_id].update(values)


def _maintenance(uow: UnitOfWork, machines: set[str]) -> dict[str, list[datetime]]:
    rows = uow.session.execute(
        select(MachineStateRow.machine, MachineStateRow.at)
        .where(MachineStateRow.machine.in_(machines), MachineStateRow.state == "Maintenance")
        .order_by(MachineStateRow.at)
    )
    out: dict[str, list[datetime]] = defaultdict(list)
    for machine, at in rows:
        out[machine].append(at)
    return out


def _hours_since(upkeep: list[datetime], started: datetime | None) -> float | None:
    if started is None or not upkeep:
        return None
    i = bisect.bisect_right(upkeep, started)
    return None if i == 0 else (started - upkeep[i - 1]).total_seconds() / 3600


def _materials(
    uow: UnitOfWork,
    ids: Sequence[str],
    factors: dict[str, dict[str, FactorValue]],
    labels: dict[str, Factor],
) -> None:
    """The lot of each material in the unit and the supplier who sold it."""
    uses = list(
        uow.session.scalars(select(UnitMaterialRow).where(UnitMaterialRow.unit_id.in_(ids)))
    )
    suppliers = dict(
        uow.session.execute(
            select(MaterialLotRow.lot, PurchaseOrderRow.supplier)
            .join(PurchaseOrderRow, PurchaseOrderRow.id == MaterialLotRow.purchase_order_id)
            .where(MaterialLotRow.lot.in_({u.lot for u in uses}))
        ).all()
    )
    for use in uses:
        lot_name, supplier_name = f"{use.material} lot", f"{use.material} supplier"
        factors[use.unit_id][lot_name] = use.lot
        labels.setdefault(
            lot_name, Factor(lot_name, "categorical", lot_name, phrase="from lot {level}")
        )
        if use.lot in suppliers:
            factors[use.unit_id][supplier_name] = suppliers[use.lot]
            labels.setdefault(
                supplier_name,
                Factor(supplier_name, "categorical", supplier_name, phrase="bought from {level}"),
            )


def _measurements(
    uow: UnitOfWork,
    ids: Sequence[str],
    factors: dict[str, dict[str, FactorValue]],
    labels: dict[str, Factor],
) -> None:
    """Every process value reported with the unit (numbers only)."""
    rows = uow.session.execute(
        select(UnitOperationRow.unit_id, UnitOperationRow.measurements).where(
            UnitOperationRow.unit_id.in_(ids), UnitOperationRow.outcome != "rework"
        )
    )
    for unit_id, values in rows:
        for key, value in (values or {}).items():
            if isinstance(value, int | float):
                factors[unit_id][key] = float(value)
                unit = key.rpartition("_")[2] if "_" in key else ""
                labels.setdefault(
                    key, Factor(key, "numeric", key, unit=unit if len(unit) <= 3 else "")
                )
