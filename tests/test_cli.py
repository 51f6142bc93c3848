"""The command line: exit codes and messages a user sees."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from openfab.cli import app
from openfab.orders.schemas import OrderCreate
from openfab.platform import Platform
from openfab.settings import Settings
from tests.conftest import make_tenant
from tests.orders.test_service import cheapest

runner = CliRunner()


def test_configure_complete_prints_json_with_bom_and_routing() -> None:
    result = runner.invoke(app, ["configure", "fridge", "--complete", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["bom"] and data["routing"] and float(data["price"]) > 0


def test_configure_names_every_problem_and_exits_1() -> None:
    result = runner.invoke(app, ["configure", "fridge", "--set", "warp=9", "--set", "bad"])
    assert result.exit_code == 1
    assert "bad" in result.output


def test_configure_unknown_product_exits_3() -> None:
    result = runner.invoke(app, ["configure", "spaceship"])
    assert result.exit_code == 3
    assert "spaceship" in result.output


def test_demo_then_audit_then_tamper(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    report = tmp_path / "report.html"
    result = runner.invoke(
        app,
        ["demo", "--days", "0.1", "--orders-per-day", "60", "--db", url, "--report", str(report)],
    )
    assert result.exit_code == 0, result.output
    assert "orders placed" in result.output and "intact" in result.output
    assert report.exists()
    assert runner.invoke(app, ["audit", "verify", "--db", url]).exit_code == 0
    with create_engine(url).begin() as conn:
        conn.execute(text("UPDATE event_log SET payload = '{}' WHERE seq = 7"))
    result = runner.invoke(app, ["audit", "verify", "--db", url])
    assert result.exit_code == 1
    assert "#7" in result.output


def test_schedule_solve_reads_a_standard_instance_and_writes_json(tmp_path: Path) -> None:
    instance = tmp_path / "tiny.txt"
    instance.write_text("2 2\n0 3 1 2\n1 2 0 4\n")  # two jobs, two machines
    out = tmp_path / "tiny.json"
    result = runner.invoke(
        app,
        [
            "schedule",
            "solve",
            str(instance),
            "--format",
            "standard",
            "--time-limit",
            "2",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "makespan 7" in result.output  # optimum: J1 0-3 on M0, J2 0-2 on M1, ...
    assert json.loads(out.read_text())["makespan"] == 7


def test_schedule_solve_refuses_an_unknown_format(tmp_path: Path) -> None:
    instance = tmp_path / "tiny.txt"
    instance.write_text("1 1\n0 5\n")
    result = runner.invoke(app, ["schedule", "solve", str(instance), "--format", "xml"])
    assert result.exit_code == 1
    assert "xml" in result.output


def test_schedule_plan_draws_the_plants_gantt(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    platform = Platform.open(url, settings=Settings(database_url=url, jwt_secret="c" * 40))
    people = make_tenant(platform)
    body = OrderCreate(product="fridge", choices=cheapest(platform, people))
    number = platform.orders.place(people.alice, body).number
    platform.close()
    chart = tmp_path / "plan.html"
    args = ["schedule", "plan", "--db", url, "--time-limit", "2", "--gantt", str(chart)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "planned 1 orders" in result.output
    assert number in chart.read_text()
