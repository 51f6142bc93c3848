"""The virtual cell (SPM for speed): energy density moves the right way with electrode
thickness, a solver failure is a failed experiment, and evaluations are cached."""

from __future__ import annotations

from pathlib import Path

import pytest

from openfab.errors import InvalidInput
from openfab.lab import cell as cell_module
from openfab.lab.cell import VirtualCell


def test_thicker_electrodes_store_more_energy_per_kg_but_charge_slower() -> None:
    cell = VirtualCell(model="SPM")
    thin = cell.evaluate({"pos_thickness": 50, "neg_thickness": 57})
    thick = cell.evaluate({"pos_thickness": 110, "neg_thickness": 125})
    assert not thin.failed and not thick.failed
    assert thick.wh_per_kg > thin.wh_per_kg * 1.1
    assert thick.wh_per_l > thin.wh_per_l
    assert thick.capacity_ah > 1.8 * thin.capacity_ah
    assert 0 < thick.fast_charge_acceptance <= 1


def test_solver_failure_is_a_failed_experiment(monkeypatch: pytest.MonkeyPatch) -> None:
    import pybamm

    def diverge(*_: object) -> None:
        raise pybamm.SolverError("Maximum number of decreased steps occurred")

    monkeypatch.setattr(cell_module, "_simulate", diverge)
    result = VirtualCell(model="SPM").evaluate({"pos_thickness": 60})
    assert result.failed and "SolverError" in result.reason
    assert result.experiment().failed


def test_evaluations_are_cached_by_design_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, float]] = []

    def fake(design: dict[str, float], model: str, rate: float) -> cell_module.CellResult:
        calls.append(design)
        return cell_module.CellResult(design, wh_per_kg=300.0 + design["pos_thickness"])

    monkeypatch.setattr(cell_module, "_simulate", fake)
    cell = VirtualCell(model="SPM", cache_dir=tmp_path)
    first = cell.evaluate({"pos_thickness": 70})
    again = VirtualCell(model="SPM", cache_dir=tmp_path).evaluate({"pos_thickness": 70.0})
    other = cell.evaluate({"pos_thickness": 71})
    assert (again.design, again.wh_per_kg) == (first.design, 370.0)
    assert other.wh_per_kg == 371.0
    assert len(calls) == 2


def test_unknown_or_out_of_range_design_variables_are_named() -> None:
    with pytest.raises(InvalidInput) as caught:
        VirtualCell(model="SPM").evaluate({"pos_thickness": 500, "colour": 1})
    assert {p.loc for p in caught.value.problems} == {"pos_thickness", "colour"}
