"""Shipped reference data of the passport: masses, element shares, emission factors, cells.

Small, explicit tables rather than a database of life-cycle inventories: each number names
where it comes from, and a material missing here is reported as unassessed in the passport
instead of silently counted as zero.

Emission factors (kg CO2e per kg of material, cradle to gate):
- Li-ion NMC cells 18.0: 75 kg CO2e/kWh of cell capacity (mid-range of 61-106 kg CO2e/kWh in
  Emilsson & Dahllöf, IVL report C444, 2019) times about 0.24 kWh/kg for 18650/21700 cells.
- Aluminium extrusion (primary) 8.6: European Aluminium, environmental profile report 2018
  (EU consumption mix of primary ingot, extruded). Recycled (remelted) 0.6: same report,
  remelting of post-consumer scrap.
- Nickel 13.0: Nickel Institute life-cycle data, class 1 nickel, 2023 update.
- Copper 4.1: International Copper Association, copper cathode LCA, 2023.
- PC/ABS 3.8: PlasticsEurope eco-profiles (ABS 3.3-3.8, PC 3.4 kg CO2e/kg).
- Electronics (populated boards, BMS) 50.0: order of magnitude of ecoinvent "printed wiring
  board, mounted" datasets (30-100 kg CO2e/kg); an estimate, marked so.
- Corrugated board 0.9: FEFCO/Cepi European database for corrugated products, 2018.
- Polyester fishpaper / PVC heat-shrink 2.5: PlasticsEurope eco-profiles (PET 2.2, PVC 2.0-2.5).
Electricity: EU-27 grid mix 0.25 kg CO2e/kWh (EEA, greenhouse gas intensity of electricity
generation, 2023); rooftop photovoltaics 0.045 kg CO2e/kWh (IPCC AR5 WG3 annex III, median
life-cycle emissions of utility and rooftop PV).

Element shares of the cells (by mass) are derived, not measured: an NMC622 cathode
(LiNi0.6Mn0.2Co0.2O2: Li 7.2 %, Ni 36.3 %, Mn 11.3 %, Co 12.2 % by molar mass) making up 30 %
of a cylindrical cell's mass, copper foil 7 % and aluminium foil 4 % (typical 18650/21700
teardowns report 6-9 % and 3-5 %).
"""

from __future__ import annotations

from dataclasses import dataclass

ELEMENTS = ("Li", "Ni", "Co", "Mn", "Cu", "Al")
"""The key elements recovered and reported (EU 2023/1542 Annex XII names Li, Ni, Co, Cu)."""

GRID_KG_PER_KWH = 0.25
SOLAR_KG_PER_KWH = 0.045


@dataclass(frozen=True)
class MaterialFacts:
    """What the passport knows of one material definition: mass per unit of measure, its
    emission factor (primary and, where a recycled route exists, recycled), element shares."""

    kg_per_unit: float
    kg_co2e_per_kg: float
    recycled_kg_co2e_per_kg: float | None = None
    elements: tuple[tuple[str, float], ...] = ()
    estimated: bool = False
    part: str = "other"
    """The part it ends in at dismantling: cells, casing, interconnect, electronics, other."""


_CELL = (("Li", 0.3 * 0.072), ("Ni", 0.3 * 0.363), ("Co", 0.3 * 0.122), ("Mn", 0.3 * 0.113))
CELL_ELEMENTS = (*_CELL, ("Cu", 0.07), ("Al", 0.04))

MATERIALS: dict[str, MaterialFacts] = {
    "cell_18650_35e": MaterialFacts(0.048, 18.0, elements=CELL_ELEMENTS, part="cells"),
    "cell_21700_50e": MaterialFacts(0.069, 18.0, elements=CELL_ELEMENTS, part="cells"),
    "cell_21700_40t": MaterialFacts(0.068, 18.0, elements=CELL_ELEMENTS, part="cells"),
    "cell_holder": MaterialFacts(0.002, 3.8, part="other"),
    # pure nickel strip 0.15 x 8 mm: 1.2 mm2 x 8.9 g/cm3 = 10.7 g/m
    "nickel_strip": MaterialFacts(0.0107, 13.0, elements=(("Ni", 1.0),), part="interconnect"),
    "fishpaper_insulation": MaterialFacts(0.01, 2.5, part="other"),
    "heat_shrink_wrap": MaterialFacts(0.03, 2.5, part="other"),
    "bms_20a": MaterialFacts(
        0.08, 50.0, elements=(("Cu", 0.2),), estimated=True, part="electronics"
    ),
    "bms_30a": MaterialFacts(
        0.09, 50.0, elements=(("Cu", 0.2),), estimated=True, part="electronics"
    ),
    "bms_smart": MaterialFacts(
        0.11, 50.0, elements=(("Cu", 0.2),), estimated=True, part="electronics"
    ),
    "alu_extrusion": MaterialFacts(1.0, 8.6, 0.6, elements=(("Al", 1.0),), part="casing"),
    "pc_abs_granulate": MaterialFacts(1.0, 3.8, part="casing"),
    "connector_xt60": MaterialFacts(0.01, 4.0, elements=(("Cu", 0.5),), part="interconnect"),
    "connector_anderson": MaterialFacts(0.03, 4.0, elements=(("Cu", 0.6),), part="interconnect"),
    "charge_port": MaterialFacts(0.03, 4.0, elements=(("Cu", 0.3),), part="interconnect"),
    "carton_box": MaterialFacts(0.3, 0.9, part="packaging"),
}


@dataclass(frozen=True)
class CellFacts:
    """A cell type's datasheet values (nominal voltage, capacity, DC internal resistance)."""

    chemistry: str
    nominal_v: float
    capacity_ah: float
    dcir_mohm: float
    cycle_life: int
    """Cycles to 80 % capacity at 25 degC, 0.5C/1C (datasheet class)."""


CELLS: dict[str, CellFacts] = {
    "cell_18650_35e": CellFacts("NMC", 3.6, 3.5, 35.0, 500),
    "cell_21700_50e": CellFacts("NMC", 3.6, 5.0, 22.0, 500),
    "cell_21700_40t": CellFacts("NMC", 3.6, 4.0, 12.0, 250),
}
INTERCONNECT_MOHM_PER_SERIES = 0.4
"""Welded nickel strip between two cell groups (estimate)."""
BMS_MOHM = 5.0
"""MOSFET switches and shunt of a BMS (estimate)."""

RECOVERED_STOCK: dict[str, str] = {"Al": "alu_extrusion"}
"""Recovered elements that return to the plant's own stock (closed loop): casing aluminium
is remelted into extrusion billet by the extrusion partner; the other elements go to a
refiner (open loop) and are reported, not stocked."""
