"""The plants the demo can simulate: the sample plant as shipped, or one where planning matters.

``light`` is the sample catalog's plant as it is (about 160 machines, two shifts a day in the
plan): sized so that at 1,000 orders a day queues stay short and any sensible dispatch is near
ideal. ``dense`` is the same plant run as a busy mass-customization plant is: three shifts and
fewer machines (130), so that at 1,000 orders a day the paint line, where colour changes cost
setups, is the bottleneck: measured over a simulated day, 85.5 % busy under first come first
served (78.8 % when the floor runs colour families together), assembly and end-of-line test
about 81 %, the presses 76 %, everything else below 71 %.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from importlib import resources
from typing import Literal

import yaml

from openfab.catalog.definition import WorkCenter
from openfab.catalog.sample import load_sample_catalog
from openfab.catalog.service import CatalogService
from openfab.identity.actor import Actor
from openfab.twin import PlantLayout, parse_layout

PlantName = Literal["dense", "light"]
PLANT_NAMES: tuple[PlantName, ...] = ("dense", "light")
THREE_SHIFTS = 24.0

DENSE_MACHINES: Mapping[str, int] = {
    "sheet_metal_press": 17,
    "laser_cutting": 2,
    "paint_line": 7,
    "foaming": 8,
    "injection_molding": 2,
    "drum_welding": 6,
    "assembly_line_1": 11,
    "assembly_line_2": 11,
    "cell_sorting": 7,
    "cell_stacking": 9,
    "laser_welding": 11,
    "module_assembly": 9,
    "end_of_line_test": 21,
    "packaging": 9,
}
"""Machines per work center of the dense plant (the light plant's counts are the catalog's)."""

PLANNER = Actor.system("demo-plant-admin")


def plant_centers(plant: PlantName) -> dict[str, WorkCenter]:
    """The work centers of ``plant``: the sample catalog's, with the profile's capacity."""
    sample = load_sample_catalog().work_centers
    if plant == "light":
        return dict(sample)
    return {
        code: replace(center, machines=DENSE_MACHINES[code], hours_per_day=THREE_SHIFTS)
        for code, center in sample.items()
    }


def install_plant(catalog: CatalogService, plant: PlantName) -> dict[str, WorkCenter]:
    """Give the plant's work centers the profile's capacity (idempotent); its work centers."""
    centers = plant_centers(plant)
    capacity = {code: (c.machines, c.hours_per_day) for code, c in centers.items()}
    return dict(catalog.set_capacity(PLANNER, capacity).work_centers)


def plant_layout(centers: Mapping[str, WorkCenter]) -> PlantLayout:
    """The sample plant's layout (areas, lines, power, wear, parameters) with ``centers``'
    machine counts, so the twin has exactly the machines the planner plans on."""
    text = resources.files("openfab.twin.data").joinpath("plant.yaml").read_text(encoding="utf-8")
    return parse_layout(yaml.safe_load(text), catalog=centers)
