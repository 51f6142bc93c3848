"""The AI lab over REST: studies, experiments (JSON or CSV), suggestions, models, releases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, status
from fastapi.responses import PlainTextResponse

from openfab.api.deps import CurrentActor, PlatformDep
from openfab.lab.schemas import (
    ExperimentsCreate,
    ExperimentsPublic,
    ModelReportPublic,
    ReleaseCreate,
    ReleasePublic,
    StudiesPublic,
    StudyCreate,
    StudyDetail,
    SuggestionPublic,
    SuggestionRequest,
)

router = APIRouter(prefix="/lab/studies", tags=["lab"])
StudyId = Annotated[str, Path(min_length=1, max_length=36)]
CsvBody = Annotated[str, Body(media_type="text/csv", max_length=5_000_000)]


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="create_study")
def create_study(platform: PlatformDep, actor: CurrentActor, data: StudyCreate) -> StudyDetail:
    """A study from its document (the study YAML's shape); every problem is named."""
    return platform.lab.create_study(actor, data)


@router.get("", operation_id="list_studies")
def list_studies(platform: PlatformDep, actor: CurrentActor) -> StudiesPublic:
    return platform.lab.list_studies(actor)


@router.get("/{study_id}", operation_id="get_study")
def get_study(platform: PlatformDep, actor: CurrentActor, study_id: StudyId) -> StudyDetail:
    return platform.lab.get_study(actor, study_id)


@router.post(
    "/{study_id}/experiments", status_code=status.HTTP_201_CREATED, operation_id="add_experiments"
)
def add_experiments(
    platform: PlatformDep, actor: CurrentActor, study_id: StudyId, data: ExperimentsCreate
) -> ExperimentsPublic:
    """Record runs (all or none); a failed run is ``status: failed`` without results."""
    return platform.lab.add_experiments(actor, study_id, data)


@router.get("/{study_id}/experiments", operation_id="list_experiments")
def list_experiments(
    platform: PlatformDep, actor: CurrentActor, study_id: StudyId
) -> ExperimentsPublic:
    return platform.lab.list_experiments(actor, study_id)


@router.post(
    "/{study_id}/experiments.csv",
    status_code=status.HTTP_201_CREATED,
    operation_id="import_experiments_csv",
)
def import_csv(
    platform: PlatformDep, actor: CurrentActor, study_id: StudyId, body: CsvBody
) -> ExperimentsPublic:
    """Import a results CSV (parameter columns, one per property, optional status/note)."""
    return platform.lab.import_csv(actor, study_id, body)


@router.get(
    "/{study_id}/experiments.csv",
    response_class=PlainTextResponse,
    operation_id="export_experiments_csv",
)
def export_csv(platform: PlatformDep, actor: CurrentActor, study_id: StudyId) -> PlainTextResponse:
    text = platform.lab.export_csv(actor, study_id)
    return PlainTextResponse(text, media_type="text/csv")


@router.post("/{study_id}/suggestions", status_code=status.HTTP_201_CREATED, operation_id="suggest")
def suggest(
    platform: PlatformDep,
    actor: CurrentActor,
    study_id: StudyId,
    request: SuggestionRequest | None = None,
) -> SuggestionPublic:
    """The next batch of designs to run (Sobol until there is enough data, then BO)."""
    return platform.lab.suggest(actor, study_id, request or SuggestionRequest())


@router.get("/{study_id}/models", operation_id="study_models")
def models(
    platform: PlatformDep, actor: CurrentActor, study_id: StudyId
) -> list[ModelReportPublic]:
    """Per property: surrogate kind, cross-validated accuracy and parameter importance."""
    return platform.lab.models(actor, study_id)


@router.get("/{study_id}/pareto", operation_id="study_pareto")
def pareto(platform: PlatformDep, actor: CurrentActor, study_id: StudyId) -> ExperimentsPublic:
    """The feasible runs no other run beats in every objective."""
    return platform.lab.pareto(actor, study_id)


@router.post(
    "/{study_id}/releases", status_code=status.HTTP_201_CREATED, operation_id="release_design"
)
def release(
    platform: PlatformDep, actor: CurrentActor, study_id: StudyId, data: ReleaseCreate
) -> ReleasePublic:
    """To production: the run's design becomes a new revision of the product."""
    return platform.lab.release(actor, study_id, data)
