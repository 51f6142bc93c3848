"""The lab service: studies, experiments, suggestions and releases per tenant.

Every write is one unit of work with its event. Model fitting and acquisition run between
a read-only unit and the write that stores their answer, so no transaction waits on them.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from openfab.catalog.service import CatalogService
from openfab.errors import Conflict, InvalidInput, NotFound, Problem, ProblemCollector
from openfab.identity.actor import Actor, Role
from openfab.lab.experiments import (
    Experiment,
    check_design,
    check_experiments,
    design_key,
    read_results_csv,
    results_csv,
)
from openfab.lab.orm import ExperimentRow, ReleaseRow, StudyRow, SuggestionRow
from openfab.lab.schemas import (
    ExperimentIn,
    ExperimentPublic,
    ExperimentsCreate,
    ExperimentsPublic,
    ModelReportPublic,
    ReleaseCreate,
    ReleasePublic,
    StudiesPublic,
    StudyCreate,
    StudyDetail,
    StudyPublic,
    SuggestionPublic,
    SuggestionRequest,
)
from openfab.lab.space import Value
from openfab.lab.study import Study, parse_study, study_to_dict
from openfab.store import Database, UnitOfWork
from openfab.store.tenancy import Scope

LAB_WRITERS = (Role.ENGINEER, Role.ADMIN)
LAB_READERS = (Role.ENGINEER, Role.ADMIN, Role.PLANNER)
REPORTS_KEPT = 64


class LabService:
    def __init__(self, db: Database, catalog: CatalogService) -> None:
        self.db = db
        self.catalog = catalog
        self._reports: OrderedDict[str, list[ModelReportPublic]] = OrderedDict()
        """Model reports by the study and results they were fitted to: cross-validation
        takes seconds, and a page shows them on every view."""
        self._lock = threading.Lock()

    # -- studies ---------------------------------------------------------------------------
    def create_study(self, actor: Actor, data: StudyCreate) -> StudyDetail:
        actor.require(*LAB_WRITERS)
        study = parse_study(data.definition)
        document = study_to_dict(study)
        with self.db.unit(Scope.tenant(actor.require_tenant()), actor=actor.name) as uow:
            if uow.session.scalar(select(StudyRow).where(StudyRow.name == study.name)):
                raise Conflict(f"study {study.name!r} already exists")
            row = StudyRow(name=study.name, definition=document)
            uow.session.add(row)
            uow.session.flush()
            uow.record("lab.study_created", "lab_study", row.id, {"name": study.name})
            return self._detail(row, Counter())

    def update_study(self, actor: Actor, study_id: str, data: StudyCreate) -> StudyDetail:
        """A study's new document (a widened range, a new objective, a better name). The
        runs already recorded must still fit it — each one that would not is named — so
        no result is silently orphaned; a run's measurement for a new objective is
        simply not there yet (record it, or the run counts as incomplete)."""
        actor.require(*LAB_WRITERS)
        study = parse_study(data.definition)
        document = study_to_dict(study)
        with self.db.unit(Scope.tenant(actor.require_tenant()), actor=actor.name) as uow:
            row = self._study(uow, study_id)
            clash = uow.session.scalar(
                select(StudyRow).where(StudyRow.name == study.name, StudyRow.id != study_id)
            )
            if clash is not None:
                raise Conflict(f"study {study.name!r} already exists")
            found = ProblemCollector()
            for run in self._experiment_rows(uow, study_id):
                check_design(found, study, run.design, f"runs.{run.seq}")
                _check_range(found, study, run.design, f"runs.{run.seq}")
            found.raise_if_any("recorded runs do not fit the changed study")
            before = row.name
            row.name, row.definition = study.name, document
            uow.record(
                "lab.study_updated", "lab_study", row.id, {"name": study.name, "was": before}
            )
            return self._detail(row, self._counts(uow).get(row.id, Counter()))

    def list_studies(self, actor: Actor) -> StudiesPublic:
        actor.require(*LAB_READERS)
        with self._read(actor) as uow:
            rows = uow.session.scalars(select(StudyRow).order_by(StudyRow.created_at)).all()
            counts = self._counts(uow)
            data = [self._public(r, counts.get(r.id, Counter())) for r in rows]
        return StudiesPublic(data=data, count=len(data))

    def get_study(self, actor: Actor, study_id: str) -> StudyDetail:
        actor.require(*LAB_READERS)
        with self._read(actor) as uow:
            row = self._study(uow, study_id)
            return self._detail(row, self._counts(uow).get(row.id, Counter()))

    # -- experiments -----------------------------------------------------------------------
    def add_experiments(
        self, actor: Actor, study_id: str, data: ExperimentsCreate, *, source: str = "manual"
    ) -> ExperimentsPublic:
        """Record runs, all or none: every bad value in any of them is named."""
        actor.require(*LAB_WRITERS)
        with self._read(actor) as uow:
            study = self._parsed(self._study(uow, study_id))
        experiments = [_experiment(study, e) for e in data.experiments]
        check_experiments(study, experiments)
        return self._store(actor, study_id, experiments, source)

    def import_csv(self, actor: Actor, study_id: str, text: str) -> ExperimentsPublic:
        actor.require(*LAB_WRITERS)
        with self._read(actor) as uow:
            study = self._parsed(self._study(uow, study_id))
        experiments = read_results_csv(study, text)
        if not experiments:
            raise InvalidInput("the CSV holds no experiments", [Problem("body", "no rows")])
        return self._store(actor, study_id, experiments, "csv")

    def _store(
        self, actor: Actor, study_id: str, experiments: Sequence[Experiment], source: str
    ) -> ExperimentsPublic:
        with self.db.unit(Scope.tenant(actor.require_tenant()), actor=actor.name) as uow:
            self._study(uow, study_id)
            seq = uow.session.scalar(
                select(func.coalesce(func.max(ExperimentRow.seq), 0)).where(
                    ExperimentRow.study_id == study_id
                )
            )
            rows = []
            for offset, exp in enumerate(experiments, start=1):
                row = ExperimentRow(
                    study_id=study_id,
                    seq=int(seq or 0) + offset,
                    design=dict(exp.design),
                    design_key=exp.key,
                    results=dict(exp.results),
                    status="failed" if exp.failed else "ok",
                    source=source,
                    note=exp.note[:500],
                )
                uow.session.add(row)
                rows.append(row)
            uow.session.flush()
            for row in rows:
                payload = {"study_id": study_id, "seq": row.seq, "status": row.status}
                uow.record("lab.experiment_recorded", "lab_experiment", row.id, payload)
            return self._experiments_public(uow, study_id, only={r.id for r in rows})

    def list_experiments(self, actor: Actor, study_id: str) -> ExperimentsPublic:
        actor.require(*LAB_READERS)
        with self._read(actor) as uow:
            self._study(uow, study_id)
            return self._experiments_public(uow, study_id)

    def export_csv(self, actor: Actor, study_id: str) -> str:
        study, experiments = self._load(actor, study_id)
        return results_csv(study, experiments)

    # -- models, suggestions, front ------------------------------------------------------------
    def suggest(self, actor: Actor, study_id: str, request: SuggestionRequest) -> SuggestionPublic:
        from openfab.lab.optimizer import Optimizer  # torch: loaded when first needed

        actor.require(*LAB_WRITERS)
        study, experiments = self._load(actor, study_id)
        suggestion = Optimizer(study, seed=request.seed).suggest(experiments, request.n)
        predicted = [
            {k: {"mean": m, "std": s} for k, (m, s) in p.items()} for p in suggestion.predicted
        ]
        with self.db.unit(Scope.tenant(actor.require_tenant()), actor=actor.name) as uow:
            row = SuggestionRow(
                study_id=study_id,
                designs=suggestion.designs,
                predicted=predicted,
                strategy=suggestion.strategy,
                seed=request.seed,
                experiments_seen=len(experiments),
            )
            uow.session.add(row)
            uow.session.flush()
            payload = {"study_id": study_id, "n": request.n, "strategy": suggestion.strategy}
            uow.record("lab.suggested", "lab_suggestion", row.id, payload)
            return SuggestionPublic(
                id=row.id,
                strategy=row.strategy,
                designs=row.designs,
                predicted=row.predicted,
                experiments_seen=row.experiments_seen,
                created_at=row.created_at,
            )

    def models(self, actor: Actor, study_id: str) -> list[ModelReportPublic]:
        from openfab.lab.modelling import property_reports

        study, experiments = self._load(actor, study_id)  # access checked here
        key = hashlib.sha256(repr((study_id, study, experiments)).encode()).hexdigest()
        with self._lock:
            cached = self._reports.get(key)
            if cached is not None:
                self._reports.move_to_end(key)
                return [r.model_copy(deep=True) for r in cached]
        out = []
        for rep in property_reports(study, experiments):
            acc = rep.accuracy
            out.append(
                ModelReportPublic(
                    property=rep.prop,
                    unit=study.unit(rep.prop),
                    kind=rep.kind,
                    points=rep.points,
                    cv_folds=acc.folds if acc else None,
                    cv_r2=acc.r2 if acc else None,
                    cv_rmse=acc.rmse if acc else None,
                    cv_coverage90=acc.coverage90 if acc else None,
                    importance=rep.importance,
                )
            )
        with self._lock:
            self._reports[key] = [r.model_copy(deep=True) for r in out]
            while len(self._reports) > REPORTS_KEPT:
                self._reports.popitem(last=False)
        return out

    def pareto(self, actor: Actor, study_id: str) -> ExperimentsPublic:
        from openfab.lab.modelling import pareto_front

        study, experiments = self._load(actor, study_id)
        keys = {id(e) for e in pareto_front(study, experiments)}
        with self._read(actor) as uow:
            rows = self._experiment_rows(uow, study_id)
            ids = {rows[i].id for i, e in enumerate(experiments) if id(e) in keys}
            return self._experiments_public(uow, study_id, only=ids)

    # -- to production -----------------------------------------------------------------------
    def release(self, actor: Actor, study_id: str, data: ReleaseCreate) -> ReleasePublic:
        """A chosen design becomes a new revision of a product, with its origin on record."""
        actor.require(*LAB_WRITERS)
        with self.db.unit(Scope.tenant(actor.require_tenant()), actor=actor.name) as uow:
            study_row = self._study(uow, study_id)
            exp = uow.session.get(ExperimentRow, data.experiment_id)
            if exp is None or exp.study_id != study_id:
                raise NotFound(f"experiment {data.experiment_id!r} not found in this study")
            if exp.status != "ok":
                raise Conflict(
                    "a failed run cannot be released", [Problem("experiment_id", "failed run")]
                )
            design = ", ".join(f"{k}={_short(v)}" for k, v in exp.design.items())
            note = f"lab study {study_row.name} ({study_id}) run #{exp.seq}: {design}"
            if data.note:
                note = f"{data.note} — {note}"
            product = self.catalog.revise_in(uow, actor, data.product_code, note)
            spec = {
                "study": {"id": study_id, "name": study_row.name},
                "experiment": {"id": exp.id, "seq": exp.seq},
                "design": exp.design,
                "results": exp.results,
                "units": _units(study_row.definition),
            }
            row = ReleaseRow(
                study_id=study_id,
                experiment_id=exp.id,
                product_id=product.id,
                product_code=product.code,
                product_revision=product.revision,
                specification=spec,
            )
            uow.session.add(row)
            uow.session.flush()
            payload = {
                "study_id": study_id,
                "experiment_id": exp.id,
                "product": product.code,
                "revision": product.revision,
            }
            uow.record("lab.design_released", "lab_release", row.id, payload)
            return ReleasePublic.model_validate(row)

    # -- helpers ---------------------------------------------------------------------------
    def _read(self, actor: Actor) -> Any:
        return self.db.unit(Scope.tenant(actor.require_tenant()), actor=actor.name, readonly=True)

    @staticmethod
    def _study(uow: UnitOfWork, study_id: str) -> StudyRow:
        row = uow.session.get(StudyRow, study_id)
        if row is None:
            raise NotFound(f"study {study_id!r} not found")
        return row

    @staticmethod
    def _parsed(row: StudyRow) -> Study:
        return parse_study(row.definition)

    def _load(self, actor: Actor, study_id: str) -> tuple[Study, list[Experiment]]:
        actor.require(*LAB_READERS)
        with self._read(actor) as uow:
            study = self._parsed(self._study(uow, study_id))
            rows = self._experiment_rows(uow, study_id)
            experiments = [
                Experiment(dict(r.design), dict(r.results), r.status == "failed", r.note)
                for r in rows
            ]
        return study, experiments

    @staticmethod
    def _experiment_rows(uow: UnitOfWork, study_id: str) -> list[ExperimentRow]:
        return list(
            uow.session.scalars(
                select(ExperimentRow)
                .where(ExperimentRow.study_id == study_id)
                .order_by(ExperimentRow.seq)
            ).all()
        )

    def _experiments_public(
        self, uow: UnitOfWork, study_id: str, only: set[str] | None = None
    ) -> ExperimentsPublic:
        seen: Counter[str] = Counter()
        data = []
        for row in self._experiment_rows(uow, study_id):
            seen[row.design_key] += 1
            if only is None or row.id in only:
                data.append(
                    ExperimentPublic(
                        id=row.id,
                        seq=row.seq,
                        design=row.design,
                        design_key=row.design_key,
                        results=row.results,
                        status=row.status,
                        source=row.source,
                        note=row.note,
                        replicate=seen[row.design_key],
                        created_at=row.created_at,
                    )
                )
        return ExperimentsPublic(data=data, count=len(data))

    @staticmethod
    def _counts(uow: UnitOfWork) -> dict[str, Counter[str]]:
        counts: dict[str, Counter[str]] = {}
        rows = uow.session.execute(
            select(ExperimentRow.study_id, ExperimentRow.status, func.count()).group_by(
                ExperimentRow.study_id, ExperimentRow.status
            )
        ).all()
        for study_id, status, count in rows:
            counts.setdefault(study_id, Counter())[status] = count
        return counts

    @staticmethod
    def _public(row: StudyRow, counts: Counter[str]) -> StudyPublic:
        return StudyPublic(
            id=row.id,
            name=row.name,
            status=row.status,
            created_at=row.created_at,
            experiments=sum(counts.values()),
            failed=counts.get("failed", 0),
        )

    def _detail(self, row: StudyRow, counts: Counter[str]) -> StudyDetail:
        return StudyDetail(**self._public(row, counts).model_dump(), definition=row.definition)


def _experiment(study: Study, data: ExperimentIn) -> Experiment:
    results: dict[str, Any] = {k: v for k, v in data.results.items() if v is not None}
    declared = set(study.properties)
    found = ProblemCollector()
    for name, value in results.items():  # declared ones are checked with the study's rules
        if name not in declared and isinstance(value, str):
            found.add(f"results.{name}", f"not a number: {value!r}", "not_numeric")
    found.raise_if_any("the experiment is invalid")
    design: dict[str, Value] = dict(data.design)
    for p in study.space.parameters:  # JSON has one number type: integers stay integers
        if p.kind == "integer" and isinstance(design.get(p.name), float):
            value = float(design[p.name])
            design[p.name] = int(value) if value.is_integer() else value
    return Experiment(design, results, data.status == "failed", data.note)


def _check_range(found: ProblemCollector, study: Study, design: dict[str, Any], loc: str) -> None:
    """A recorded run's numbers inside the (changed) study's ranges."""
    for p in study.space.parameters:
        value = design.get(p.name)
        if p.kind == "categorical" or not isinstance(value, int | float):
            continue
        if not p.low <= value <= p.high:
            found.add(
                f"{loc}.{p.name}",
                f"{_short(value)} is outside [{_short(p.low)}, {_short(p.high)}]",
                "out_of_range",
            )


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _units(definition: dict[str, Any]) -> dict[str, str]:
    units = {}
    for group in ("parameters", "objectives"):
        for item in definition.get(group, []):
            if item.get("unit"):
                units[item["name"]] = item["unit"]
    return units


__all__ = ["LabService", "design_key"]
