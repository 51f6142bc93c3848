"""What the demand service takes and returns (and the API shows)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field

from openfab.schemas_base import Quantity, RequestModel

MaterialCode = Annotated[str, Field(min_length=1, max_length=64)]


class ExpectedUseIn(RequestModel):
    """The plant's expected use per day of each material (in the material's own unit): the
    prior demand sensing starts from. Replaces the whole set; a material left out has none."""

    per_day: dict[MaterialCode, Annotated[Quantity, Field(ge=0)]] = Field(max_length=2000)


class ExpectedUsePublic(BaseModel):
    per_day: dict[str, Decimal]
    credibility_days: float = Field(description="The prior weighs as much as this many days")
    min_history_days: int = Field(
        description="Days of history before its error replaces the prior's in safety stock"
    )
    cv: float = Field(description="Assumed coefficient of variation of daily use (prior)")
    updated_at: datetime | None = None
    set_by: str | None = None
