"""The plant planner's prior for demand sensing: expected use of each material per day."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from openfab.store.base import Base
from openfab.store.types import utcnow


class ExpectedUseRow(Base):
    """What the plant expects to use of one material per day (in the material's unit) before
    order history says otherwise. Plant-wide: the plant buys for every brand."""

    __tablename__ = "material_expected_use"

    material: Mapped[str] = mapped_column(ForeignKey("material.code"), primary_key=True)
    per_day: Mapped[Decimal] = mapped_column(Numeric(18, 6, asdecimal=True))
    set_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
