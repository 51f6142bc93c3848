"""``openfab lab suggest`` by hand: an empty results file, a filled one, a broken one."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from typer.testing import CliRunner

from openfab.cli import app

runner = CliRunner()
STUDY = """\
parameters:
  - {name: x1, type: continuous, low: 0.0, high: 1.0}
  - {name: solvent, type: categorical, values: [A, B]}
objectives:
  - {name: energy_density, goal: maximize}
constraints:
  - {type: mixture, parameters: [x1, x2, x3], total: 1.0}
"""


def _files(tmp_path: Path, rows: str) -> tuple[str, str]:
    study, results = tmp_path / "study.yaml", tmp_path / "results.csv"
    study.write_text(STUDY)
    results.write_text("x1,solvent,x2,x3,energy_density,status\n" + rows)
    return str(study), str(results)


def _designs(stdout: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(stdout)))


def _check(designs: list[dict[str, str]], n: int) -> None:
    assert len(designs) == n
    for d in designs:
        assert list(d) == ["x1", "solvent", "x2", "x3"]
        assert abs(float(d["x1"]) + float(d["x2"]) + float(d["x3"]) - 1.0) < 1e-6
        assert d["solvent"] in ("A", "B")


def test_suggest_on_a_header_only_csv(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lab", "suggest", *_files(tmp_path, ""), "-n", "4", "--seed", "3"])
    assert result.exit_code == 0, result.output
    _check(_designs(result.stdout), 4)


def test_suggest_with_results_uses_the_model(tmp_path: Path) -> None:
    rows = "".join(
        f"{a},{s},{b},{round(1 - a - b, 6)},{e},ok\n"
        for a, s, b, e in [
            (0.2, "A", 0.3, 1.0),
            (0.5, "B", 0.25, 2.1),
            (0.7, "A", 0.1, 2.0),
            (0.1, "B", 0.6, 0.9),
            (0.4, "A", 0.4, 1.5),
        ]
    )
    rows += "0.9,B,0.05,0.05,,failed\n"
    result = runner.invoke(
        app, ["lab", "suggest", *_files(tmp_path, rows), "-n", "2", "--seed", "1"]
    )
    assert result.exit_code == 0, result.output
    _check(_designs(result.stdout), 2)
    assert "qLogNEI" in result.stderr


def test_suggest_names_every_bad_value_and_exits_1(tmp_path: Path) -> None:
    rows = "0.2,A,0.3,0.5,lots,ok\n0.3,Z,0.3,0.4,,ok\n"
    result = runner.invoke(app, ["lab", "suggest", *_files(tmp_path, rows)])
    assert result.exit_code == 1
    for expected in ("row 1.energy_density", "row 2.solvent", "row 2.energy_density"):
        assert expected in result.stderr
