"""A short run of the whole loop on SQLite: what the twin built is what the MES recorded,
every shipped unit traces to its lots and machines, and the twin's part replays exactly."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from openfab.demo.field import after_shipping
from openfab.demo.report import render
from openfab.demo.run import DemoConfig, DemoResult, replay_twin, run_demo
from openfab.execution.orm import SerialUnitRow
from openfab.execution.states import UnitStatus
from openfab.platform import Platform
from openfab.store.tenancy import Scope

pytestmark = pytest.mark.xdist_group("demo-run")  # one run of the loop serves every test here

CONFIG = DemoConfig(
    days=0.4,
    orders_per_day=60,
    seed=11,
    plan_seconds=2,
    telemetry_minutes=15,
    record_twin=True,
)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    path: Path = tmp_path_factory.mktemp("demo") / "demo.db"
    platform = Platform.open(f"sqlite:///{path}")
    yield platform
    platform.close()


@pytest.fixture(scope="module")
def result(platform: Platform) -> DemoResult:
    return run_demo(platform, CONFIG)


def units_by_status(platform: Platform) -> Counter[str]:
    with platform.db.unit(Scope.plant(), actor="system:test", readonly=True) as uow:
        return Counter(str(s) for s in uow.session.scalars(select(SerialUnitRow.status)))


def test_orders_were_built_shipped_and_no_message_was_refused(result: DemoResult) -> None:
    assert result.kpis.orders > 5
    assert result.kpis.orders_shipped > 0
    assert result.refused == 0
    assert result.audit_ok and result.audit_events > 0
    assert result.telemetry == result.telemetry_written > 0


def test_conservation_the_mes_counts_what_the_twin_built(
    result: DemoResult, platform: Platform
) -> None:
    units = units_by_status(platform)
    twin = result.twin_run
    assert twin is not None
    started = sum(units.values())
    shipped = units[UnitStatus.SHIPPED] + units[UnitStatus.DELIVERED]
    waiting = units[UnitStatus.COMPLETED]  # good, not yet shipped
    in_process = units[UnitStatus.IN_PROCESS]
    assert started == shipped + units[UnitStatus.SCRAPPED] + waiting + in_process
    assert started == twin.units_started
    assert units[UnitStatus.SCRAPPED] == twin.units_scrapped
    assert shipped + waiting == twin.units_good
    assert in_process == twin.units_in_process
    assert shipped > 0


def test_every_shipped_unit_traces_to_lots_and_machines(
    result: DemoResult, platform: Platform
) -> None:
    assert result.kpis.orders_shipped > 0
    with platform.db.unit(Scope.plant(), actor="system:test", readonly=True) as uow:
        serials = list(
            uow.session.scalars(
                select(SerialUnitRow.serial).where(SerialUnitRow.shipped_at.is_not(None))
            )
        )
    assert serials
    for serial in serials:
        genealogy = platform.execution.trace(serial)
        assert genealogy.lots, serial
        assert genealogy.machines, serial
        assert all(step.machine and step.finished_at for step in genealogy.steps), serial


def test_kpi_ratios_are_ratios(result: DemoResult) -> None:
    k = result.kpis
    for value in (k.on_time_delivery, k.oee, k.first_pass_yield, k.solar_share):
        assert value is not None and 0 <= value <= 1
    assert k.order_to_ship_median_h is not None and k.order_to_ship_median_h > 0
    assert all(0 <= v <= 1 for v in result.oee_by_center.values())


def test_order_to_ship_splits_into_time_on_machines_and_waits(result: DemoResult) -> None:
    """Every shipped order's operations were seen: the four parts add up to the mean
    order-to-ship, and time on a machine is part of it but never all of it (a step waits)."""
    k = result.kpis
    shipped = [o for o in result.outcomes if o.shipped]
    assert shipped and all(o.first_start and o.last_finish for o in shipped)
    hours = [(o.shipped - o.placed).total_seconds() / 3600 for o in shipped if o.shipped]
    mean = sum(hours) / len(hours)
    parts = (
        k.to_ship_before_floor_h,
        k.to_ship_working_h,
        k.to_ship_between_steps_h,
        k.to_ship_after_floor_h,
    )
    assert all(p is not None and p >= -1e-9 for p in parts)
    assert sum(p or 0 for p in parts) == pytest.approx(mean)
    assert k.to_ship_working_h is not None and 0 < k.to_ship_working_h < mean


def test_the_twin_part_replays_exactly(result: DemoResult) -> None:
    digest, run = replay_twin(CONFIG, result.twin_trace, twin=result.twin_config)
    assert digest == result.twin_digest
    assert run == result.twin_run


def test_report_has_every_chart(result: DemoResult) -> None:
    page = render(result)
    assert page.count("<svg") == 4
    for heading in ("Orders and shipments", "OEE per work center", "Energy", "Gantt"):
        assert heading in page


def test_after_shipping_every_unit_has_a_passport_packs_report_and_returns_are_recycled(
    result: DemoResult, platform: Platform
) -> None:
    """Right after the run: every battery pack's passport complete (supplier of every lot,
    the opening stock's from its delivery note), the packs' first field reports
    applied through the gateway with a state of health near new, returns recycled into
    stock lots."""
    later = datetime.now(UTC)
    field = after_shipping(platform, now=later, seed=CONFIG.seed)
    assert field.shipped > 0 and field.passports_issued >= field.shipped
    assert field.checked > 0 and field.complete == field.checked, field.incomplete
    assert field.reports > 0 and field.reports_refused == 0
    assert field.soh and all(
        0.9 < soh <= 1.0 and low <= soh <= high for soh, low, high in field.soh
    )
    assert field.returned and field.lots
    assert all(0 < r <= 1 for rates in field.recovery.values() for r in rates)
    again = after_shipping(platform, now=later, seed=CONFIG.seed)
    assert again.passports_issued == 0 and again.reports == 0  # idempotent: nothing twice
