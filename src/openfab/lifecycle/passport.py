"""Pure passport assembly: a unit's genealogy and context in, its battery passport out.

No store, no clock: the service gathers the genealogy, where each lot came from, the energy
of each operation and the plant's solar share, and this module turns them into the
passport's sections (:mod:`.schemas`), its public view and its AAS-aligned JSON.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic.alias_generators import to_pascal

from openfab.execution.schemas import Genealogy
from openfab.lifecycle.factors import (
    BMS_MOHM,
    CELLS,
    ELEMENTS,
    GRID_KG_PER_KWH,
    INTERCONNECT_MOHM_PER_SERIES,
    MATERIALS,
    SOLAR_KG_PER_KWH,
)
from openfab.lifecycle.recovery import dismantling_steps
from openfab.lifecycle.schemas import (
    CarbonFootprint,
    CarbonLine,
    Dismantling,
    DueDiligence,
    Health,
    Identity,
    MaterialLine,
    Materials,
    Passport,
    Performance,
    RecycledContent,
    Section,
)

RESISTANCE_CHARACTERISTICS = ("internal_resistance_mohm", "dcir_mohm", "pack_resistance_mohm")
CRITICAL = ("Co", "Li", "Ni", "Mn", "Cu", "Al")
RECYCLED_REPORTED = ("Co", "Li", "Ni", "Pb", "Al")
"""Elements whose recycled share the passport states (2023/1542 Art. 8 names Co, Li, Ni, Pb;
aluminium is added because the plant's own loop recovers it)."""
SUBMODELS: dict[Section, str] = {
    Section.IDENTITY: "GeneralProductInformation",
    Section.CARBON_FOOTPRINT: "CarbonFootprint",
    Section.PERFORMANCE: "TechnicalData",
    Section.HEALTH: "ProductCondition",
    Section.MATERIALS: "MaterialComposition",
    Section.RECYCLED_CONTENT: "Circularity",
    Section.DISMANTLING: "Circularity",
    Section.DUE_DILIGENCE: "SupplyChainDueDiligence",
}


@dataclass(frozen=True)
class LotOrigin:
    """Where a consumed lot came from: its supplier (None: not on record), or recovered
    from returned units (recycled)."""

    supplier: str | None
    recycled: bool = False


@dataclass(frozen=True)
class StepEnergy:
    """One operation's electricity for this unit: measured, else rated power x run time."""

    sequence: int
    machine: str | None
    kw: float | None
    hours: float
    measured_kwh: float | None = None


@dataclass(frozen=True)
class PassportInput:
    passport_id: str
    genealogy: Genealogy
    manufacturer: str
    site: str
    model_name: str
    design_revision: int
    choices: Mapping[str, Any]
    origins: Mapping[tuple[str, str], LotOrigin]
    energy: Sequence[StepEnergy]
    solar_share: float
    status: str = "Original"
    health: Health | None = None
    recovery: dict[str, float] | None = None
    public: Sequence[Section] = ()
    assurance: str | None = None
    notes: list[str] = field(default_factory=list)


def assemble(data: PassportInput) -> Passport:
    """The full passport (every section); :func:`view` cuts it down for a reader."""
    unit = data.genealogy.unit
    lots = _lines(data)
    missing: list[str] = []
    mass = sum(line.mass_kg or 0.0 for line in lots)
    carbon = _carbon(data, lots, missing)
    performance = _performance(data, missing)
    if performance is not None and carbon.total_kg_co2e and performance.rated_energy_wh:
        carbon.per_kwh_kg_co2e = round(
            carbon.total_kg_co2e / (performance.rated_energy_wh / 1e3), 2
        )
    if unit.completed_at is None:
        missing.append("identity: no manufacturing date (unit not completed)")
    for line in lots:
        if line.supplier is None:
            missing.append(
                f"materials: lot {line.lot} of {line.material} has no supplier on record"
            )
    if not lots:
        missing.append("materials: no lot consumed")
    suppliers = sorted({line.supplier for line in lots if line.supplier})
    chemistry = performance.chemistry if performance else "unknown"
    return Passport(
        id=data.passport_id,
        serial=unit.serial,
        complete=not missing,
        missing=missing,
        identity=Identity(
            product_identifier=unit.serial,
            passport_id=data.passport_id,
            battery_category="LMT",
            model=unit.product_code,
            model_name=data.model_name,
            design_revision=data.design_revision,
            manufacturer=data.manufacturer,
            manufacturing_place=data.site,
            manufacturing_date=unit.completed_at,
            battery_mass_kg=round(mass, 3),
            status=data.status,
        ),
        carbon_footprint=carbon,
        performance=performance,
        recycled_content=_recycled(lots),
        materials=Materials(
            chemistry=chemistry,
            element_mass_kg=_round(element_masses(lots)),
            critical_raw_materials=[e for e in CRITICAL if element_masses(lots).get(e)],
            lots=lots,
        ),
        dismantling=Dismantling(
            steps=dismantling_steps(str(data.choices.get("casing", ""))),
            recovery=data.recovery,
        ),
        due_diligence=DueDiligence(
            suppliers=suppliers,
            report="OECD due-diligence declarations of the suppliers listed, on file at the "
            "manufacturer",
            third_party_assurance=data.assurance,
        ),
        health=data.health,
        public_sections=list(data.public),
    )


def view(passport: Passport, sections: Iterable[Section]) -> Passport:
    """The passport with only ``sections`` filled in (the public view: the tenant's choice)."""
    keep = set(sections)
    cut: dict[str, Any] = {s.value: None for s in Section if s not in keep}
    return passport.model_copy(update=cut | {"missing": [], "public_sections": sorted(keep)})


def to_aas(passport: Passport) -> dict[str, Any]:
    """JSON aligned with the AAS battery-passport submodels: one object per submodel
    (idShort), its elements in PascalCase; sections left out of the view are absent."""
    submodels: dict[str, dict[str, Any]] = defaultdict(dict)
    for section, name in SUBMODELS.items():
        part = getattr(passport, section.value)
        if part is None:
            continue
        body = _pascal(part.model_dump(mode="json"))
        if section is Section.RECYCLED_CONTENT:
            body = {"RecycledContent": body}
        elif section is Section.DISMANTLING:
            body = {"DismantlingInformation": body}
        submodels[name].update(body)
    return {
        "assetInformation": {
            "assetKind": "Instance",
            "globalAssetId": f"urn:uuid:{passport.id}",
            "specificAssetIds": [{"name": "serialNumber", "value": passport.serial}],
        },
        "submodels": [{"idShort": k, "submodelElements": v} for k, v in submodels.items()],
    }


def element_masses(lots: Sequence[MaterialLine]) -> dict[str, float]:
    """Mass of each key element in the consumed lots, kg."""
    totals = dict.fromkeys(ELEMENTS, 0.0)
    for line in lots:
        facts = MATERIALS.get(line.material)
        if facts is None or line.mass_kg is None:
            continue
        for element, share in facts.elements:
            totals[element] += line.mass_kg * share
    return totals


# -- sections ------------------------------------------------------------------------------
def _lines(data: PassportInput) -> list[MaterialLine]:
    lines = []
    for link in data.genealogy.lots:
        facts = MATERIALS.get(link.material)
        origin = data.origins.get((link.material, link.lot), LotOrigin(None))
        lines.append(
            MaterialLine(
                material=link.material,
                lot=link.lot,
                quantity=link.quantity,
                unit=link.unit,
                mass_kg=None if facts is None else round(link.quantity * facts.kg_per_unit, 4),
                supplier=origin.supplier,
                recycled=origin.recycled,
            )
        )
    return lines


def _carbon(data: PassportInput, lots: list[MaterialLine], missing: list[str]) -> CarbonFootprint:
    carbon_lines = []
    unassessed = sorted({line.material for line in lots if line.material not in MATERIALS})
    for line in lots:
        facts = MATERIALS.get(line.material)
        if facts is None or line.mass_kg is None:
            continue
        factor = facts.kg_co2e_per_kg
        if line.recycled and facts.recycled_kg_co2e_per_kg is not None:
            factor = facts.recycled_kg_co2e_per_kg
        carbon_lines.append(
            CarbonLine(
                material=line.material,
                mass_kg=line.mass_kg,
                kg_co2e=round(line.mass_kg * factor, 4),
                recycled=line.recycled,
            )
        )
    if unassessed:
        missing.append(f"carbon_footprint: no emission factor for {', '.join(unassessed)}")
    kwh, source = _electricity(data.energy, missing)
    solar = min(max(data.solar_share, 0.0), 1.0)
    production = kwh * ((1 - solar) * GRID_KG_PER_KWH + solar * SOLAR_KG_PER_KWH)
    raw = sum(line.kg_co2e for line in carbon_lines)
    return CarbonFootprint(
        method="cradle-to-gate, material factors (sources in openfab.lifecycle.factors) + "
        "electricity of the unit's operations (grid mix and on-site PV)",
        total_kg_co2e=round(raw + production, 3),
        per_kwh_kg_co2e=None,
        raw_material_kg_co2e=round(raw, 3),
        production_kg_co2e=round(production, 3),
        electricity_kwh=round(kwh, 3),
        solar_share=round(solar, 4),
        energy_source=source,
        unassessed_materials=unassessed,
        lines=carbon_lines,
    )


def _electricity(steps: Sequence[StepEnergy], missing: list[str]) -> tuple[float, str]:
    """The unit's kWh and where they come from: measured, rated power x run time, or both."""
    total = 0.0
    measured = 0
    for step in steps:
        if step.measured_kwh is not None:
            total += step.measured_kwh
            measured += 1
            continue
        if step.kw is None:
            missing.append(f"carbon_footprint: no rated power for machine of step {step.sequence}")
            continue
        total += step.kw * step.hours
    if not steps:
        missing.append("carbon_footprint: no operation energy")
    if measured == len(steps) and steps:
        return total, "measured"
    return total, "partly measured" if measured else "rated power x run time"


def _performance(data: PassportInput, missing: list[str]) -> Performance | None:
    cells = [m for m in data.genealogy.lots if m.material in CELLS]
    series = _int(data.choices.get("series"))
    parallel = _int(data.choices.get("parallel"))
    if not cells or series is None or parallel is None:
        missing.append("performance: not a battery pack of known cells and layout")
        return None
    cell = CELLS[cells[0].material]
    measured = _measured_resistance(data.genealogy)
    estimated = (
        series * cell.dcir_mohm / parallel + series * INTERCONNECT_MOHM_PER_SERIES + BMS_MOHM
    )
    voltage = series * cell.nominal_v
    capacity = parallel * cell.capacity_ah
    return Performance(
        chemistry=cell.chemistry,
        cells_in_series=series,
        cells_in_parallel=parallel,
        nominal_voltage_v=round(voltage, 2),
        rated_capacity_ah=round(capacity, 3),
        rated_energy_wh=round(voltage * capacity, 1),
        internal_resistance_mohm=round(measured if measured is not None else estimated, 2),
        internal_resistance_source="measured" if measured is not None else "estimated",
        expected_cycle_life=cell.cycle_life,
    )


def _measured_resistance(genealogy: Genealogy) -> float | None:
    for step in reversed(genealogy.steps):
        for test in step.inspections:
            if test.characteristic in RESISTANCE_CHARACTERISTICS and test.value is not None:
                return float(test.value)
        for key in RESISTANCE_CHARACTERISTICS:
            value = step.measurements.get(key)
            if isinstance(value, int | float):
                return float(value)
    return None


def _recycled(lots: Sequence[MaterialLine]) -> RecycledContent:
    total = element_masses(lots)
    recycled = element_masses([line for line in lots if line.recycled])
    shares = {
        e: (recycled.get(e, 0.0) / total[e] if total.get(e) else 0.0) for e in RECYCLED_REPORTED
    }
    mass = sum(line.mass_kg or 0.0 for line in lots)
    recycled_mass = sum(line.mass_kg or 0.0 for line in lots if line.recycled)
    return RecycledContent(
        shares={e: round(v, 4) for e, v in shares.items()},
        recycled_mass_kg=round(recycled_mass, 4),
        total_mass_kg=round(mass, 4),
        overall_share=round(recycled_mass / mass, 4) if mass else 0.0,
    )


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _round(values: Mapping[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in values.items()}


def _pascal(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            to_pascal(k) if k.islower() or "_" in k else k: _pascal(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_pascal(v) for v in value]
    return value
