"""The lifecycle service: a passport per finished unit, field reports and the state of
health, warranty claims per design revision, returns and recovery back into stock.

Each state change is one transaction with its event (outbox): ``passport.issued``,
``passport.sections_set``, ``field_report.accepted`` / ``field_report.flagged``,
``claim.filed`` (for quality), ``unit.returned``, ``unit.recovered`` and, for the plant,
``lot.recovered`` with the stock receipt of the recovered material. The passport itself is
assembled on read by the pure engine (:mod:`.passport`) from the genealogy, so it always
shows the unit's latest health and recovery.
"""

from __future__ import annotations

import io
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import segno
from sqlalchemy import func, select

from openfab.catalog.orm import ProductRow
from openfab.connect.orm import TelemetryReadingRow
from openfab.errors import Conflict, InvalidInput, NotFound, Problem
from openfab.execution import reads
from openfab.execution.orm import OperationRow, SerialUnitRow
from openfab.execution.schemas import Genealogy
from openfab.identity.actor import BRAND_STAFF, PLANT_ROLES, Actor, Role
from openfab.identity.orm import TenantRow
from openfab.lifecycle.factors import CELLS, MATERIALS
from openfab.lifecycle.orm import (
    ClaimRow,
    FieldReportRow,
    PassportPolicyRow,
    PassportRow,
    RecoveredLotRow,
    RecoveryRow,
)
from openfab.lifecycle.passport import LotOrigin, PassportInput, StepEnergy, assemble, view
from openfab.lifecycle.recovery import (
    TARGET,
    Part,
    dismantling_steps,
    overall_rate,
    recover,
    stock_returns,
)
from openfab.lifecycle.schemas import (
    DEFAULT_PUBLIC,
    ClaimIn,
    ClaimPublic,
    FieldReportIn,
    FieldReportPublic,
    Health,
    Passport,
    RecoveryIn,
    RecoveryPublic,
    RevisionClaims,
    Section,
)
from openfab.lifecycle.soh import Observation, Prior, estimate
from openfab.orders.orm import SalesOrderRow
from openfab.planning.mrp.inventory import apply_move
from openfab.planning.mrp.orm import MaterialLotRow, PurchaseOrderRow, SupplierRow
from openfab.planning.mrp.schemas import MoveCreate, MoveKind
from openfab.store import Database, UnitOfWork
from openfab.store.tenancy import Scope
from openfab.store.types import utcnow

T = TypeVar("T")
FINISHED = ("Completed", "Shipped", "Delivered")
READERS = (*BRAND_STAFF, Role.CUSTOMER)
RECYCLERS = (Role.STORES, Role.PLANT_ADMIN, Role.PLANT_PLANNER, Role.QUALITY)
SOH_CEILING = 1.05
"""A measured capacity above 105 % of rating is a measuring error, not a healthy cell."""
YEAR_SECONDS = 365.25 * 86400


class LifecycleService:
    def __init__(
        self,
        db: Database,
        *,
        machine_kw: Mapping[str, float] | None = None,
        machine_sites: Mapping[str, str] | None = None,
        site: str = "plant-1",
    ) -> None:
        """``machine_kw``: each machine's power when running (kW), for the energy of a
        unit's operations; ``machine_sites``: the site each machine stands in."""
        self.db = db
        self.machine_kw = dict(machine_kw or {})
        self.machine_sites = dict(machine_sites or {})
        self.site = site

    # -- passports ----------------------------------------------------------------------------
    def issue_all(self, actor: Actor) -> int:
        """A passport for every finished unit of every brand that has none yet (the demo and
        the runtime call this after shipping); returns how many were issued."""
        actor.require_plant(*PLANT_ROLES)
        with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
            pending = uow.session.execute(
                select(SerialUnitRow.tenant_id, SerialUnitRow.id)
                .outerjoin(PassportRow, PassportRow.unit_id == SerialUnitRow.id)
                .where(SerialUnitRow.status.in_(FINISHED), PassportRow.id.is_(None))
            ).all()
        by_tenant: dict[str, list[str]] = defaultdict(list)
        for tenant, unit_id in pending:
            by_tenant[tenant].append(unit_id)
        for tenant, ids in by_tenant.items():
            with self.db.unit(Scope.tenant(tenant), actor=actor.name) as uow:
                for unit in uow.session.scalars(
                    select(SerialUnitRow).where(SerialUnitRow.id.in_(ids))
                ):
                    self._ensure(uow, unit)
        return len(pending)

    def passport(self, actor: Actor, serial: str, *, tenant: str | None = None) -> Passport:
        """The full (restricted) passport of a unit the actor may see. Its id is issued on
        first read and never changes; it is complete only once the unit is finished."""
        self._may_read(actor)
        return self._in_owner(
            actor, serial, lambda uow: self._full(uow, actor, serial), tenant=tenant
        )

    def public_passport(self, passport_id: str) -> Passport:
        """What anyone scanning the QR code sees: the sections the brand publishes."""
        try:
            uuid.UUID(passport_id)
        except ValueError as exc:
            raise NotFound(f"passport {passport_id!r} not found") from exc
        with self.db.unit(Scope.plant(), actor="system:passport", readonly=True) as uow:
            row = uow.session.get(PassportRow, passport_id)
            tenant = None if row is None else row.tenant_id
        if tenant is None:
            raise NotFound(f"passport {passport_id!r} not found")
        with self.db.unit(Scope.tenant(tenant), actor="system:passport", readonly=True) as uow:
            row = uow.session.get(PassportRow, passport_id)
            assert row is not None
            unit = uow.session.get(SerialUnitRow, row.unit_id)
            assert unit is not None
            full = self._assemble(uow, unit, row)
            return view(full, full.public_sections)

    @staticmethod
    def qr_svg(url: str) -> str:
        """The QR code of a passport's public address, as inline SVG."""
        code = segno.make(url, error="m")
        out = io.BytesIO()
        code.save(out, kind="svg", scale=4, border=2, xmldecl=False, svgns=True)
        return out.getvalue().decode()

    def set_public_sections(self, actor: Actor, sections: list[Section]) -> list[Section]:
        """The brand decides which sections its passports show to anyone."""
        tenant = actor.require_tenant()
        actor.require(Role.ADMIN, Role.PLANNER)
        chosen = sorted(set(sections))
        with self.db.unit(Scope.tenant(tenant), actor=actor.name) as uow:
            row = uow.session.scalars(select(PassportPolicyRow)).first()
            if row is None:
                row = PassportPolicyRow(sections=[])
                uow.session.add(row)
            row.sections = [s.value for s in chosen]
            row.updated_at = utcnow()
            uow.session.flush()
            uow.record(
                "passport.sections_set", "passport_policy", row.id, {"sections": row.sections}
            )
        return chosen

    # -- field data ---------------------------------------------------------------------------
    def report(
        self, actor: Actor, data: FieldReportIn, *, tenant: str | None = None
    ) -> FieldReportPublic:
        """One field report. Impossible values are refused (every problem named); a report of
        an unknown unit is refused; a repeated report id changes nothing; a doubtful report
        (before manufacture, cycles going back, capacity far above rating) is kept as
        ``flagged`` with the reason and never used as truth."""
        problems = _impossible(data)
        if problems:
            raise InvalidInput("field report refused", problems)
        if not actor.is_plant:
            actor.require(*BRAND_STAFF)
        return self._in_owner(
            actor, data.serial, lambda uow: self._report(uow, actor, data), tenant=tenant
        )

    def reports(
        self, actor: Actor, serial: str, *, tenant: str | None = None
    ) -> list[FieldReportPublic]:
        self._may_read(actor)

        def read(uow: UnitOfWork) -> list[FieldReportPublic]:
            unit = reads.visible_unit(uow, actor, serial)
            rows = uow.session.scalars(
                select(FieldReportRow)
                .where(FieldReportRow.unit_id == unit.id)
                .order_by(FieldReportRow.at)
            )
            return [_report_public(r) for r in rows]

        return self._in_owner(actor, serial, read, write=False, tenant=tenant)

    # -- claims -------------------------------------------------------------------------------
    def file_claim(self, actor: Actor, data: ClaimIn) -> ClaimPublic:
        """A warranty claim or field failure; quality hears of it (``claim.filed``) with the
        unit's design revision. A repeated claim id returns the first."""
        if not actor.is_plant:
            actor.require(*BRAND_STAFF)
        return self._in_owner(actor, data.serial, lambda uow: self._claim(uow, actor, data))

    def claims_by_revision(self, actor: Actor, product: str | None = None) -> list[RevisionClaims]:
        """Claims and field failures per product design revision against the units shipped:
        a brand sees its own, the plant's quality staff every brand's."""
        if actor.is_plant:
            actor.require(Role.QUALITY, Role.PLANT_ADMIN, Role.PLANT_PLANNER)
        else:
            actor.require(*BRAND_STAFF)
        with self.db.unit(actor.scope, actor=actor.name, readonly=True) as uow:
            shipped_q = (
                select(
                    SerialUnitRow.product_code,
                    SalesOrderRow.product_revision,
                    func.count(SerialUnitRow.id),
                )
                .join(SalesOrderRow, SalesOrderRow.id == SerialUnitRow.order_id)
                .where(SerialUnitRow.status.in_(("Shipped", "Delivered")))
                .group_by(SerialUnitRow.product_code, SalesOrderRow.product_revision)
            )
            claims_q = select(ClaimRow)
            if product is not None:
                shipped_q = shipped_q.where(SerialUnitRow.product_code == product)
                claims_q = claims_q.where(ClaimRow.product_code == product)
            shipped = {(p, r): n for p, r, n in uow.session.execute(shipped_q)}
            claims = list(uow.session.scalars(claims_q))
        grouped: dict[tuple[str, int], list[ClaimRow]] = defaultdict(list)
        for claim in claims:
            grouped[claim.product_code, claim.design_revision].append(claim)
        out = []
        for key in sorted(set(shipped) | set(grouped)):
            rows = grouped.get(key, [])
            units = shipped.get(key, 0)
            out.append(
                RevisionClaims(
                    product=key[0],
                    design_revision=key[1],
                    shipped=units,
                    claims=len(rows),
                    field_failures=sum(r.kind == "field_failure" for r in rows),
                    claim_rate=round(len({r.unit_id for r in rows}) / units, 4) if units else 0.0,
                    symptoms=dict(Counter(r.symptom for r in rows).most_common(10)),
                )
            )
        return out

    # -- end of life --------------------------------------------------------------------------
    def return_unit(
        self, actor: Actor, serial: str, reason: str, *, tenant: str | None = None
    ) -> Passport:
        """A unit came back to the plant at the end of its life (plant staff)."""
        actor.require_plant(*RECYCLERS)

        def work(uow: UnitOfWork) -> Passport:
            unit = reads.visible_unit(uow, actor, serial)
            if unit.status not in ("Shipped", "Delivered"):
                raise Conflict(f"{serial} is {unit.status}; only a unit in the field returns")
            row = self._ensure(uow, unit)
            if row.status != "Original":
                raise Conflict(f"{serial} is already {row.status}")
            row.status = "Returned"
            row.return_reason = reason[:200]
            row.returned_at = utcnow()
            uow.record("unit.returned", "passport", row.id, {"serial": serial, "reason": reason})
            return self._assemble(uow, unit, row)

        return self._in_owner(actor, serial, work, tenant=tenant)

    def recover(
        self, actor: Actor, serial: str, data: RecoveryIn, *, tenant: str | None = None
    ) -> RecoveryPublic:
        """Dismantle a returned unit and recover its material: per-element rates against the
        95 % target; the casing's aluminium is received into stock as a recovered lot, which
        MRP nets before it buys and which makes later units' content recycled."""
        actor.require_plant(*RECYCLERS)
        if tenant is None:
            with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
                tenant = reads.owner(uow, serial, "serial")
        with self.db.unit(Scope.plant(), actor=actor.name) as uow:
            unit = uow.session.scalars(
                select(SerialUnitRow).where(
                    SerialUnitRow.serial == serial, SerialUnitRow.tenant_id == tenant
                )
            ).one()
            row = uow.session.scalars(
                select(PassportRow).where(PassportRow.unit_id == unit.id)
            ).first()
            if row is None or row.status != "Returned":
                state = "not returned" if row is None or row.status == "Original" else row.status
                raise Conflict(f"{serial} is {state}; only a returned unit is recovered")
            parts = _parts(reads.genealogy(uow, unit))
            elements = recover(parts, route=data.route)
            lots = self._receive_recovered(uow, stock_returns(parts), data.location)
            overall = overall_rate(elements)
            uow.session.add(
                RecoveryRow(
                    tenant_id=tenant,
                    unit_id=unit.id,
                    serial=serial,
                    route=data.route,
                    elements={e.element: e.model_dump() for e in elements},
                    overall_rate=overall,
                    lots=lots,
                )
            )
            row.status = "Recycled"
            payload = {
                "serial": serial,
                "route": data.route,
                "rates": {e.element: e.rate for e in elements},
                "overall_rate": overall,
                "lots": lots,
            }
            uow.record("unit.recovered", "passport", row.id, payload, tenant_id=tenant)
            order = uow.session.get(SalesOrderRow, unit.order_id)
            casing = str(order.choices.get("casing", "")) if order else ""
            return RecoveryPublic(
                serial=serial,
                route=data.route,
                target=TARGET,
                elements=elements,
                overall_rate=overall,
                lots=lots,
                steps=dismantling_steps(casing),
            )

    def recovered_lots(self) -> set[tuple[str, str]]:
        with self.db.unit(Scope.plant(), actor="system:lifecycle", readonly=True) as uow:
            return {
                (m, lot)
                for m, lot in uow.session.execute(
                    select(RecoveredLotRow.material, RecoveredLotRow.lot)
                )
            }

    # -- internals ----------------------------------------------------------------------------
    def _receive_recovered(
        self, uow: UnitOfWork, back: Mapping[str, float], location: str
    ) -> list[str]:
        lots = []
        for material, kg in sorted(back.items()):
            lot = f"REC-{uuid.uuid4().hex[:10].upper()}"
            move = MoveCreate(
                kind=MoveKind.RECEIVE,
                material=material,
                lot=lot,
                location=location,
                quantity=Decimal(str(kg)),
                unit="kg",
                reason="recovered from returned units",
            )
            apply_move(uow, move)
            uow.session.add(RecoveredLotRow(material=material, lot=lot, quantity_kg=kg))
            uow.record(
                "lot.recovered", "material", material, {"lot": lot, "kg": kg, "location": location}
            )
            lots.append(lot)
        return lots

    def _may_read(self, actor: Actor) -> None:
        if actor.is_plant:
            actor.require(*PLANT_ROLES)
        else:
            actor.require(*READERS)

    def _in_owner(
        self,
        actor: Actor,
        serial: str,
        work: Callable[[UnitOfWork], T],
        *,
        write: bool = True,
        tenant: str | None = None,
    ) -> T:
        """Run ``work`` in the scope of the brand owning the unit: a brand's own; for the
        plant, ``tenant`` where two brands number alike, else the one brand that has it."""
        owner = actor.tenant_id or tenant
        if owner is None:
            with self.db.unit(Scope.plant(), actor=actor.name, readonly=True) as uow:
                owner = reads.owner(uow, serial, "serial")
        with self.db.unit(Scope.tenant(owner), actor=actor.name, readonly=not write) as uow:
            return work(uow)

    def _full(self, uow: UnitOfWork, actor: Actor, serial: str) -> Passport:
        unit = reads.visible_unit(uow, actor, serial)
        row = self._ensure(uow, unit)
        return self._assemble(uow, unit, row)

    def _ensure(self, uow: UnitOfWork, unit: SerialUnitRow) -> PassportRow:
        row = uow.session.scalars(select(PassportRow).where(PassportRow.unit_id == unit.id)).first()
        if row is not None:
            return row
        row = PassportRow(
            id=str(uuid.uuid4()),
            unit_id=unit.id,
            serial=unit.serial,
            product_code=unit.product_code,
        )
        uow.session.add(row)
        uow.session.flush()
        uow.record("passport.issued", "passport", row.id, {"serial": unit.serial})
        return row

    def _assemble(self, uow: UnitOfWork, unit: SerialUnitRow, row: PassportRow) -> Passport:
        genealogy = reads.genealogy(uow, unit)
        order = uow.session.get(SalesOrderRow, unit.order_id)
        choices: dict[str, Any] = dict(order.choices) if order else {}
        revision = order.product_revision if order else 1
        product = uow.session.scalars(
            select(ProductRow).where(ProductRow.code == unit.product_code)
        ).first()
        tenant = uow.session.get(TenantRow, unit.tenant_id)
        policy = uow.session.scalars(select(PassportPolicyRow)).first()
        public = [Section(s) for s in policy.sections] if policy else list(DEFAULT_PUBLIC)
        energy, window = self._energy(uow, unit, genealogy)
        recovery = uow.session.scalars(
            select(RecoveryRow).where(RecoveryRow.unit_id == unit.id)
        ).first()
        data = PassportInput(
            passport_id=row.id,
            genealogy=genealogy,
            manufacturer=tenant.name if tenant else unit.tenant_id,
            site=self._site(genealogy),
            model_name=product.name if product else unit.product_code,
            design_revision=revision,
            choices=choices,
            origins=_origins(uow, genealogy),
            energy=energy,
            solar_share=_solar_share(uow, window),
            status=row.status,
            health=self._health(uow, unit, genealogy),
            recovery=({e: v["rate"] for e, v in recovery.elements.items()} if recovery else None),
            public=public,
        )
        passport = assemble(data)
        if unit.status not in FINISHED:
            passport.missing.insert(0, f"identity: unit is {unit.status}, not finished")
            passport.complete = False
        return passport

    def _site(self, genealogy: Genealogy) -> str:
        for machine in genealogy.machines:
            if machine in self.machine_sites:
                return self.machine_sites[machine]
        return self.site

    def _energy(
        self, uow: UnitOfWork, unit: SerialUnitRow, genealogy: Genealogy
    ) -> tuple[list[StepEnergy], tuple[datetime, datetime] | None]:
        """Each operation's electricity for this unit: measured when the machine reported
        ``energy_kwh`` (for the unit in its measurements, or for the whole operation in its
        parameters, shared by the units), else running power x the unit's share of run time."""
        reported = {
            s.sequence: float(s.measurements["energy_kwh"])
            for s in genealogy.steps
            if isinstance(s.measurements.get("energy_kwh"), int | float)
        }
        ops = uow.session.scalars(
            select(OperationRow)
            .where(OperationRow.work_order_id == unit.work_order_id)
            .order_by(OperationRow.sequence)
        ).all()
        steps = []
        starts = [o.started_at for o in ops if o.started_at]
        ends = [o.finished_at for o in ops if o.finished_at]
        for op in ops:
            if op.machine is None:
                continue
            units = max(op.quantity_in, 1)
            if op.started_at and op.finished_at:
                hours = (op.finished_at - op.started_at).total_seconds() / 3600 / units
            else:
                hours = (op.setup_minutes / units + op.run_minutes) / 60
            measured = reported.get(op.sequence)
            whole = op.parameters.get("energy_kwh")
            if measured is None and isinstance(whole, int | float):
                measured = float(whole) / units
            kw = self.machine_kw.get(op.machine)
            steps.append(StepEnergy(op.sequence, op.machine, kw, hours, measured))
        window = (min(starts), max(ends)) if starts and ends else None
        return steps, window

    def _health(self, uow: UnitOfWork, unit: SerialUnitRow, genealogy: Genealogy) -> Health | None:
        rows = list(
            uow.session.scalars(
                select(FieldReportRow)
                .where(FieldReportRow.unit_id == unit.id)
                .order_by(FieldReportRow.at)
            )
        )
        if not rows:
            return None
        good = [r for r in rows if r.status == "accepted" and r.soh is not None]
        flagged = len(rows) - len(good)
        if not good:
            return Health(
                state_of_health=None,
                lower=None,
                upper=None,
                cycles=None,
                reports=len(rows),
                flagged_reports=flagged,
                cycles_to_threshold=None,
            )
        start = unit.completed_at or good[0].at
        observations = []
        weighted = 0.0
        for i, r in enumerate(good):
            weighted = (weighted * i + r.temperature_c) / (i + 1)
            years = max((r.at - start).total_seconds() / YEAR_SECONDS, 1e-3)
            observations.append(Observation(years, r.cycles, weighted, min(float(r.soh or 0), 1.0)))
        cell = _cell(genealogy)
        prior = Prior.for_cycle_life(CELLS[cell].cycle_life) if cell else Prior()
        fit = estimate(observations, prior=prior)
        return Health(
            state_of_health=fit.soh,
            lower=fit.lower,
            upper=fit.upper,
            cycles=good[-1].cycles,
            reports=len(rows),
            flagged_reports=flagged,
            cycles_to_threshold=fit.cycles_to_threshold,
        )

    def _report(self, uow: UnitOfWork, actor: Actor, data: FieldReportIn) -> FieldReportPublic:
        unit = reads.visible_unit(uow, actor, data.serial)
        existing = uow.session.scalars(
            select(FieldReportRow).where(FieldReportRow.report_id == data.report_id)
        ).first()
        if existing is not None:
            public = _report_public(existing)
            public.duplicate = True
            public.reason = f"duplicate of report {existing.report_id}; nothing stored"
            return public
        genealogy = reads.genealogy(uow, unit)
        order = uow.session.get(SalesOrderRow, unit.order_id)
        rated = _rated_ah(genealogy, dict(order.choices) if order else {})
        soh = None
        if data.capacity_ah is not None and rated:
            soh = data.capacity_ah / rated
        elif data.soh_percent is not None:
            soh = data.soh_percent / 100
        reasons = self._doubts(uow, unit, data, soh)
        row = FieldReportRow(
            report_id=data.report_id,
            unit_id=unit.id,
            serial=unit.serial,
            at=data.at,
            cycles=data.cycles,
            temperature_c=data.temperature_c,
            capacity_ah=data.capacity_ah,
            soh_percent=data.soh_percent,
            soh=None if soh is None else round(min(soh, 1.0), 4),
            failure=data.failure,
            status="flagged" if reasons else "accepted",
            reason="; ".join(reasons)[:300],
        )
        uow.session.add(row)
        uow.session.flush()
        uow.record(
            f"field_report.{row.status}",
            "serial_unit",
            unit.id,
            {"serial": unit.serial, "report_id": data.report_id, "reason": row.reason},
        )
        return _report_public(row)

    @staticmethod
    def _doubts(
        uow: UnitOfWork, unit: SerialUnitRow, data: FieldReportIn, soh: float | None
    ) -> list[str]:
        reasons = []
        if unit.status not in FINISHED:
            reasons.append(f"unit is {unit.status}, not in the field")
        if unit.completed_at is not None and data.at < unit.completed_at:
            reasons.append("reported before the unit was made")
        if soh is not None and soh > SOH_CEILING:
            reasons.append(f"capacity {soh:.0%} of rating is beyond measuring error")
        if soh is None:
            reasons.append("no capacity or state of health reported")
        earlier = uow.session.scalar(
            select(func.max(FieldReportRow.cycles)).where(
                FieldReportRow.unit_id == unit.id,
                FieldReportRow.status == "accepted",
                FieldReportRow.at <= data.at,
            )
        )
        if earlier is not None and data.cycles < earlier:
            reasons.append(f"cycles went back from {earlier} to {data.cycles}")
        return reasons

    def _claim(self, uow: UnitOfWork, actor: Actor, data: ClaimIn) -> ClaimPublic:
        unit = reads.visible_unit(uow, actor, data.serial)
        row = uow.session.scalars(
            select(ClaimRow).where(ClaimRow.claim_id == data.claim_id)
        ).first()
        if row is None:
            order = uow.session.get(SalesOrderRow, unit.order_id)
            row = ClaimRow(
                claim_id=data.claim_id,
                unit_id=unit.id,
                serial=unit.serial,
                kind=data.kind,
                symptom=data.symptom,
                product_code=unit.product_code,
                design_revision=order.product_revision if order else 1,
                at=data.at or utcnow(),
            )
            uow.session.add(row)
            uow.session.flush()
            uow.record(
                "claim.filed",
                "serial_unit",
                unit.id,
                {
                    "serial": unit.serial,
                    "kind": row.kind,
                    "symptom": row.symptom,
                    "product": row.product_code,
                    "design_revision": row.design_revision,
                },
            )
        return ClaimPublic(
            claim_id=row.claim_id,
            serial=row.serial,
            kind=row.kind,
            symptom=row.symptom,
            product=row.product_code,
            design_revision=row.design_revision,
            at=row.at,
        )


def _impossible(data: FieldReportIn) -> list[Problem]:
    problems = []
    if data.cycles < 0:
        problems.append(Problem("cycles", "negative cycle count", "out_of_range"))
    if data.soh_percent is not None and not 0 <= data.soh_percent <= 100:
        problems.append(Problem("soh_percent", "state of health outside 0..100 %", "out_of_range"))
    if data.capacity_ah is not None and data.capacity_ah <= 0:
        problems.append(Problem("capacity_ah", "capacity must be positive", "out_of_range"))
    if not -40 <= data.temperature_c <= 100:
        problems.append(
            Problem("temperature_c", "temperature outside -40..100 degC", "out_of_range")
        )
    return problems


def _report_public(row: FieldReportRow) -> FieldReportPublic:
    return FieldReportPublic(
        report_id=row.report_id,
        serial=row.serial,
        at=row.at,
        cycles=row.cycles,
        temperature_c=row.temperature_c,
        capacity_ah=row.capacity_ah,
        soh_percent=row.soh_percent,
        status=row.status,
        reason=row.reason,
    )


def _cell(genealogy: Genealogy) -> str | None:
    return next((m.material for m in genealogy.lots if m.material in CELLS), None)


def _rated_ah(genealogy: Genealogy, choices: Mapping[str, Any]) -> float | None:
    cell = _cell(genealogy)
    parallel = choices.get("parallel")
    if cell is None or not isinstance(parallel, int | float):
        return None
    return float(parallel) * CELLS[cell].capacity_ah


def _parts(genealogy: Genealogy) -> list[Part]:
    return [
        Part(link.material, link.quantity * MATERIALS[link.material].kg_per_unit)
        for link in genealogy.lots
        if link.material in MATERIALS
    ]


def _origins(uow: UnitOfWork, genealogy: Genealogy) -> dict[tuple[str, str], LotOrigin]:
    keys = {(m.material, m.lot) for m in genealogy.lots}
    if not keys:
        return {}
    lots = {m.lot for m in genealogy.lots}
    recovered = {
        (m, lot)
        for m, lot in uow.session.execute(
            select(RecoveredLotRow.material, RecoveredLotRow.lot).where(
                RecoveredLotRow.lot.in_(lots)
            )
        )
    }
    suppliers = {
        (m, lot): name
        for m, lot, name in uow.session.execute(
            select(MaterialLotRow.material, MaterialLotRow.lot, SupplierRow.name)
            .join(PurchaseOrderRow, PurchaseOrderRow.id == MaterialLotRow.purchase_order_id)
            .join(SupplierRow, SupplierRow.code == PurchaseOrderRow.supplier)
            .where(MaterialLotRow.lot.in_(lots))
        )
    }
    delivered = {  # lots received without a purchase order: the delivery note's supplier
        (m, lot): name
        for m, lot, name in uow.session.execute(
            select(MaterialLotRow.material, MaterialLotRow.lot, SupplierRow.name)
            .join(SupplierRow, SupplierRow.code == MaterialLotRow.supplier)
            .where(MaterialLotRow.lot.in_(lots), MaterialLotRow.purchase_order_id.is_(None))
        )
    }
    out = {}
    for key in keys:
        if key in recovered:
            out[key] = LotOrigin("recovered from returned units (OpenFab)", recycled=True)
        else:
            out[key] = LotOrigin(suppliers.get(key) or delivered.get(key))
    return out


def _solar_share(uow: UnitOfWork, window: tuple[datetime, datetime] | None) -> float:
    """The plant's PV share of its electricity while the unit was built (site telemetry)."""
    if window is None:
        return 0.0
    sums = dict(
        uow.session.execute(
            select(TelemetryReadingRow.signal, func.sum(TelemetryReadingRow.value))
            .where(
                TelemetryReadingRow.signal.in_(("energy_kwh", "solar_kwh")),
                TelemetryReadingRow.ts >= window[0],
                TelemetryReadingRow.ts <= window[1],
                TelemetryReadingRow.path == TelemetryReadingRow.machine,
            )
            .group_by(TelemetryReadingRow.signal)
        ).all()
    )
    energy = float(sums.get("energy_kwh") or 0.0)
    solar = float(sums.get("solar_kwh") or 0.0)
    return min(solar / energy, 1.0) if energy > 0 else 0.0


def plant_power(layout_file: str | None) -> tuple[dict[str, float], dict[str, str]]:
    """Each machine's running power (kW) and site, from the plant layout (the twin's)."""
    from openfab.twin.layout import parse_layout, sample_layout

    if layout_file:
        import yaml

        from openfab.catalog.sample import load_sample_catalog

        with open(layout_file, encoding="utf-8") as handle:
            layout = parse_layout(
                yaml.safe_load(handle), catalog=load_sample_catalog().work_centers
            )
    else:
        layout = sample_layout()
    kw = {}
    sites = {}
    for machine, info in layout.machines.items():
        running = next((v for k, v in info.work_center.kw.items() if str(k) == "Running"), None)
        if running is not None:
            kw[machine] = float(running)
        sites[machine] = info.path.site
    return kw, sites
