"""Fixtures of the web tests: a signed-in browser-like client, and for the end-to-end tests a
real uvicorn server in a thread driven by headless Chromium (Debian's, via Playwright)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from openfab.api.app import create_app
from openfab.identity.actor import Actor
from openfab.orders.schemas import OrderCreate, OrderDetail
from openfab.planning.schemas import DowntimeCreate
from openfab.platform import Platform
from openfab.settings import Settings
from openfab.store.types import utcnow
from tests.conftest import PASSWORD, PLANT, TenantPeople, make_tenant

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM = os.environ.get("OPENFAB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FRIDGE = {
    "size": "w60_330",
    "door": "double_door",
    "finish": "white",
    "compressor": "inverter",
    "energy_class": "class_b",
    "display": "led_display",
    "handle": "bar_handle",
    "extras": [],
    "shelves": 3,
}


def email(people: TenantPeople, handle: str) -> str:
    return f"{handle}@{people.tenant_id}.example.com"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "page has no CSRF field"
    return found.group(1)


class WebClient:
    """A TestClient that signs in through the login form and sends the CSRF token."""

    def __init__(self, client: TestClient) -> None:
        self.http = client
        self.csrf = ""

    def login(self, address: str, password: str = PASSWORD) -> Any:
        page = self.http.get("/login")
        self.csrf = csrf_of(page.text)
        return self.post("/login", {"email": address, "password": password, "next": "/"})

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.http.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        body = {"csrf_token": self.csrf, **(data or {})}
        kwargs.setdefault("follow_redirects", False)
        return self.http.post(path, data=body, **kwargs)


@pytest.fixture(scope="module")
def shop(platform: Platform) -> TenantPeople:
    """A brand with the sample catalog, shared by a module's tests (making one takes seconds:
    four argon2 hashes and three products); tests keep to their own orders and ideas."""
    return make_tenant(platform)


@pytest.fixture(scope="module")
def rival(platform: Platform) -> TenantPeople:
    """Another brand, for isolation tests."""
    return make_tenant(platform, samples=False)


@pytest.fixture(scope="session")
def web_app(platform: Platform) -> Any:
    return create_app(platform)


@pytest.fixture
def web(web_app: Any) -> Iterator[WebClient]:
    """A fresh browser-like client (own cookies) per test."""
    with TestClient(web_app, raise_server_exceptions=False) as client:
        yield WebClient(client)


def signed_in(web_app: Any, address: str) -> WebClient:
    client = WebClient(TestClient(web_app, raise_server_exceptions=False))
    response = client.login(address)
    assert response.status_code == 303, response.text
    return client


def place_fridge(platform: Platform, customer: Actor, **changes: Any) -> OrderDetail:
    return platform.orders.place(
        customer, OrderCreate(product="fridge", choices={**FRIDGE, **changes})
    )


# -- end to end ------------------------------------------------------------------------------
@dataclass
class LiveServer:
    url: str
    platform: Platform
    people: TenantPeople
    others: TenantPeople


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _demo_history(platform: Platform, people: TenantPeople) -> None:
    """A little history so the dashboard has something to show: shipped orders, a plan,
    a maintenance window."""
    from openfab.orders.schemas import OrderTransition

    for i in range(4):
        order = place_fridge(platform, people.bob, shelves=2 + i % 2)
        for status in ("Planned", "InProduction", "Inspected", "Shipped"):
            platform.orders.transition(PLANT, order.id, OrderTransition(status=status))
    place_fridge(platform, people.bob, finish="silver")
    _metered_plant(platform, people)
    start = utcnow() + timedelta(hours=2)
    platform.planning.report_downtime(
        PLANT,
        DowntimeCreate(
            machine=platform.planning.machines()[0],
            start_at=start,
            end_at=start + timedelta(hours=4),
            reason="planned maintenance",
        ),
    )


def _metered_plant(platform: Platform, people: TenantPeople) -> None:
    """A day of the plant's energy, as the demo stores it, and two machines' reported states
    (neither running, so the OEE tile stays empty until the floor reports production)."""
    from openfab.connect.store import TelemetryStore
    from openfab.demo.telemetry import energy_readings
    from openfab.execution.schemas import MachineStateReport
    from openfab.twin import EnergySample
    from openfab.twin.topics import site_topic

    now = utcnow()
    samples = [
        EnergySample(
            f"e2e-energy-{k}",
            now - timedelta(hours=k),
            site_topic("plant-1", "energy"),
            None,
            60.0,
            180.0 + 10 * (k % 5),
            60.0 if 8 <= k <= 16 else 0.0,
        )
        for k in range(1, 25)
    ]
    TelemetryStore(platform.db.engine).write([r for s in samples for r in energy_readings(s)])
    down, setup = platform.planning.machines()[1:3]
    platform.execution.report_machine_states(
        PLANT,
        [
            (
                down,
                MachineStateReport(
                    state="Down", at=now - timedelta(minutes=40), reason="spindle jam"
                ),
            ),
            (setup, MachineStateReport(state="Setup", at=now - timedelta(minutes=10))),
        ],
    )


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'web.db'}"
    settings = Settings(database_url=url, jwt_secret="e2e-secret-not-for-production-0123456789")
    platform = Platform.open(url, settings=settings)
    people, others = make_tenant(platform), make_tenant(platform)
    _demo_history(platform, people)
    port = _free_port()
    config = uvicorn.Config(
        create_app(platform),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-e2e", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the web server did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", platform, people, others)
    server.should_exit = True
    thread.join(timeout=10)
    platform.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


SERIOUS = ("serious", "critical")
"""axe-core impacts a page must not have."""


def fits(page: Any, width: int) -> None:
    """No horizontal page scroll: wide tables and charts scroll in their own box."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll} px wide on a {width} px screen"


def accessible(page: Any) -> None:
    """axe-core on the page as it is: no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]
    assert bad == [], f"{page.url}: {bad}"
