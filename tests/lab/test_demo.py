"""``openfab lab cell`` and ``openfab lab demo`` on the fast SPM: numbers, files, plots."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from openfab.cli import app

runner = CliRunner()


def test_cell_command_prints_the_measured_properties() -> None:
    result = runner.invoke(app, ["lab", "cell", "--model", "SPM", "--set", "pos_thickness=60"])
    assert result.exit_code == 0, result.output
    assert "Wh/kg" in result.stdout and "plating margin" in result.stdout


def test_cell_command_names_bad_settings() -> None:
    result = runner.invoke(app, ["lab", "cell", "--set", "pos_thickness=999", "--set", "oops"])
    assert result.exit_code == 1
    assert "pos_thickness" in result.stderr and "oops" in result.stderr


def test_demo_campaign_writes_results_and_a_pareto_plot(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = runner.invoke(
        app, ["lab", "demo", "--budget", "4", "--batch", "2", "--model", "SPM", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert len(rows) == 4 and {r["status"] for r in rows} <= {"ok", "failed"}
    for name in ("pareto.png", "progress.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(list((out / "cache").glob("*.json"))) == 4  # every evaluation cached
    assert "Pareto front" in result.stdout
