"""``openfab rul``: train then predict, and clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from openfab.maintenance.cli import rul_app
from openfab.maintenance.cmapss import write_cmapss
from openfab.maintenance.fleets import cut_short
from openfab.maintenance.series import Fleet

runner = CliRunner()


def test_train_then_predict(tmp_path: Path, small_fleet: Fleet) -> None:
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    train.write_text(write_cmapss(small_fleet.subset(range(16))))
    cut, _ = cut_short(small_fleet.subset(range(40, 47)), 0)
    test.write_text(write_cmapss(cut))
    model = tmp_path / "model.rul"
    result = runner.invoke(rul_app, ["train", str(train), "-o", str(model), "--method", "linear"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(rul_app, ["predict", str(model), str(test)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "unit,rul,lower,upper"
    assert [int(line.split(",")[0]) for line in lines[1:]] == [u.unit for u in cut.units]
    for line in lines[1:]:
        _, rul, lower, upper = map(float, line.split(","))
        assert lower <= rul <= upper


def test_bad_csv_exits_non_zero_naming_the_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("unit,cycle,setting1,setting2,s1,colour\n1,1,0,0,x,red\n")
    result = runner.invoke(rul_app, ["train", str(bad), "-o", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "missing column 'setting3'" in result.output
    assert "unexpected column 'colour'" in result.output
    assert "Traceback" not in result.output


def test_predict_with_a_non_model_file_fails_cleanly(tmp_path: Path) -> None:
    fake = tmp_path / "model.rul"
    fake.write_text("hello")
    test = tmp_path / "test.csv"
    test.write_text("unit,cycle,setting1,setting2,setting3,s1\n1,1,0,0,0,1\n")
    result = runner.invoke(rul_app, ["predict", str(fake), str(test)])
    assert result.exit_code == 1
    assert "not an OpenFab RUL model file" in " ".join(result.output.split())


def test_missing_file_fails_cleanly(tmp_path: Path) -> None:
    result = runner.invoke(rul_app, ["train", str(tmp_path / "nope.csv"), "-o", "m"])
    assert result.exit_code == 1
    assert "cannot read" in result.output
