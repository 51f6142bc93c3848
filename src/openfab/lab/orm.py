"""Tables of the lab, all tenant-owned: studies, their experiments, the suggestions made and
the designs released to production. Rows are only added (a correction is a new experiment
that supersedes nothing silently), so the event log and the tables tell one story."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openfab.store.base import Base, TenantOwned, Timestamped, new_id


class StudyRow(TenantOwned, Timestamped, Base):
    """A study: its definition document (design space, objectives, constraints)."""

    __tablename__ = "lab_study"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_lab_study_tenant_name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(120))
    definition: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="Active")


class ExperimentRow(TenantOwned, Timestamped, Base):
    """One run of one design; replicates share ``design_key``; a failed run has no results."""

    __tablename__ = "lab_experiment"
    __table_args__ = (UniqueConstraint("study_id", "seq", name="uq_lab_experiment_seq"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    study_id: Mapped[str] = mapped_column(ForeignKey("lab_study.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    design: Mapped[dict[str, Any]]
    design_key: Mapped[str] = mapped_column(String(16), index=True)
    results: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="ok")
    source: Mapped[str] = mapped_column(String(32), default="manual")
    note: Mapped[str] = mapped_column(String(500), default="")


class SuggestionRow(TenantOwned, Timestamped, Base):
    """A batch of designs the optimizer proposed, with how and from how many experiments."""

    __tablename__ = "lab_suggestion"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    study_id: Mapped[str] = mapped_column(ForeignKey("lab_study.id"), index=True)
    designs: Mapped[list[Any]] = mapped_column(JSON)
    predicted: Mapped[list[Any]] = mapped_column(JSON)
    strategy: Mapped[str] = mapped_column(String(64))
    seed: Mapped[int] = mapped_column(Integer)
    experiments_seen: Mapped[int] = mapped_column(Integer)


class ReleaseRow(TenantOwned, Timestamped, Base):
    """A design released to production: the product revision it became, and where it came
    from (study, experiment, measured results)."""

    __tablename__ = "lab_release"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    study_id: Mapped[str] = mapped_column(ForeignKey("lab_study.id"), index=True)
    experiment_id: Mapped[str] = mapped_column(ForeignKey("lab_experiment.id"))
    product_id: Mapped[str] = mapped_column(ForeignKey("product.id"), index=True)
    product_code: Mapped[str] = mapped_column(String(64))
    product_revision: Mapped[int] = mapped_column(Integer)
    specification: Mapped[dict[str, Any]]
