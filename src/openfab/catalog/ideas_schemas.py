"""What the idea service takes and returns (and the API shows)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from openfab.schemas_base import RequestModel

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=120)]
ProductCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
]


class IdeaStatus(StrEnum):
    PROPOSED = "Proposed"
    PROMOTED = "Promoted"
    DECLINED = "Declined"


class IdeaCreate(RequestModel):
    title: Title
    description: Text
    base_product: ProductCode | None = Field(
        default=None, description="The product the idea builds on, if any"
    )


class CommentCreate(RequestModel):
    body: Text


class IdeaPromotion(RequestModel):
    """A planner turns an idea into a draft product: a copy of a base product, renamed."""

    code: ProductCode
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    base_product: ProductCode | None = Field(
        default=None, description="Defaults to the idea's base product"
    )


class IdeaDecision(RequestModel):
    note: str = Field(default="", max_length=500)


class CommentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    author_name: str
    body: str
    created_at: datetime


class IdeaPublic(BaseModel):
    id: str
    title: str
    description: str
    base_product: str | None
    author_name: str
    status: IdeaStatus
    status_note: str
    product_code: str | None
    votes: int
    comments: int
    voted_by_me: bool
    created_at: datetime
    updated_at: datetime


class IdeaDetail(IdeaPublic):
    comment_list: list[CommentPublic]


class IdeasPublic(BaseModel):
    data: list[IdeaPublic]
    count: int
