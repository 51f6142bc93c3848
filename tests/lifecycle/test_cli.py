"""``openfab passport show SERIAL [--json]`` on a database with a shipped battery pack."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from openfab.cli import app
from openfab.platform import Platform
from openfab.settings import Settings
from tests.conftest import make_tenant
from tests.lifecycle.conftest import battery_run

runner = CliRunner()


def test_passport_show_prints_the_summary_and_the_aas_json(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    settings = Settings(database_url=url, jwt_secret="test-secret-not-for-production-0123456789")
    platform = Platform.open(url, settings=settings)
    try:
        serial = battery_run(platform, make_tenant(platform), quantity=1).serials[0]
    finally:
        platform.close()
    shown = runner.invoke(app, ["passport", "show", serial, "--db", url])
    assert shown.exit_code == 0, shown.output
    assert serial in shown.output and "kg CO2e" in shown.output and "measured" in shown.output
    exported = runner.invoke(app, ["passport", "show", serial, "--json", "--db", url])
    assert exported.exit_code == 0, exported.output
    document = json.loads(exported.output)
    names = [s["idShort"] for s in document["submodels"]]
    assert "GeneralProductInformation" in names and "SupplyChainDueDiligence" in names
    assert document["assetInformation"]["specificAssetIds"][0]["value"] == serial
    missing = runner.invoke(app, ["passport", "show", "NO-SUCH-1", "--db", url])
    assert missing.exit_code == 3 and "not found" in missing.output
