"""What the lab service takes and returns (and the API shows)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from openfab.schemas_base import MAX_MEASURE, Measure, RequestModel

Name = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Number = Annotated[StrictInt, Field(ge=-int(MAX_MEASURE), le=int(MAX_MEASURE))] | Measure
DesignValue = Number | Annotated[str, StringConstraints(max_length=64)]
ResultValue = Number | Annotated[str, StringConstraints(max_length=64)] | None
"""Loose on purpose: the service names every missing or non-numeric value at once."""


class StudyCreate(RequestModel):
    """A study document (the same shape as a study YAML file)."""

    definition: Annotated[dict[str, Any], Field(max_length=100)]


class StudyPublic(BaseModel):
    id: str
    name: str
    status: str
    created_at: datetime
    experiments: int
    failed: int


class StudyDetail(StudyPublic):
    definition: dict[str, Any]


class StudiesPublic(BaseModel):
    data: list[StudyPublic]
    count: int


class ExperimentIn(RequestModel):
    design: Annotated[dict[Name, DesignValue], Field(max_length=200)]
    results: Annotated[dict[Name, ResultValue], Field(max_length=100)] = Field(default_factory=dict)
    status: Literal["ok", "failed"] = "ok"
    note: str = Field(default="", max_length=500)


class ExperimentsCreate(RequestModel):
    experiments: Annotated[list[ExperimentIn], Field(min_length=1, max_length=10_000)]


class ExperimentPublic(BaseModel):
    id: str
    seq: int
    design: dict[str, Any]
    design_key: str
    results: dict[str, float]
    status: str
    source: str
    note: str
    replicate: int
    created_at: datetime


class ExperimentsPublic(BaseModel):
    data: list[ExperimentPublic]
    count: int


class SuggestionRequest(RequestModel):
    n: int = Field(default=4, ge=1, le=100)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class SuggestionPublic(BaseModel):
    id: str
    strategy: str
    designs: list[dict[str, Any]]
    predicted: list[dict[str, Any]]
    experiments_seen: int
    created_at: datetime


class ModelReportPublic(BaseModel):
    property: str
    unit: str
    kind: str
    points: int
    cv_folds: int | None
    cv_r2: float | None
    cv_rmse: float | None
    cv_coverage90: float | None
    importance: dict[str, float]


class ReleaseCreate(RequestModel):
    experiment_id: Annotated[str, StringConstraints(min_length=1, max_length=36)]
    product_code: Name
    note: str = Field(default="", max_length=300)


class ReleasePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    study_id: str
    experiment_id: str
    product_code: str
    product_revision: int
    specification: dict[str, Any]
    created_at: datetime
