"""The planner's workbench: order search and record, work orders, units, purchase orders
and the planner's Gantt, each for a brand's staff and the plant's, never across brands."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from openfab.clock import SimulatedClock, running_on
from openfab.platform import Platform
from openfab.store.types import utcnow
from openfab.web import dashboard_data as data
from openfab.web.charts import tick_step, window_ticks
from openfab.web.pages import plant as plant_page
from tests.conftest import PLANT, PlantPeople, TenantPeople
from tests.planning.moves import free_sibling
from tests.web.conftest import email, place_fridge, signed_in


@pytest.fixture(scope="module")
def planned(platform: Platform, shop: TenantPeople) -> dict[str, Any]:
    """Two of the shop's orders (Alice's and Bob's), planned."""
    mine = [place_fridge(platform, shop.alice), place_fridge(platform, shop.bob)]
    platform.planning.plan(PLANT, trigger="test", time_limit=2)
    return {"mine": mine}


def test_order_search_page_finds_by_customer_and_keeps_filters_in_the_url(
    web_app: Any, shop: TenantPeople, planned: dict[str, Any]
) -> None:
    client = signed_in(web_app, email(shop, "planner"))
    alices = planned["mine"][0]
    page = client.get("/factory/orders", params={"q": f"alice@{shop.tenant_id}"})
    assert page.status_code == 200
    assert f'data-order="{alices.number}"' in page.text
    assert f'data-order="{planned["mine"][1].number}"' not in page.text
    assert f"alice@{shop.tenant_id}.example.com" in page.text  # the customer column
    filtered = client.get("/factory/orders", params={"status": "Planned", "late": "no"})
    assert 'value="Planned" selected' in filtered.text
    bad = client.get("/factory/orders", params={"status": "Nope", "placed_from": "01-02"})
    assert bad.status_code == 422
    assert "status" in bad.text and "placed_from" in bad.text


def test_a_brand_never_finds_anothers_order(
    web_app: Any, rival: TenantPeople, planned: dict[str, Any]
) -> None:
    client = signed_in(web_app, email(rival, "planner"))
    number = planned["mine"][0].number
    found = client.get("/factory/orders", params={"q": number})
    assert found.status_code == 200 and f'data-order="{number}"' not in found.text
    assert client.get(f"/factory/orders/{number}").status_code == 404


def test_customers_get_no_workbench(web_app: Any, shop: TenantPeople) -> None:
    client = signed_in(web_app, email(shop, "alice"))
    assert client.get("/factory/orders").status_code == 403
    assert client.get("/factory/gantt").status_code == 403


def test_the_order_record_has_customer_plan_promises_and_events(
    platform: Platform,
    web_app: Any,
    shop: TenantPeople,
    plant: PlantPeople,
    planned: dict[str, Any],
) -> None:
    order = planned["mine"][0]
    page = signed_in(web_app, email(shop, "planner")).get(f"/factory/orders/{order.number}")
    assert page.status_code == 200
    assert f"alice@{shop.tenant_id}.example.com" in page.text
    assert 'id="plan-h"' in page.text and "<svg" in page.text
    assert "order.placed" in page.text  # its events
    assert "/factory/gantt?highlight=" in page.text
    staff = signed_in(web_app, plant.email("planner")).get(f"/factory/orders/{order.id}")
    assert staff.status_code == 200
    assert f"alice@{shop.tenant_id}" not in staff.text  # the plant sees no brand's customer
    assert shop.tenant_id.upper() in staff.text


def test_the_event_log_finds_an_order_by_its_number(
    web_app: Any, shop: TenantPeople, plant: PlantPeople, planned: dict[str, Any]
) -> None:
    number = planned["mine"][1].number
    for who in (
        signed_in(web_app, email(shop, "planner")),
        signed_in(web_app, plant.email("planner")),
    ):
        page = who.get("/dashboard/events", params={"entity": number})
        assert page.status_code == 200 and "order.placed" in page.text


def test_work_orders_units_and_purchase_orders_pages(
    web_app: Any, shop: TenantPeople, plant: PlantPeople, planned: dict[str, Any]
) -> None:
    brand = signed_in(web_app, email(shop, "planner"))
    assert (
        brand.get("/factory/work-orders", params={"q": planned["mine"][0].number}).status_code
        == 200
    )
    assert brand.get("/factory/units", params={"status": "Completed"}).status_code == 200
    assert brand.get("/factory/units", params={"status": "Nope"}).status_code == 422
    assert brand.get("/factory/purchase-orders").status_code == 403  # the plant's buying
    staff = signed_in(web_app, plant.email("planner"))
    assert staff.get("/factory/purchase-orders", params={"late": "yes"}).status_code == 200


def test_the_gantt_shows_a_window_grouped_by_work_center_with_links(
    web_app: Any, shop: TenantPeople, plant: PlantPeople, planned: dict[str, Any]
) -> None:
    number = planned["mine"][0].number
    client = signed_in(web_app, plant.email("planner"))
    page = client.get("/factory/gantt", params={"highlight": number})
    assert page.status_code == 200
    assert 'class="gantt planner"' in page.text
    assert f'href="/factory/orders/{number}"' in page.text  # click-through
    assert (
        'class="bar path"' in page.text
        or "bar late path" in page.text
        or "bar at-risk path" in page.text
    )
    assert "now-line" in page.text
    opened = client.get("/factory/gantt", params={"open": "all", "hours": "8"})
    assert opened.status_code == 200 and 'aria-current="true"' in opened.text
    assert client.get("/factory/gantt", params={"hours": "0", "start": "x"}).status_code == 422
    brand = signed_in(web_app, email(shop, "planner")).get(
        "/factory/gantt", params={"order": number}
    )
    assert brand.status_code == 200 and number in brand.text
    assert 'id="move-h"' not in brand.text  # only the plant's planners move operations


def test_a_planner_moves_an_operation_and_sees_what_moved(
    platform: Platform, web_app: Any, shop: TenantPeople, plant: PlantPeople
) -> None:
    order = place_fridge(platform, shop.alice)
    platform.planning.plan(PLANT, trigger="test", time_limit=2)
    bars = platform.planning.order_plan(PLANT, order.id).rows[0].bars
    first = bars[-1]  # the last step: not started yet
    start = max(first.start_at, utcnow() + timedelta(hours=3))
    other = free_sibling(platform, first, start)
    result = platform.planning.move_operation(
        PLANT, order.number, first.sequence, other, start, time_limit=2
    )
    after = platform.planning.order_plan(PLANT, order.id).rows[0].bars
    moved = [b for b in after if b.sequence == first.sequence]
    assert all(b.machine == other for b in moved)
    assert moved[0].start_at >= start - timedelta(minutes=1)
    assert any(m.order_number == order.number for m in result.moved)
    assert result.pin.machine == other and result.pin.order_number == order.number
    client = signed_in(web_app, plant.email("planner"))
    page = client.get(
        "/factory/gantt", params={"order": order.number, "start": f"{start:%Y-%m-%dT%H:%M}"}
    )
    assert 'id="pin-list"' in page.text and order.number in page.text
    pinned_bar = rf'class="bar[^"]*\bpinned\b[^"]*" data-order="{order.number}"'
    assert re.search(pinned_bar, page.text)
    released = client.post(f"/factory/gantt/pins/{result.pin.id}/release", follow_redirects=False)
    assert released.status_code == 303
    assert result.pin.id not in {p.id for p in platform.planning.pins(PLANT)}
    bad = client.post(
        "/factory/gantt/move",
        {"order": order.number, "sequence": "99", "machine": "nope-1", "start": "2000-01-01T00:00"},
    )
    assert bad.status_code == 422
    assert "sequence" in bad.text and "machine" in bad.text and "start" in bad.text
    assert page.status_code == 200


@pytest.mark.parametrize("hours", [1, 8, 24, 50, 168, 24 * 31])
def test_the_axis_has_at_most_a_dozen_ticks_at_every_zoom(hours: int) -> None:
    start = utcnow()
    ticks = window_ticks(start, start + timedelta(hours=hours))
    assert 1 <= len(ticks) <= 12 or tick_step(timedelta(hours=hours)) == timedelta(days=7)
    assert "-" in ticks[0][1]  # the first tick names its day
    days = [label for tick, label in ticks if tick.hour == 0 and tick.minute == 0]
    assert all("-" in label for label in days)  # and so does every midnight


def test_decisions_say_why_and_which_of_the_readers_promises_moved(
    platform: Platform, shop: TenantPeople, rival: TenantPeople
) -> None:
    order = place_fridge(platform, shop.alice)
    platform.planning.plan(PLANT, trigger="autopilot: 1× order.placed (events #1–#1)", time_limit=2)
    mine = data.explained(platform, shop.planner)[0]
    assert mine.event.type == "schedule.planned"
    assert mine.reasons[0].key == "why.order.placed"
    assert mine.reasons[0].values["count"] == 1
    assert mine.tardiness_hours is not None  # minutes × weight, shown in hours
    numbers = {m.number for m in mine.moves}
    assert numbers <= {o.number for o in platform.orders.list(shop.planner, limit=500).data}
    theirs = data.explained(platform, rival.planner)[0]
    assert theirs.event.seq == mine.event.seq
    assert order.number not in {m.number for m in theirs.moves}  # never another brand's


@pytest.mark.parametrize(
    ("trigger", "key"),
    [
        ("autopilot: 2× order.placed, 1× machine.down (events #5–#9)", "why.order.placed"),
        ("autopilot: cadence", "why.cadence"),
        ("requested by plant:someone", "why.requested"),
        ("planner moved an operation to press-1 at 2026-01-01 10:00 UTC", "why.moved"),
        ("something new", "why.other"),
    ],
)
def test_triggers_read_as_reasons(platform: Platform, trigger: str, key: str) -> None:
    assert data.reasons(platform, trigger)[0].key == key


def test_a_quiet_plant_computes_its_tiles_up_to_its_last_activity(platform: Platform) -> None:
    assert not data.plant_window(platform).quiet  # other tests wrote events just now
    later = SimulatedClock(utcnow() + timedelta(hours=3))
    with running_on(later):
        window = data.plant_window(platform)
    assert window.quiet and window.end < later.now() - timedelta(hours=2)
    assert data.as_of(window).startswith("@ ")


def test_a_machine_state_reported_long_ago_is_stale() -> None:
    now = utcnow()
    old = data.MachineState(
        "press-1", "Running", since=now - timedelta(hours=2), source="execution"
    )
    fresh = data.MachineState(
        "press-2", "Running", since=now - timedelta(minutes=5), source="execution"
    )
    planned = data.MachineState("press-3", "Idle")
    assert data.stale(old, now) and not data.stale(fresh, now) and not data.stale(planned, now)


def test_the_dashboard_links_tiles_and_explains_an_empty_purchase_panel(
    platform: Platform, web_app: Any, plant: PlantPeople
) -> None:
    page = signed_in(web_app, plant.email("planner")).get("/dashboard")
    assert page.status_code == 200
    assert 'href="/factory/orders?late=yes"' in page.text
    assert "/factory/gantt" in page.text  # the planner's Gantt from the panel
    context = plant_page.purchase_orders(platform, plant.planner)
    if not context["orders"]:
        assert "last_run" in context


def test_event_rows_link_to_their_order(
    web_app: Any, shop: TenantPeople, planned: dict[str, Any]
) -> None:
    number = planned["mine"][0].number
    page = signed_in(web_app, email(shop, "planner")).get(
        "/dashboard/events", params={"entity": number}
    )
    assert f'href="/factory/orders/{number}"' in page.text


def test_the_schedulers_reasons_name_steps_not_ids() -> None:
    from openfab.web.pages.workbench import readable_reason

    mine, other = "0dcaeab6-4fbb-431f-87a9-2d66f127937c", "ba313c6d-212a-4df4-bc83-9a150e3f9c9f"
    reason = f"waits for {other}/30/1 on its machine; then {mine}/20/2"
    text = readable_reason(reason, mine, lambda step, own: f"{'own' if own else 'other'}:{step}")
    assert text == "waits for other:30 on its machine; then own:20"


def test_a_crowded_closed_row_shows_busy_spans_and_keeps_late_bars() -> None:
    from openfab.web.charts import ChartRow, PlannerBar, planner_gantt_svg

    start = utcnow()
    bars = [
        PlannerBar(
            f"press-{k % 3 + 1}",
            start + timedelta(minutes=10 * k),
            start + timedelta(minutes=10 * k + 30),
            f"SO-{k}",
            10,
            f"SO-{k}",
            late=k == 5,
        )
        for k in range(100)
    ]
    rows = [ChartRow("wc:press", "Press", "press")]
    svg = planner_gantt_svg(
        rows,
        bars,
        [],
        start=start,
        end=start + timedelta(hours=20),
        now=start,
        title="t",
        label_now="n",
    )
    assert svg.count('class="busy"') == 1  # 99 overlapping bars: one busy span
    assert svg.count("bar-link") == 1 and 'data-order="SO-5"' in svg  # the late one stays


def test_the_gantt_window_is_reused_until_a_plan_or_an_event_changes_it(
    platform: Platform, shop: TenantPeople, planned: dict[str, Any]
) -> None:
    start = utcnow().replace(second=0, microsecond=0) - timedelta(days=1)
    end = start + timedelta(days=60)
    platform.planning._windows.clear()
    first = platform.planning.window(PLANT, start, end)
    kept = len(platform.planning._windows)
    again = platform.planning.window(PLANT, start, end)
    assert len(platform.planning._windows) == kept  # the built window was reused
    assert [b.order_number for b in again.bars] == [b.order_number for b in first.bars]
    newcomer = place_fridge(platform, shop.alice)  # an event: the next read builds anew
    assert newcomer.number not in {b.order_number for b in first.bars}
    platform.planning.window(PLANT, start, end)
    assert len(platform.planning._windows) == kept + 1
    platform.planning.plan(PLANT, trigger="test: the newcomer", time_limit=2)
    replanned = platform.planning.window(PLANT, start, end)
    assert replanned.run is not None and first.run is not None
    assert replanned.run.id != first.run.id
    assert newcomer.number in {b.order_number for b in replanned.bars}
