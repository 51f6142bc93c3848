"""The battery passport and the lifecycle's inputs and results (API shapes).

Sections follow the submodels of the IDTA 02035 "Digital Battery Passport" series of the
Asset Administration Shell (GeneralProductInformation, CarbonFootprint, TechnicalData with
the performance and durability attributes, ProductCondition, MaterialComposition,
Circularity, SupplyChainDueDiligence) and the attribute list of DIN DKE SPEC 99100. Fields
are snake_case here; :func:`openfab.lifecycle.passport.to_aas` writes them under the
submodels' PascalCase idShorts.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from openfab.schemas_base import RequestModel, Timestamp


class Section(StrEnum):
    """What a tenant may publish, one value per passport section."""

    IDENTITY = "identity"
    CARBON_FOOTPRINT = "carbon_footprint"
    PERFORMANCE = "performance"
    RECYCLED_CONTENT = "recycled_content"
    MATERIALS = "materials"
    DISMANTLING = "dismantling"
    DUE_DILIGENCE = "due_diligence"
    HEALTH = "health"


DEFAULT_PUBLIC = (
    Section.IDENTITY,
    Section.CARBON_FOOTPRINT,
    Section.RECYCLED_CONTENT,
    Section.PERFORMANCE,
)


class Identity(BaseModel):
    """GeneralProductInformation."""

    product_identifier: str = Field(description="The unit's serial number")
    passport_id: str = Field(description="Stable public id (UUID) of the passport")
    battery_category: str = Field(description="LMT: light means of transport (2023/1542)")
    model: str
    model_name: str
    design_revision: int
    manufacturer: str
    manufacturing_place: str
    manufacturing_date: datetime | None
    battery_mass_kg: float
    status: str = Field(description="Original, Returned, Recycled (battery status)")


class CarbonLine(BaseModel):
    material: str
    mass_kg: float
    kg_co2e: float
    recycled: bool


class CarbonFootprint(BaseModel):
    """CarbonFootprint (PCF, cradle to gate, EN ISO 14067-style, simplified)."""

    method: str
    total_kg_co2e: float
    per_kwh_kg_co2e: float | None
    raw_material_kg_co2e: float
    production_kg_co2e: float
    electricity_kwh: float
    solar_share: float = Field(description="Share of the production energy from the plant's PV")
    energy_source: str = Field(description="measured, or rated power x run time")
    unassessed_materials: list[str]
    lines: list[CarbonLine]


class Performance(BaseModel):
    """TechnicalData: performance and durability at manufacture."""

    chemistry: str
    cells_in_series: int
    cells_in_parallel: int
    nominal_voltage_v: float
    rated_capacity_ah: float
    rated_energy_wh: float
    internal_resistance_mohm: float | None
    internal_resistance_source: str = Field(description="measured at end-of-line, or estimated")
    expected_cycle_life: int
    capacity_threshold_for_exhaustion: float = 0.8


class RecycledContent(BaseModel):
    """Circularity/RecycledContent: share of each element from recovered material (0..1)."""

    shares: dict[str, float]
    recycled_mass_kg: float
    total_mass_kg: float
    overall_share: float


class MaterialLine(BaseModel):
    material: str
    lot: str
    quantity: float
    unit: str
    mass_kg: float | None
    supplier: str | None
    recycled: bool


class Materials(BaseModel):
    """MaterialComposition: chemistry, element masses and the lots that went in."""

    chemistry: str
    element_mass_kg: dict[str, float]
    critical_raw_materials: list[str]
    lots: list[MaterialLine]


class DismantlingStep(BaseModel):
    sequence: int
    name: str
    tool: str
    minutes: float
    yields: list[str]


class Dismantling(BaseModel):
    """Circularity/DismantlingInformation and the recovery figures once recycled."""

    steps: list[DismantlingStep]
    recovery: dict[str, float] | None = None


class DueDiligence(BaseModel):
    """SupplyChainDueDiligence: who supplied the lots and what they declared."""

    suppliers: list[str]
    report: str
    third_party_assurance: str | None


class Health(BaseModel):
    """ProductCondition: the latest state of health with its 90 % interval."""

    state_of_health: float | None
    lower: float | None
    upper: float | None
    cycles: int | None
    reports: int
    flagged_reports: int
    cycles_to_threshold: float | None


class Passport(BaseModel):
    """One unit's battery passport; sections a reader may not see are None."""

    id: str
    serial: str
    complete: bool
    missing: list[str]
    identity: Identity | None = None
    carbon_footprint: CarbonFootprint | None = None
    performance: Performance | None = None
    recycled_content: RecycledContent | None = None
    materials: Materials | None = None
    dismantling: Dismantling | None = None
    due_diligence: DueDiligence | None = None
    health: Health | None = None
    public_sections: list[Section]


Name = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class FieldReportIn(RequestModel):
    """What a unit (its BMS, a dealer's tester) reports from the field."""

    report_id: Name
    serial: Name
    at: Timestamp
    cycles: int = Field(description="Full equivalent cycles since manufacture")
    temperature_c: float = Field(description="Mean cell temperature since the last report")
    capacity_ah: float | None = Field(default=None, description="Measured capacity")
    soh_percent: float | None = Field(default=None, description="The BMS's own estimate")
    failure: str = Field(default="", max_length=200, description="A fault code, if any")


class FieldReportPublic(BaseModel):
    report_id: str
    serial: str
    at: datetime
    cycles: int
    temperature_c: float
    capacity_ah: float | None
    soh_percent: float | None
    status: str = Field(description="accepted, or flagged (never used as truth)")
    reason: str
    duplicate: bool = False


class ClaimIn(RequestModel):
    """A warranty claim or field failure against one unit."""

    claim_id: Name
    serial: Name
    kind: Annotated[str, StringConstraints(pattern="^(warranty|field_failure)$")]
    symptom: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    at: Timestamp | None = None


class ClaimPublic(BaseModel):
    claim_id: str
    serial: str
    kind: str
    symptom: str
    product: str
    design_revision: int
    at: datetime


class RevisionClaims(BaseModel):
    """Claims per design revision, for quality: how many units shipped and how many failed."""

    product: str
    design_revision: int
    shipped: int
    claims: int
    field_failures: int
    claim_rate: float
    symptoms: dict[str, int]


class ReturnIn(RequestModel):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class RecoveryIn(RequestModel):
    route: Annotated[str, StringConstraints(pattern="^(hydrometallurgical|pyrometallurgical)$")] = (
        "hydrometallurgical"
    )
    location: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "RECOVERY"


class ElementRecovery(BaseModel):
    element: str
    input_kg: float
    recovered_kg: float
    rate: float
    meets_target: bool


class RecoveryPublic(BaseModel):
    serial: str
    route: str
    target: float
    elements: list[ElementRecovery]
    overall_rate: float
    lots: list[str] = Field(description="Stock lots the recovered material became")
    steps: list[DismantlingStep]


class PublicSectionsIn(RequestModel):
    sections: list[Annotated[Section, Field(strict=False)]] = Field(max_length=len(Section))
