"""The comparison is fair: both arms get the same customers' orders at the same moments and
the same machines with the same lives; only OpenFab's parts differ."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from openfab.demo.plants import plant_centers, plant_layout
from openfab.demo.report import render_comparison
from openfab.demo.run import PARTS, DemoConfig, DemoResult, run_demo, twin_config
from openfab.platform import Platform
from openfab.twin import Twin

pytestmark = pytest.mark.xdist_group("demo-compare")
END = datetime(2026, 11, 30, 18, tzinfo=UTC)
SHORT = DemoConfig(days=0.2, orders_per_day=240, seed=3, telemetry_minutes=30, end=END)


@pytest.fixture(scope="module")
def arms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DemoResult]:
    results = {}
    for name, ai in (("baseline", frozenset()), ("openfab", frozenset(PARTS))):
        path: Path = tmp_path_factory.mktemp(name) / "demo.db"
        platform = Platform.open(f"sqlite:///{path}")
        try:
            results[name] = run_demo(platform, replace(SHORT, ai=ai))
        finally:
            platform.close()
    return results


def test_both_arms_get_the_same_orders_at_the_same_moments(arms: dict[str, DemoResult]) -> None:
    def orders(result: DemoResult) -> list[tuple[datetime, int, bool]]:
        return sorted((o.placed, o.quantity, o.express) for o in result.outcomes)

    assert len(arms["baseline"].outcomes) > 5
    assert orders(arms["baseline"]) == orders(arms["openfab"])


def test_the_baseline_quotes_fixed_lead_times_openfab_from_capacity(
    arms: dict[str, DemoResult],
) -> None:
    fixed = {(o.promised - o.placed).days for o in arms["baseline"].outcomes}
    assert fixed <= {3, 6}  # 2 days express or 5 standard, plus a day's shipping
    assert arms["openfab"].kpis.promised_days_mean is not None


def test_the_run_ends_when_asked_and_by_default_now(arms: dict[str, DemoResult]) -> None:
    result = arms["openfab"]
    assert result.config.end == END and result.config.start == END - timedelta(days=0.2)
    assert all(o.placed < END for o in result.outcomes)
    now = datetime.now(UTC)
    assert now - timedelta(minutes=1) <= DemoConfig().ends_now().end <= now  # type: ignore[operator]


@pytest.mark.parametrize("plant", ["dense", "light"])
def test_every_arm_gets_the_same_machines_with_the_same_lives(plant: str) -> None:
    layout = plant_layout(plant_centers("light" if plant == "light" else "dense"))
    twins = [
        Twin(layout, seed=5, config=twin_config(replace(SHORT, ai=ai), frozenset()))
        for ai in (frozenset(), frozenset(PARTS), frozenset({"dispatch"}))
    ]
    first = twins[0].machines
    assert {t.cfg.dispatch for t in twins} == {"fifo", "plan"}
    for twin in twins[1:]:
        assert twin.machines.keys() == first.keys()
        for machine, sim in twin.machines.items():
            lives = (sim.wear, sim.hazard_left, sim.random_left)
            assert lives == (
                first[machine].wear,
                first[machine].hazard_left,
                first[machine].random_left,
            )


def test_the_comparison_report_shows_both_arms(arms: dict[str, DemoResult]) -> None:
    page = render_comparison({"baseline": [arms["baseline"]], "openfab": [arms["openfab"]]})
    for heading in (
        "Order-to-ship distribution",
        "Where each arm lost time",
        "Energy against solar by hour of the day",
        "Gantt excerpts",
    ):
        assert heading in page
    assert page.count("<svg") >= 5  # lead times, lost time, energy, two Gantt excerpts
    assert "setup hours" in page and "waiting for a machine" in page
