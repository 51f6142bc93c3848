"""The plant layout: the sample plant runs the scheduler's machines; bad files name the fault."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from openfab.catalog.definition import WorkCenter
from openfab.catalog.sample import load_sample_catalog
from openfab.errors import InvalidInput
from openfab.planning.shopfloor import machine_ids
from openfab.twin import MachineState, PlantLayout, load_layout, parse_layout
from tests.twin.conftest import small_layout_data


def test_sample_plant_has_the_schedulers_machines(plant: PlantLayout) -> None:
    """Every machine the scheduler plans with exists in the twin under the same name."""
    catalog = load_sample_catalog().work_centers
    assert set(plant.work_centers) == set(catalog)
    for code, center in catalog.items():
        assert list(plant.work_centers[code].machines) == machine_ids(center)
    assert len(plant.machines) == sum(c.machines for c in catalog.values())


def test_machines_know_their_place_in_the_hierarchy(plant: PlantLayout) -> None:
    info = plant.machines["laser_welding-1"]
    assert (info.path.site, info.path.area, info.path.line) == ("plant-1", "batteries", "pack-line")
    assert info.work_center.kw[MachineState.RUNNING] > info.work_center.kw[MachineState.IDLE]
    assert sorted(i.index for i in plant.machines.values()) == list(range(len(plant.machines)))


def test_scaled_plant_continues_the_naming(small_layout: PlantLayout) -> None:
    bigger = small_layout.scaled(3)
    assert bigger.work_centers["press"].machines == tuple(f"press-{i}" for i in range(1, 7))
    assert len(bigger.machines) == 3 * len(small_layout.machines)


def test_layout_file_round_trip(tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "plant.yaml"
    path.write_text(yaml.safe_dump(small_layout_data()))
    layout = load_layout(path)
    assert list(layout.machines) == ["press-1", "press-2", "welder-a"]


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        node: Any = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


WC = ("areas", 0, "lines", 0, "work_centers")


@pytest.mark.parametrize(
    ("change", "loc", "message"),
    [
        # the same machine name in two work centers
        (_set((*WC, 1, "machines"), ["press-1"]), "machine press-1", "duplicate machine"),
        # a work center twice
        (_set((*WC, 1, "code"), "press"), "work center press", "duplicate work center"),
        # a code that cannot be a topic segment
        (_set((*WC, 0, "code"), "press/line"), "code", "must be non-empty"),
        # negative power
        (_set((*WC, 0, "kw"), {"running": -1}), "kw.running", ">= 0"),
        # a state that does not exist
        (_set((*WC, 0, "kw"), {"sleeping": 1}), "kw", "unknown machine state"),
        # no machines
        (_set((*WC, 0, "machines"), 0), "machines", "at least one machine"),
        # a zero tolerance would divide by zero
        (_set((*WC, 0, "parameters", 0, "tolerance"), 0), "tolerance", "> 0"),
        # no areas at all
        (_set(("areas",), []), "areas", "at least one area"),
    ],
)
def test_invalid_layouts_name_the_fault(
    change: Callable[[dict[str, Any]], None], loc: str, message: str
) -> None:
    doc = copy.deepcopy(small_layout_data())
    change(doc)
    with pytest.raises(InvalidInput) as err:
        parse_layout(doc)
    assert any(loc in p.loc and message in p.msg for p in err.value.problems), err.value


def test_unknown_work_center_against_the_catalog() -> None:
    catalog = {"press": WorkCenter("press", "Press", 2, 16)}
    with pytest.raises(InvalidInput) as err:
        parse_layout(small_layout_data(), catalog=catalog)
    problems = {(p.loc, p.code) for p in err.value.problems}
    assert ("work center weld", "unknown") in problems
    assert len(err.value.problems) == 1  # press matches: 2 machines as in the catalog


def test_catalog_machine_count_and_missing_work_center() -> None:
    catalog = {
        "press": WorkCenter("press", "Press", 3, 16),
        "weld": WorkCenter("weld", "Weld", 1, 16),
        "paint": WorkCenter("paint", "Paint", 1, 16),
    }
    with pytest.raises(InvalidInput) as err:
        parse_layout(small_layout_data(), catalog=catalog)
    codes = {(p.loc, p.code) for p in err.value.problems}
    assert codes == {("work center press", "mismatch"), ("work center paint", "missing")}


def test_machine_count_defaults_to_the_catalog() -> None:
    doc = copy.deepcopy(small_layout_data())
    del doc["areas"][0]["lines"][0]["work_centers"][0]["machines"]
    catalog = {"press": WorkCenter("press", "Press", 4, 16), "weld": WorkCenter("weld", "W", 1, 8)}
    layout = parse_layout(doc, catalog=catalog)
    assert len(layout.work_centers["press"].machines) == 4


def test_not_a_mapping() -> None:
    with pytest.raises(InvalidInput):
        parse_layout(["site"])
