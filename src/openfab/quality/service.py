"""Inline inspection: camera scans in, verdicts on the genealogy, defects out through the MES.

The gateway hands each ``unit.scanned`` message to ``record_scans`` (stored with a
``unit.scanned`` event, idempotent by the message's key). The quality worker then scores
what is pending with the plant's active inspection model for the unit's product, records the
verdict as the unit's inspection (genealogy) with a ``unit.inspected`` event, and sends a
defect to rework or scrap through the MES. Each step is a committed state, so a restart
resumes where it stopped and nothing is applied twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import torch
from sqlalchemy import func, select, update

from openfab.errors import InvalidInput, NotFound, OpenFabError, Problem
from openfab.execution.orm import (
    SerialUnitRow,
    UnitInspectionRow,
    UnitOperationRow,
    WorkOrderRow,
)
from openfab.execution.schemas import UnitRework, UnitScrap
from openfab.execution.service import ExecutionService
from openfab.identity.actor import BRAND_STAFF, FLOOR, PLANT_ROLES, Actor, Role
from openfab.quality.genealogy_units import inspected_units
from openfab.quality.model_bytes import read_model
from openfab.quality.orm import InspectionModelRow, QualityDecisionRow, UnitScanRow
from openfab.quality.pictures import decode_scan, heat_map_png
from openfab.quality.rca import Cause, RootCauseReport, rank_causes
from openfab.quality.schemas import (
    CausePublic,
    CausesPublic,
    InspectionModelPublic,
    InspectionRound,
    QualityDecisionPublic,
    ScanReceived,
    UnitScanPublic,
)
from openfab.quality.vision.inspector import VisionInspector
from openfab.quality.vision.types import Inspection, Scan
from openfab.store import Database, EventRecord, UnitOfWork
from openfab.store.base import new_id
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow

log = logging.getLogger(__name__)
ACTOR = Actor.system("quality")
CHARACTERISTIC = "surface_anomaly"
"""The genealogy's name for the visual inspection's score (limit: the model's threshold)."""
SCRAP_FACTOR = 1.5
"""A defect scoring at least this many thresholds is scrapped; a marginal one is reworked at
its last operation (refinished) instead."""
KEEP_EVERY = 50
"""The pictures of one accepted scan in this many are kept (an audit sample); a rejected
scan's always are."""
ROUND = 256
"""Scans scored per round (one batch through the network per product)."""
MODEL_ROLES = (Role.QUALITY, Role.PLANT_ADMIN)
MIN_UNITS_FOR_CAUSES = 20


@dataclass(frozen=True)
class _Pending:
    id: str
    tenant_id: str
    unit_id: str
    serial: str
    product: str
    image: bytes | None
    height: bytes | None
    scale: float
    offset: float


class QualityService:
    def __init__(self, db: Database, execution: ExecutionService) -> None:
        self.db = db
        self.execution = execution
        self._loaded: dict[str, VisionInspector] = {}
        self._unreadable: set[str] = set()

    # -- inspection models ---------------------------------------------------------------------
    def install_model(
        self, actor: Actor, payload: bytes, *, name: str, product: str = ""
    ) -> InspectionModelPublic:
        """Make a trained model (``openfab inspect train``) the active one for ``product``
        (empty: every product without its own). A file that is no model is refused."""
        actor.require_plant(*MODEL_ROLES)
        problems = _name_problems(name, product)
        if problems:
            raise InvalidInput("cannot install the inspection model", problems)
        inspector = read_model(payload)
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            uow.session.execute(
                update(InspectionModelRow)
                .where(InspectionModelRow.product == product, InspectionModelRow.active)
                .values(active=False)
            )
            row = InspectionModelRow(
                id=new_id(),
                name=name,
                product=product,
                threshold=inspector.threshold,
                trained_on=int(inspector.describe().get("trained_on", 0)),
                payload=payload,
                active=True,
                installed_by=actor.name,
                installed_at=utcnow(),
            )
            uow.session.add(row)
            uow.record(
                "inspection_model.installed",
                "inspection_model",
                row.id,
                {"name": name, "product": product or "*", "threshold": row.threshold},
            )
        self._loaded[row.id] = inspector
        return InspectionModelPublic.model_validate(row)

    def models(self, actor: Actor) -> list[InspectionModelPublic]:
        actor.require_plant(*FLOOR)
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            rows = uow.session.scalars(
                select(InspectionModelRow).order_by(InspectionModelRow.installed_at.desc())
            )
            return [InspectionModelPublic.model_validate(r) for r in rows]

    # -- scans in ------------------------------------------------------------------------------
    def record_scans(
        self, actor: Actor, scans: Sequence[ScanReceived]
    ) -> tuple[int, list[tuple[ScanReceived, OpenFabError]]]:
        """Store new scans (a redelivered key changes nothing); returns how many were new and
        the refused ones with why (an unknown serial, a unit no longer in the plant)."""
        actor.require_plant(*FLOOR)
        if not scans:
            return 0, []
        refused: list[tuple[ScanReceived, OpenFabError]] = []
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            known = set(
                uow.session.scalars(
                    select(UnitScanRow.message_key).where(
                        UnitScanRow.message_key.in_({s.message_key for s in scans})
                    )
                )
            )
            units: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
            for u, number in uow.session.execute(
                select(SerialUnitRow, WorkOrderRow.number)
                .join(WorkOrderRow, WorkOrderRow.id == SerialUnitRow.work_order_id)
                .where(SerialUnitRow.serial.in_({s.serial for s in scans}))
            ):
                units[u.serial].append((u.tenant_id, u.id, u.product_code, number))
        by_tenant: dict[str, list[tuple[ScanReceived, str, str]]] = defaultdict(list)
        for scan in scans:
            if scan.message_key in known:
                continue
            known.add(scan.message_key)
            found = [u for u in units.get(scan.serial, []) if scan.work_order in (None, u[3])]
            if len(found) != 1:
                why = "not found" if not found else "is ambiguous: name its work order"
                refused.append((scan, NotFound(f"unit {scan.serial!r} {why}")))
                continue
            unit = found[0]
            by_tenant[unit[0]].append((scan, unit[1], unit[2]))
        for tenant, batch in sorted(by_tenant.items()):
            with self.db.unit(Scope.tenant(tenant), actor=actor.name) as uow:
                for scan, unit_id, product in batch:
                    row = _scan_row(scan, unit_id, product)
                    uow.session.add(row)
                    uow.record(
                        "unit.scanned",
                        "serial_unit",
                        unit_id,
                        {"serial": scan.serial, "machine": scan.machine, "scan": row.id},
                    )
        return sum(len(b) for b in by_tenant.values()), refused

    # -- the quality worker's round ------------------------------------------------------------
    def inspect_pending(self, limit: int = ROUND) -> InspectionRound:
        """Score up to ``limit`` pending scans, record the verdicts, then send the defects
        (these and any left from an interrupted round) to the MES."""
        pending = self._pending(limit)
        by_product: dict[str, list[_Pending]] = defaultdict(list)
        for scan in pending:
            by_product[scan.product].append(scan)
        inspected = defects = failed = waiting = 0
        for product, scans in sorted(by_product.items()):
            model = self._model_for(product)
            if model is None:
                waiting += len(scans)
                continue
            model_id, inspector = model
            good, bad = _decoded(scans)
            good, unfit = _fitting(inspector, good)
            bad += unfit
            failed += len(bad)
            with one_thread():
                results = inspector.score_many([s for _, s in good]) if good else []
            self._write(model_id, [(p, s, r) for (p, s), r in zip(good, results, strict=True)])
            self._write_failures(bad)
            inspected += len(good)
            defects += sum(r.verdict == "defect" for r in results)
        self.dispose()
        return InspectionRound(inspected, defects, failed, waiting)

    def dispose(self) -> int:
        """Send every judged defect not yet disposed of to rework or scrap (idempotent: the
        MES keys each command by the scan)."""
        with self.db.unit(Scope.plant(), actor=ACTOR.name, readonly=True) as uow:
            rows = list(
                uow.session.execute(
                    select(UnitScanRow.id, UnitScanRow.tenant_id, UnitScanRow.serial)
                    .add_columns(UnitScanRow.unit_id, UnitScanRow.score, UnitScanRow.threshold)
                    .where(UnitScanRow.verdict == "defect", UnitScanRow.disposition == "")
                )
            )
        for scan_id, tenant, serial, unit_id, score, threshold in rows:
            disposition = self._dispose(serial, unit_id, tenant, score or 0.0, threshold or 1.0)
            with self.db.unit(Scope.tenant(tenant), actor=ACTOR.name) as uow:
                scan = uow.session.get(UnitScanRow, scan_id)
                if scan is not None:
                    scan.disposition = disposition
        return len(rows)

    # -- decisions (the quality autopilot's) ---------------------------------------------------
    def decide(
        self, actor: Actor, kind: str, subject: str, event_type: str, payload: dict[str, Any]
    ) -> int:
        """Record a decision and announce it (one commit); returns 1."""
        actor.require_plant(*PLANT_ROLES)
        reason = str(payload.get("reason", ""))[:1000]
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            row = QualityDecisionRow(
                id=new_id(),
                kind=kind,
                subject=subject[:200],
                event_type=event_type,
                reason=reason,
                decided_by=actor.name,
                decided_at=utcnow(),
            )
            uow.session.add(row)
            uow.record(event_type, "quality_decision", row.id, {**payload, "reason": reason})
        return 1

    def decided_recently(self, kind: str, subject: str, within: timedelta) -> bool:
        with self.db.unit(Scope.plant(), actor=ACTOR.name, readonly=True) as uow:
            return (
                uow.session.scalar(
                    select(QualityDecisionRow.id).where(
                        QualityDecisionRow.kind == kind,
                        QualityDecisionRow.subject == subject[:200],
                        QualityDecisionRow.decided_at >= utcnow() - within,
                    )
                )
                is not None
            )

    def decisions(self, actor: Actor, limit: int = 20) -> list[QualityDecisionPublic]:
        actor.require_plant(*PLANT_ROLES)
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            rows = list(
                uow.session.scalars(
                    select(QualityDecisionRow)
                    .order_by(QualityDecisionRow.decided_at.desc())
                    .limit(limit)
                )
            )
            answers = _acknowledgements(uow, [r.id for r in rows])
            return [
                QualityDecisionPublic.model_validate(r).model_copy(update=answers.get(r.id, {}))
                for r in rows
            ]

    def recent_rejects(self, last: int, before: int = 0) -> tuple[int, int, int, int]:
        """(rejected, inspected) among the last ``last`` judged scans, then among the
        ``before`` judged scans ahead of those (the plant's usual level to compare with)."""
        with self.db.unit(Scope.plant(), actor=ACTOR.name, readonly=True) as uow:
            verdicts = list(
                uow.session.scalars(
                    select(UnitScanRow.verdict)
                    .where(UnitScanRow.verdict.is_not(None))
                    .order_by(UnitScanRow.inspected_at.desc())
                    .limit(last + before)
                )
            )
        recent, earlier = verdicts[:last], verdicts[last:]
        return (
            sum(v == "defect" for v in recent),
            len(recent),
            sum(v == "defect" for v in earlier),
            len(earlier),
        )

    def tighten(self, actor: Actor, *, factor: float, floor: float) -> list[dict[str, Any]]:
        """Lower every active model's limit by ``factor``, not below ``floor`` times its own
        calibrated limit; returns what changed (model, from, to)."""
        actor.require_plant(*MODEL_ROLES)
        changed = []
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            for row in uow.session.scalars(
                select(InspectionModelRow).where(InspectionModelRow.active)
            ):
                own = self._inspector(row).threshold
                new = max(row.threshold * factor, own * floor)
                if new < row.threshold - 1e-9:
                    changed.append({"model": row.name, "from": row.threshold, "to": round(new, 4)})
                    row.threshold = new
        return changed

    # -- reads ---------------------------------------------------------------------------------
    def scans(
        self, actor: Actor, *, verdict: str | None = None, limit: int = 50
    ) -> list[UnitScanPublic]:
        """The newest scans (a brand's staff see their own units' only; customers none)."""
        _require_staff(actor)
        with self.db.unit(actor.scope, actor=actor.name, readonly=True) as uow:
            query = select(UnitScanRow).order_by(UnitScanRow.scanned_at.desc()).limit(limit)
            if verdict:
                query = query.where(UnitScanRow.verdict == verdict)
            return [UnitScanPublic.model_validate(r) for r in uow.session.scalars(query)]

    def verdicts(self, actor: Actor) -> dict[str, str]:
        """Every judged unit's latest verdict by serial (the plant's quality records)."""
        actor.require_plant(*PLANT_ROLES)
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            rows = uow.session.execute(
                select(UnitScanRow.serial, UnitScanRow.verdict)
                .where(UnitScanRow.verdict.is_not(None))
                .order_by(UnitScanRow.inspected_at)
            )
            return {serial: str(verdict) for serial, verdict in rows}

    def causes(self, actor: Actor, *, days: float = 7.0) -> CausesPublic:
        """Likely causes of the defects among the units finished over the last ``days``,
        from their genealogy (machines, shifts, tool wear, lots, suppliers, process values)."""
        actor.require_plant(*PLANT_ROLES)
        if not 0 < days <= 366:
            raise InvalidInput("bad window", [Problem("days", "between 0 and 366")])
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            units, factors = inspected_units(uow, utcnow() - timedelta(days=days))
        if len(units) < MIN_UNITS_FOR_CAUSES:
            summary = f"{len(units)} units finished in the last {days:g} days: too few to test."
            return CausesPublic(
                days=days,
                units=len(units),
                defects=None,
                summary=summary,
                causes=[],
                dismissed=[],
                skipped=[],
            )
        return causes_public(rank_causes(units, factors=factors), days)

    def picture(self, actor: Actor, scan_id: str, kind: str) -> bytes:
        """A kept scan's ``image`` or ``heat_map`` (PNG)."""
        _require_staff(actor)
        if kind not in ("image", "heat_map"):
            raise NotFound(f"no picture {kind!r}")
        with self.db.unit(actor.scope, actor=actor.name, readonly=True) as uow:
            row = uow.session.get(UnitScanRow, scan_id)
            data = getattr(row, kind) if row is not None else None
        if data is None:
            raise NotFound(f"scan {scan_id!r} has no {kind.replace('_', ' ')} kept")
        return bytes(data)

    # -- internals -----------------------------------------------------------------------------
    def _pending(self, limit: int) -> list[_Pending]:
        with self.db.unit(Scope.plant(), actor=ACTOR.name, readonly=True) as uow:
            rows = uow.session.scalars(
                select(UnitScanRow)
                .where(UnitScanRow.status == "pending")
                .order_by(UnitScanRow.scanned_at, UnitScanRow.id)
                .limit(limit)
            )
            return [
                _Pending(
                    r.id,
                    r.tenant_id,
                    r.unit_id,
                    r.serial,
                    r.product,
                    r.image,
                    r.height,
                    r.height_um_per_count,
                    r.height_offset_um,
                )
                for r in rows
            ]

    def _model_for(self, product: str) -> tuple[str, VisionInspector] | None:
        """The active model for ``product``, else the plant-wide one (loaded once)."""
        with self.db.unit(Scope.plant(), actor=ACTOR.name, readonly=True) as uow:
            rows = {
                r.product: r
                for r in uow.session.scalars(
                    select(InspectionModelRow).where(
                        InspectionModelRow.active, InspectionModelRow.product.in_((product, ""))
                    )
                )
            }
            row = rows.get(product) or rows.get("")
            if row is None:
                return None
            try:
                inspector = self._inspector(row)
            except OpenFabError as exc:  # e.g. a model file of an older OpenFab: retrain it
                if row.id not in self._unreadable:
                    self._unreadable.add(row.id)
                    log.error("inspection model %r cannot be read: %s", row.name, exc.detail)
                return None  # its scans wait, as for a missing model, until one is installed
            if abs(inspector.threshold - row.threshold) > 1e-9:  # tightened since calibration
                inspector = inspector.with_threshold(row.threshold)
            return row.id, inspector

    def _inspector(self, row: InspectionModelRow) -> VisionInspector:
        """The model as calibrated (loaded once per process)."""
        if row.id not in self._loaded:
            self._loaded[row.id] = read_model(bytes(row.payload))
        return self._loaded[row.id]

    def _write(self, model_id: str, results: Sequence[tuple[_Pending, Scan, Inspection]]) -> None:
        by_tenant: dict[str, list[tuple[_Pending, Scan, Inspection]]] = defaultdict(list)
        for item in results:
            by_tenant[item[0].tenant_id].append(item)
        now = utcnow()
        for tenant, batch in sorted(by_tenant.items()):
            with self.db.unit(Scope.tenant(tenant), actor=ACTOR.name) as uow:
                last = _last_sequences(uow, [p.unit_id for p, _, _ in batch])
                for pending, scan, result in batch:
                    row = uow.session.get(UnitScanRow, pending.id)
                    if row is None or row.status != "pending":
                        continue  # judged by another worker meanwhile
                    _judge(row, model_id, scan, result, now)
                    uow.session.add(
                        UnitInspectionRow(
                            unit_id=pending.unit_id,
                            sequence=last.get(pending.unit_id, 0),
                            characteristic=CHARACTERISTIC,
                            value=round(result.score, 4),
                            low=None,
                            high=round(result.threshold, 4),
                            passed=result.verdict == "ok",
                            inspected_at=now,
                        )
                    )
                    uow.record(
                        "unit.inspected",
                        "serial_unit",
                        pending.unit_id,
                        {
                            "serial": pending.serial,
                            "scan": pending.id,
                            "score": round(result.score, 4),
                            "threshold": round(result.threshold, 4),
                            "verdict": result.verdict,
                        },
                    )

    def _write_failures(self, failures: Sequence[tuple[_Pending, str]]) -> None:
        for pending, why in failures:
            with self.db.unit(Scope.tenant(pending.tenant_id), actor=ACTOR.name) as uow:
                row = uow.session.get(UnitScanRow, pending.id)
                if row is None or row.status != "pending":
                    continue
                row.status, row.reason = "failed", why[:200]
                uow.record(
                    "unit.scan_failed",
                    "serial_unit",
                    pending.unit_id,
                    {"serial": pending.serial, "scan": pending.id, "reason": why[:200]},
                )

    def _dispose(self, serial: str, unit_id: str, tenant: str, score: float, limit: float) -> str:
        """Rework a marginal defect at the unit's last operation, scrap a clear one; a unit
        that already left (or was scrapped) is recorded as such."""
        why = f"surface anomaly {score:.2f} over the limit {limit:.2f}"
        key = f"inspection:{unit_id}"
        try:
            if score < SCRAP_FACTOR * limit:
                with self.db.unit(Scope.tenant(tenant), actor=ACTOR.name, readonly=True) as uow:
                    sequence = _last_sequences(uow, [unit_id]).get(unit_id)
                if sequence is not None:
                    rework = UnitRework(message_id=key, sequence=sequence, reason=why)
                    self.execution.rework_unit(ACTOR, serial, rework, tenant=tenant)
                    return "rework"
            scrap = UnitScrap(message_id=key, reason=why)
            self.execution.scrap_unit(ACTOR, serial, scrap, tenant=tenant)
            return "scrap"
        except OpenFabError as exc:  # shipped or already scrapped: say so, do not retry
            log.warning("defect on %s not disposed of: %s", serial, exc.detail)
            return "none"


@contextmanager
def one_thread() -> Iterator[None]:
    """Score on one thread: the worker shares the machine with the API, the gateway and the
    other workers, and two threads fighting for busy cores scored a 64 px scan in 134 ms
    where one thread took 15 ms (measured on this 2-core machine under load)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def causes_public(report: RootCauseReport, days: float) -> CausesPublic:
    return CausesPublic(
        days=days,
        units=report.units,
        defects=report.defects,
        summary=report.summary,
        causes=[_cause(c) for c in report.causes],
        dismissed=[d.sentence for d in report.dismissed],
        skipped=list(report.skipped),
    )


def _cause(cause: Cause) -> CausePublic:
    ev, suspect = cause.evidence, cause.suspect
    return CausePublic(
        rank=cause.rank,
        suspect=suspect.description,
        factor=suspect.factor,
        level=suspect.level,
        low=suspect.low,
        high=suspect.high,
        sentence=cause.sentence,
        confidence=cause.confidence,
        test=ev.test,
        p_value=ev.p_value,
        q_value=ev.q_value,
        effect=ev.effect,
        effect_size=ev.effect_size,
        ci_low=ev.ci_low,
        ci_high=ev.ci_high,
        exposed_units=ev.exposed_units,
        exposed_defects=ev.exposed_defects,
        other_units=ev.other_units,
        other_defects=ev.other_defects,
        inseparable=[s.description for s in cause.inseparable],
    )


def _require_staff(actor: Actor) -> None:
    """Scans show a brand's whole production: its staff and the plant's, not customers."""
    if actor.is_plant:
        actor.require_plant(*PLANT_ROLES)
    else:
        actor.require(*BRAND_STAFF)


def _scan_row(scan: ScanReceived, unit_id: str, product: str) -> UnitScanRow:
    return UnitScanRow(
        id=new_id(),
        unit_id=unit_id,
        serial=scan.serial,
        product=product,
        machine=scan.machine,
        message_key=scan.message_key,
        scanned_at=scan.at,
        image=scan.image,
        height=scan.height,
        height_um_per_count=scan.height_um_per_count,
        height_offset_um=scan.height_offset_um,
        status="pending",
        disposition="",
        reason="",
        kept=True,
    )


def _decoded(
    scans: Iterable[_Pending],
) -> tuple[list[tuple[_Pending, Scan]], list[tuple[_Pending, str]]]:
    good: list[tuple[_Pending, Scan]] = []
    bad: list[tuple[_Pending, str]] = []
    for pending in scans:
        try:
            good.append(
                (pending, decode_scan(pending.image, pending.height, pending.scale, pending.offset))
            )
        except InvalidInput as exc:
            bad.append((pending, exc.detail))
    return good, bad


def _fitting(
    inspector: VisionInspector, scans: Sequence[tuple[_Pending, Scan]]
) -> tuple[list[tuple[_Pending, Scan]], list[tuple[_Pending, str]]]:
    """The scans this model can judge, and why the others cannot (a 2D scan for a 3D model):
    those fail alone, with the reason, instead of stopping the round."""
    fit: list[tuple[_Pending, Scan]] = []
    unfit: list[tuple[_Pending, str]] = []
    for pending, scan in scans:
        if inspector.three_d and scan.height is None:
            unfit.append((pending, "this model inspects 3D scans: the scan has no height map"))
        else:
            fit.append((pending, scan))
    return fit, unfit


def _judge(row: UnitScanRow, model_id: str, scan: Scan, result: Inspection, now: datetime) -> None:
    defect = result.verdict == "defect"
    row.status, row.model_id, row.inspected_at = "inspected", model_id, now
    row.score, row.threshold, row.verdict = result.score, result.threshold, result.verdict
    row.kept = defect or _sampled(row.id)
    if row.kept:
        row.heat_map = heat_map_png(scan.image, result.heat_map, result.threshold)
    else:
        row.image = row.height = None


def _sampled(scan_id: str) -> bool:
    """One in ``KEEP_EVERY`` accepted scans, chosen by id (stable across restarts)."""
    return int(scan_id.replace("-", "")[:8], 16) % KEEP_EVERY == 0


def _last_sequences(uow: UnitOfWork, unit_ids: Sequence[str]) -> dict[str, int]:
    rows = uow.session.execute(
        select(UnitOperationRow.unit_id, func.max(UnitOperationRow.sequence))
        .where(UnitOperationRow.unit_id.in_(unit_ids))
        .group_by(UnitOperationRow.unit_id)
    )
    return {unit: int(sequence) for unit, sequence in rows}


def _name_problems(name: str, product: str) -> list[Problem]:
    problems = []
    if not 1 <= len(name) <= 64:
        problems.append(Problem("name", "1 to 64 characters"))
    if len(product) > 64:
        problems.append(Problem("product", "at most 64 characters"))
    return problems


def _acknowledgements(uow: UnitOfWork, decisions: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each decision's latest answer from the machine its command went to: the command's id
    is the id of the event that announced the decision (``runtime.commands``)."""
    if not decisions:
        return {}
    announced = dict(
        uow.session.execute(
            select(EventRecord.event_id, EventRecord.entity_id).where(
                EventRecord.entity_type == "quality_decision",
                EventRecord.entity_id.in_(decisions),
            )
        ).all()
    )
    if not announced:
        return {}
    answers: dict[str, dict[str, Any]] = {}
    acks = select(EventRecord.entity_id, EventRecord.payload).where(
        EventRecord.type == "machine.command_acknowledged",
        EventRecord.entity_id.in_(list(announced)),
    )
    for command_id, payload in uow.session.execute(acks.order_by(EventRecord.seq)):
        answers[announced[command_id]] = {
            "acknowledgement": str(payload.get("status", "")),
            "acknowledged_by": payload.get("machine"),
            "acknowledged_at": _moment(payload.get("at")),
            "acknowledgement_reason": str(payload.get("reason") or ""),
        }
    return answers


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
