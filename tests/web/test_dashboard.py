"""The dashboard's data: KPIs, machine states, decisions, the live feed, and the frame other
domains plug into."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter

from openfab.api.app import create_app
from openfab.connect.store import TelemetryStore
from openfab.connect.telemetry import Reading
from openfab.connect.topics import EquipmentPath
from openfab.demo.telemetry import energy_readings
from openfab.execution.schemas import MachineStateReport, OperationFinish, OperationStart
from openfab.identity.actor import STAFF
from openfab.orders.schemas import OrderTransition
from openfab.planning.schemas import DowntimeCreate
from openfab.platform import Platform
from openfab.settings import Settings
from openfab.store.types import utcnow
from openfab.twin import EnergySample
from openfab.web import dashboard_data as data
from openfab.web import registry
from openfab.web.pages import dashboard, load_pages, plant
from tests.conftest import PLANT, PlantPeople, TenantPeople, make_tenant
from tests.web.conftest import email, place_fridge, signed_in


def ship(platform: Platform, shop: TenantPeople, order_id: str) -> None:
    for status in ("Planned", "InProduction", "Inspected", "Shipped"):
        platform.orders.transition(PLANT, order_id, OrderTransition(status=status))


def test_kpis_show_what_exists_and_a_hint_for_what_does_not(platform: Platform) -> None:
    shop = make_tenant(platform)
    values = {k.key: v for k, v in dashboard.kpi_values(platform, shop.planner)}
    assert values["orders_today"].value == "0"
    assert values["order_to_ship"].value is None and values["order_to_ship"].hint
    oee = values["oee"]  # plant-wide: other tests' shop-floor data may show here
    assert (oee.value is None and oee.hint == "kpi.hint.execution") or oee.value.endswith("%")
    orders = [place_fridge(platform, shop.alice) for _ in range(3)]
    ship(platform, shop, orders[0].id)
    ship(platform, shop, orders[1].id)
    values = {k.key: v for k, v in dashboard.kpi_values(platform, shop.planner)}
    assert values["orders_today"].value == "3"
    assert values["on_time"].value == "100%"  # shipped minutes after ordering
    assert values["on_time"].detail == "n=2"
    assert values["order_to_ship"].value == "0.0 d"


def test_machine_states_follow_downtime_and_the_plan(
    platform: Platform, shop: TenantPeople
) -> None:
    machine = platform.planning.machines()[-1]
    now = utcnow()
    platform.planning.report_downtime(
        PLANT,
        DowntimeCreate(
            machine=machine,
            start_at=now - timedelta(minutes=5),
            end_at=now + timedelta(minutes=30),
            reason="Maintenance: belt",
        ),
    )
    states = {s.machine: s for s in data.machine_states(platform, now)}
    assert len(states) == len(platform.planning.machines())
    assert states[machine].state == "Maintenance"
    later = {s.machine: s for s in data.machine_states(platform, now + timedelta(hours=1))}
    assert later[machine].state in ("Idle", "Running")
    centers = data.by_work_center(platform, list(states.values()))
    assert sum(sum(c.counts.values()) for c in centers) == len(states)


def test_the_live_feed_has_the_tenants_and_the_plants_events_only(
    platform: Platform, shop: TenantPeople, rival: TenantPeople
) -> None:
    start = data.last_seq(platform)
    mine = place_fridge(platform, shop.alice)
    platform.planning.plan(PLANT, trigger="autopilot: 1× order.placed", time_limit=2)
    feed = data.events_after(platform, shop.planner, start)
    types = [e.type for e in feed]
    assert "order.placed" in types and "schedule.planned" in types
    assert [e.seq for e in feed] == sorted(e.seq for e in feed)
    theirs = data.events_after(platform, rival.planner, start)
    assert "schedule.planned" in [e.type for e in theirs]
    assert all(mine.id != e.entity_id for e in theirs)
    assert {e.tenant_id for e in theirs} <= {None, rival.tenant_id}
    assert all(e.type.startswith(data.PLATFORM_FEED) for e in theirs if e.tenant_id is None)
    decisions = data.decisions(platform, shop.planner)
    assert decisions and decisions[0].payload["trigger"] == "autopilot: 1× order.placed"
    assert all("plant:" not in e.actor for e in feed)  # a brand reads no plant staff's name


@pytest.fixture
def short_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dashboard, "STREAM_SECONDS", 1.5)
    monkeypatch.setattr(dashboard, "POLL_SECONDS", 0.2)


def test_server_sent_events_push_new_events(
    platform: Platform, web_app: Any, shop: TenantPeople, short_stream: None
) -> None:
    client = signed_in(web_app, email(shop, "planner"))
    start = data.last_seq(platform)
    order = place_fridge(platform, shop.bob)
    response = client.get(f"/dashboard/stream?after={start}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "event: openfab" in response.text
    assert order.number in response.text
    resumed = client.get("/dashboard/stream", headers={"Last-Event-ID": str(10**9)})
    assert order.number not in resumed.text


def test_the_dashboard_page_renders_every_panel(
    platform: Platform, web_app: Any, shop: TenantPeople, plant: PlantPeople
) -> None:
    place_fridge(platform, shop.alice)
    platform.planning.plan(PLANT, time_limit=2)
    staff = signed_in(web_app, plant.email("planner")).get("/dashboard")
    for key in ("gantt", "machines", "decisions", "purchase_orders", "events"):
        assert f'id="panel-{key}"' in staff.text
    client = signed_in(web_app, email(shop, "planner"))
    page = client.get("/dashboard")
    assert page.status_code == 200
    for key in ("gantt", "machines", "decisions", "events"):
        assert f'id="panel-{key}"' in page.text
    assert 'id="panel-purchase_orders"' not in page.text  # the plant's buying, not a brand's
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page.text
    assert 'data-live-feed="/dashboard/stream?after=' in page.text
    assert client.get("/dashboard/panels/gantt").status_code == 200
    assert client.get("/dashboard/panels/nope").status_code == 404
    assert client.get("/dashboard/audit").status_code == 403  # only admins check the chain
    admin = signed_in(web_app, email(shop, "admin"))
    assert "Chain intact" in admin.get("/dashboard/audit").text


def test_a_domain_adds_its_page_panel_and_kpi_without_touching_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(registry, "_pages", dict(registry._pages))
    monkeypatch.setattr(registry, "_panels", dict(registry._panels))
    monkeypatch.setattr(registry, "_kpis", dict(registry._kpis))
    router = APIRouter()
    registry.register_page(
        registry.WebPage("quality", "/quality", "nav.quality", router, roles=STAFF, order=55)
    )
    registry.register_kpi(
        registry.Kpi("oee", "kpi.oee", lambda p, a: registry.KpiValue("81%"), order=40)
    )
    planner = dashboard_actor()
    keys = [p.key for p in registry.nav_for(planner)]  # other domains' pages may sit between
    assert keys.index("dashboard") < keys.index("quality") < keys.index("events")
    oee = next(k for k in registry.kpis() if k.key == "oee")
    assert oee.compute(None, planner).value == "81%"  # type: ignore[arg-type]
    assert len([k for k in registry.kpis() if k.key == "oee"]) == 1


def dashboard_actor() -> Any:
    from openfab.identity.actor import Actor, Role

    return Actor("user:p@x", "t", "u", frozenset({Role.PLANNER}))


def build(platform: Platform, shop: TenantPeople, *, scrap: bool) -> None:
    """One fridge through every operation of its routing; the last one scraps it or not."""
    order = place_fridge(platform, shop.alice)
    platform.orders.transition(PLANT, order.id, OrderTransition(status="Planned"))
    work = platform.execution.release_order(PLANT, order.id)
    machines = platform.execution.machines()
    moment = utcnow() - timedelta(hours=2)
    for k, op in enumerate(work.operations):
        machine = next(m for m, c in sorted(machines.items()) if c in op.work_centers)
        start = OperationStart(machine=machine, started_at=moment)
        platform.execution.start_operation(PLANT, work.number, op.sequence, start)
        moment += timedelta(minutes=3)
        bad = scrap and k == len(work.operations) - 1
        finish = OperationFinish(
            finished_at=moment, quantity_good=0 if bad else 1, quantity_scrap=1 if bad else 0
        )
        platform.execution.finish_operation(PLANT, work.number, op.sequence, finish)


def test_first_pass_yield_counts_the_units_built_right_the_first_time(
    platform: Platform,
) -> None:
    load_pages()  # the shop floor's tiles replace the placeholders
    shop = make_tenant(platform)

    def fpy() -> Any:
        return {k.key: v for k, v in dashboard.kpi_values(platform, shop.planner)}[
            "first_pass_yield"
        ]

    assert fpy().value is None and fpy().hint == "kpi.hint.execution"
    build(platform, shop, scrap=False)
    build(platform, shop, scrap=True)
    assert fpy().value == "50.0%"
    assert fpy().detail == "1 / 2"


# -- energy and machine health, on a plant of their own (both are plant-wide) --------------
@pytest.fixture
def own_plant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Platform]:
    """A platform no other test writes to, with the tiles' 30 s caches off."""
    monkeypatch.setattr(plant, "OEE_CACHE_SECONDS", 0.0)
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    opened = Platform.open(url, settings=Settings(database_url=url, jwt_secret="p" * 40))
    load_pages()
    yield opened
    opened.close()


def energy_sample(at: datetime, consumed: float, solar: float) -> EnergySample:
    return EnergySample(
        f"energy-{at.timestamp()}", at, "openfab/plant-1/energy", None, 15.0, consumed, solar
    )


def tiles(platform: Platform, actor: Any) -> dict[str, Any]:
    return {k.key: v for k, v in dashboard.kpi_values(platform, actor)}


def test_energy_tiles_read_the_plants_stored_energy(own_plant: Platform) -> None:
    shop = make_tenant(own_plant)
    assert tiles(own_plant, shop.planner)["energy"].hint == "kpi.hint.twin"  # nothing metered
    now = utcnow()
    store = TelemetryStore(own_plant.db.engine)
    store.write(
        [
            *energy_readings(energy_sample(now - timedelta(hours=3), 100.0, 20.0)),
            *energy_readings(energy_sample(now - timedelta(hours=1), 60.0, 20.0)),
            *energy_readings(energy_sample(now - timedelta(days=8), 999.0, 0.0)),  # too old
            Reading("m-1", EquipmentPath(("plant-1", "a", "l", "m1")), "energy_kwh", 7.0, now),
        ]
    )
    shown = tiles(own_plant, shop.planner)
    assert shown["solar_share"].value == "25.0%"  # 40 of 160 kWh, the machine's not counted
    assert shown["energy"].value == "160.0 kWh" and shown["energy"].hint == "kpi.hint.no_units"
    build(own_plant, shop, scrap=False)
    build(own_plant, shop, scrap=True)  # a scrapped unit is no output
    shown = tiles(own_plant, shop.planner)
    assert shown["energy"].value == "160.0 kWh" and shown["energy"].detail == "160.0 kWh / 1"
    assert tiles(own_plant, shop.alice)["energy"].hint == "kpi.hint.unavailable"


def test_machines_show_the_reported_state_since_when_and_health(own_plant: Platform) -> None:
    shop = make_tenant(own_plant)
    reported, planned, quiet = own_plant.planning.machines()[:3]
    now = utcnow()
    own_plant.execution.report_machine_states(
        PLANT,
        [
            (reported, MachineStateReport(state="Running", at=now - timedelta(hours=6))),
            (reported, MachineStateReport(state="Down", at=now - timedelta(hours=3), reason="jam")),
        ],
    )
    own_plant.planning.report_downtime(
        PLANT,
        DowntimeCreate(
            machine=planned,
            start_at=now - timedelta(minutes=5),
            end_at=now + timedelta(hours=1),
            reason="planned maintenance",
        ),
    )
    context = plant.machines(own_plant, shop.planner)
    states = {m.machine: m for m in context["machines"]}
    down = states[reported]
    assert (down.state, down.source, down.detail) == ("Down", "execution", "jam")
    assert down.since is not None and abs(down.since - (now - timedelta(hours=3))) < timedelta(
        seconds=1
    )
    assert down.health == pytest.approx(1 - 3 / 24, abs=0.01)  # broken 3 of the last 24 h
    assert (states[planned].state, states[planned].source) == ("Maintenance", "plan")
    assert (states[quiet].state, states[quiet].since) == ("Idle", None)
    center = next(c for c in context["centers"] if down in c.notable)
    assert center.health == down.health  # the center shows its least healthy machine


def test_the_machines_panel_says_since_when_in_the_pages_language(
    own_plant: Platform,
) -> None:
    shop = make_tenant(own_plant)
    machine = own_plant.planning.machines()[0]
    at = utcnow() - timedelta(minutes=20)
    own_plant.execution.report_machine_states(
        PLANT, [(machine, MachineStateReport(state="Setup", at=at))]
    )
    client = signed_in(create_app(own_plant), email(shop, "planner"))
    client.http.cookies.set("openfab_lang", "ko")
    html = client.get("/dashboard/panels/machines").text
    assert f"{machine} · 준비 교체 · {at:%m-%d %H:%M} UTC부터" in html
    assert 'data-source="execution"' in html and "건전성" in html


@pytest.mark.parametrize(
    ("kwh", "shown"),
    [(0.0, "0.0 kWh"), (158.06, "158.1 kWh"), (999.94, "999.9 kWh"), (4820.0, "4.82 MWh")],
)
def test_energy_fits_a_tile(kwh: float, shown: str) -> None:
    assert plant._kwh(kwh) == shown
