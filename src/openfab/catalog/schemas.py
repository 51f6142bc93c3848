"""What the catalog service takes and returns (and the API shows)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from openfab.schemas_base import MAX_MEASURE, Measure, RequestModel

Code = Annotated[str, StringConstraints(min_length=1, max_length=64)]
ChoiceValue = (
    Annotated[str, StringConstraints(max_length=64)]
    | Annotated[list[Annotated[str, StringConstraints(max_length=64)]], Field(max_length=50)]
    | Annotated[StrictInt, Field(ge=-int(MAX_MEASURE), le=int(MAX_MEASURE))]
    | None
    | Measure
)
Choices = Annotated[dict[Code, ChoiceValue], Field(max_length=100)]


class ConfigureRequest(RequestModel):
    choices: Choices = Field(default_factory=dict)


class ProductCreate(RequestModel):
    """A product definition document (the same shape as the sample catalog's YAML files)."""

    definition: Annotated[dict[str, Any], Field(max_length=100)]
    note: str = Field(default="", max_length=500)


class ProductPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    code: str
    name: str
    family: str
    status: str
    revision: int
    created_at: datetime


class ProductDetail(ProductPublic):
    definition: dict[str, Any]


class ProductsPublic(BaseModel):
    data: list[ProductPublic]
    count: int
