"""``openfab trace SERIAL`` prints a unit's genealogy as a tree; every shipped unit traces to
material lots and machines."""

from __future__ import annotations

from typer.testing import CliRunner

from openfab.cli import app
from openfab.execution.genealogy import missing_links
from openfab.execution.schemas import InspectionReport, OrderShipment, UnitReport
from openfab.execution.states import UnitStatus
from openfab.platform import Platform
from tests.conftest import PLANT, TenantPeople
from tests.execution.conftest import Run, released, run_all

runner = CliRunner()


def test_trace_prints_operations_machines_lots_and_tests(
    platform: Platform, tenant: TenantPeople
) -> None:
    work_order = released(platform, tenant, quantity=2)
    run_all(platform, work_order, until=40)
    units = platform.execution.list_units(tenant.admin, order=work_order.order_id).data
    serial = units[0].serial
    tests = [InspectionReport(characteristic="leak_rate", value=0.8, high=1.0)]
    run_all(
        platform,
        work_order,
        runs={
            50: Run(
                units=(
                    UnitReport(serial=serial, measurements={"power_w": 92.5}, inspections=tests),
                ),
                lot="LOT-EOL-9",
            )
        },
    )
    result = runner.invoke(
        app, ["trace", serial, "--db", platform.db.url, "--tenant", tenant.tenant_id]
    )
    assert result.exit_code == 0, result.output
    text = result.output
    for expected in (
        serial,
        "sheet_metal_press",
        "LOT-EOL-9",
        "leak_rate",
        "pass",
        "power_w=92.5",
        "Completed",
        work_order.number,
    ):
        assert expected in text, expected
    missing = runner.invoke(app, ["trace", "ZZ-ZZ-999999", "--db", platform.db.url])
    assert missing.exit_code == 3
    assert "ZZ-ZZ-999999" in missing.output


def test_every_shipped_unit_traces_to_lots_and_machines(
    platform: Platform, tenant: TenantPeople
) -> None:
    for quantity in (1, 3):
        work_order = run_all(
            platform,
            released(platform, tenant, quantity=quantity),
            runs={10: Run(lot=f"LOT-{quantity}")},
        )
        platform.execution.ship(PLANT, work_order.order_id, OrderShipment())
    shipped = platform.execution.list_units(tenant.admin, status=UnitStatus.SHIPPED, limit=500)
    assert shipped.count >= 4
    for unit in shipped.data:
        genealogy = platform.execution.genealogy(tenant.admin, unit.serial)
        assert missing_links(genealogy) == [], unit.serial
        assert genealogy.lots and genealogy.machines
