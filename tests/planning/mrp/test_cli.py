"""``openfab mrp`` on a scratch database: suppliers, a move, the plan as a table."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from openfab.cli import app


def test_mrp_commands(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    run = runner.invoke(app, ["mrp", "run", "--sample-suppliers", "--db", db])
    assert run.exit_code == 0, run.output
    assert "Material plan of" in run.output and "0 work orders" in run.output
    moved = runner.invoke(
        app, ["mrp", "move", "receive", "hinge_set", "L1", "12", "pcs", "--db", db]
    )
    assert moved.exit_code == 0, moved.output
    stock = runner.invoke(app, ["mrp", "stock", "hinge_set", "--db", db])
    assert "12 pcs" in stock.output
    bad = runner.invoke(app, ["mrp", "move", "scrap", "hinge_set", "L1", "13", "pcs", "--db", db])
    assert bad.exit_code == 4 and "never goes negative" in bad.output
    negative = ["mrp", "move", "--db", db, "count", "hinge_set", "L1", "--", "-1", "pcs"]
    wrong = runner.invoke(app, negative)
    assert wrong.exit_code == 1 and "cannot be negative" in wrong.output
    listed = runner.invoke(app, ["mrp", "suppliers", "--db", db])
    assert "CellSource" in listed.output
