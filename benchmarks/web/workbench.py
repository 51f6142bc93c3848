"""The planner's workbench at a week's volume: server time of the order search, the Gantt
window and the dashboard (target p99 < 200 ms), and first paint of the dashboard and the
order record in headless Chromium.

    .venv/bin/python benchmarks/web/workbench.py                   # 7,000 orders over 7 days
    .venv/bin/python benchmarks/web/workbench.py --orders 700      # a quick look
    .venv/bin/python benchmarks/web/workbench.py --screenshots after --orders 300

Set-up (not measured): a SQLite platform with the demo's three brands, their sample products
and the plant's staff; ``--orders`` orders placed through the order service on a simulated
clock spread evenly over ``--days`` days that end now (a week at 1,000 a day by default),
each a random customer's completed configuration; orders older than ``--open-hours`` are
taken through Planned, InProduction, Inspected and Shipped (so the plant has a week of
history and the open orders a day has), then the open ones are planned once by the planning
service, as the autopilot does. No twin and no telemetry: this measures the pages, not the
demo.

Measured, over loopback HTTP against a real uvicorn server in a thread, by the client (about
0.3 ms of transport): each page ``--rounds`` times, alternating, as the plant's planner and
as a brand's admin; p50 and p99 of the wall time per request. The load average before and
after is printed; measuring waits (up to ``--wait`` s) for the load average to fall to
``--max-load`` (default 3), and gives up otherwise unless ``--force``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as host
import random
import re
import statistics
import tempfile
import threading
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from rich.console import Console
from rich.table import Table

from openfab.api.app import create_app
from openfab.clock import SimulatedClock, running_on
from openfab.demo.brands import BRANDS, DEMO_PASSWORD, ensure_plant_staff, ensure_tenant
from openfab.errors import OpenFabError
from openfab.identity.actor import Actor
from openfab.orders.schemas import OrderCreate, OrderTransition
from openfab.platform import Platform
from openfab.settings import Settings

warnings.simplefilter("ignore")
RESULTS = Path(__file__).parent / "results"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM = os.environ.get("OPENFAB_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PLANNER = "planner@plant.example.com"
BRAND_ADMIN = "admin@nordic-cold.example.com"
console = Console(width=120)
FCP_JS = "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"


def seed(
    orders: int, days: float, open_hours: float, seed: int = 1
) -> tuple[Platform, dict[str, Any]]:
    """A platform with ``orders`` orders over ``days`` days ending now (see the docstring)."""
    folder = Path(tempfile.mkdtemp(prefix="openfab-workbench-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    platform = Platform.open(url, settings=Settings(database_url=url, jwt_secret="w" * 40))
    rng = random.Random(seed)
    plant = ensure_plant_staff(platform)[0]
    people: list[tuple[Actor, list[dict[str, Any]]]] = []
    for tenant_id, name, products in BRANDS:
        admin, *customers = ensure_tenant(platform, tenant_id, name)
        platform.catalog.install_sample_products(admin)
        pool = [
            {
                "product": code,
                "choices": platform.catalog.complete(admin, code, {}).to_dict()["choices"],
            }
            for code in products
        ]
        people += [(c, pool) for c in customers]
    now = datetime.now(UTC)
    start = now - timedelta(days=days)
    step = timedelta(days=days) / max(orders, 1)
    placed: list[tuple[str, datetime]] = []
    timings: dict[str, Any] = {}
    began = time.perf_counter()
    clock = SimulatedClock(start)
    with running_on(clock), console.status(f"placing {orders:,} orders…") as status:
        for i in range(orders):
            clock.advance_to(start + step * i)
            customer, pool = rng.choice(people)
            wish = rng.choice(pool)
            order = platform.orders.place(
                customer,
                OrderCreate(
                    product=wish["product"], choices=wish["choices"], quantity=rng.randint(1, 3)
                ),
            )
            placed.append((order.id, start + step * i))
            if i % 500 == 0:
                status.update(f"placing orders… {i:,}/{orders:,}")
        timings["place_s"] = round(time.perf_counter() - began, 1)
        began = time.perf_counter()
        cutoff = now - timedelta(hours=open_hours)
        old = [oid for oid, at in placed if at < cutoff]
        for k, oid in enumerate(old):
            for target in ("Planned", "InProduction", "Inspected", "Shipped"):
                platform.orders.transition(plant, oid, OrderTransition(status=target))
            if k % 500 == 0:
                status.update(f"shipping the week's older orders… {k:,}/{len(old):,}")
        timings["ship_s"] = round(time.perf_counter() - began, 1)
    began = time.perf_counter()
    with console.status("planning the open orders…"):
        summary = platform.planning.plan(plant, trigger="benchmark: the open orders", time_limit=30)
    timings["plan_s"] = round(time.perf_counter() - began, 1)
    timings["open_orders"] = summary.planned_orders
    timings["operations"] = summary.run.operations
    timings["database"] = url
    return platform, timings


def serve(platform: Platform) -> tuple[uvicorn.Server, str]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(platform), host="127.0.0.1", port=port, log_level="error")
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def signed_in(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the sign-in page"
    response = client.post(
        "/login",
        data={"csrf_token": token.group(1), "email": email, "password": DEMO_PASSWORD, "next": "/"},
    )
    assert response.status_code == 303, response.text[:300]
    return client


def pages(platform: Platform, plant: Actor) -> dict[str, str]:
    """What is measured: a search by customer e-mail part, by number, a filtered list, the
    Gantt's default window and a week, the dashboard, an order record, the REST search."""
    from openfab.orders.search import OrderQuery

    some = platform.orders.search(plant, OrderQuery(q="nordic", limit=1, late=False)).data
    number = some[0].number if some else "SO-"
    return {
        "search: customer": "/factory/orders?q=customer2",
        "search: number": f"/factory/orders?q={number[3:9]}",
        "search: status+late": "/factory/orders?status=Planned&late=no",
        "REST GET /orders?q=": "/orders?q=customer3&limit=50",
        "gantt: default window": "/factory/gantt",
        "gantt: 1 week, all open": "/factory/gantt?hours=168&open=all",
        "dashboard": "/dashboard",
        "order record": f"/factory/orders/{number}",
    }


def time_pages(base: str, urls: dict[str, str], rounds: int) -> dict[str, dict[str, float]]:
    planner, brand = signed_in(base, PLANNER), signed_in(base, BRAND_ADMIN)
    token = httpx.post(
        f"{base}/auth/token", data={"username": BRAND_ADMIN, "password": DEMO_PASSWORD}
    ).json()["access_token"]
    samples: dict[str, list[float]] = {k: [] for k in urls}
    for url in urls.values():  # warm each once (template compile, caches)
        (brand if url.startswith("/orders") else planner).get(url)
    for r in range(rounds):
        for name, url in urls.items():
            if url.startswith("/orders"):
                client, headers = brand, {"Authorization": f"Bearer {token}"}
            else:
                client, headers = (planner if r % 2 == 0 else brand), {}
            began = time.perf_counter()
            response = client.get(url, headers=headers)
            samples[name].append((time.perf_counter() - began) * 1000)
            if response.status_code != 200 and not (name == "order record" and r % 2):
                raise SystemExit(f"{name}: {url} answered {response.status_code}")
    return {k: _stats(v) for k, v in samples.items()}


def _stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"p50": statistics.median(ordered), "p99": p99, "n": len(ordered)}


def first_paint(base: str, urls: dict[str, str]) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    found: dict[str, float] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(f"{base}/login")
        page.fill("#email", PLANNER)
        page.fill("#password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        for name, url in urls.items():
            page.goto(base + url)
            page.wait_for_load_state("load")
            fcp = page.evaluate(FCP_JS)
            found[name] = float(fcp) if fcp else float("nan")
        browser.close()
    return found


def screenshots(base: str, prefix: str, record: str) -> list[str]:
    """The dashboard, the Gantt and the order record at desk and phone width."""
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = {
        "dashboard": "/dashboard",
        "gantt": "/factory/gantt" if prefix == "after" else "/dashboard?machines=all#panel-gantt",
        # before the workbench, staff saw an order on the customer's page
        "order": f"/factory/orders/{record}" if prefix == "after" else f"/portal/orders/{record}",
    }
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for width, tag in ((1280, "desk"), (390, "phone")):
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            page.goto(f"{base}/login")
            page.fill("#email", PLANNER)
            page.fill("#password", DEMO_PASSWORD)
            page.click("button[type=submit]")
            for name, url in shots.items():
                page.goto(base + url)
                page.wait_for_load_state("load")
                path = SCREENSHOTS / f"workbench-{prefix}-{name}-{tag}.png"
                page.screenshot(path=str(path), full_page=True)
                written.append(str(path))
            context.close()
        browser.close()
    return written


def quiet_enough(most: float, wait: float, force: bool) -> None:
    """Measure only once the 1-minute load average is at most ``most`` (the machine is
    shared): wait up to ``wait`` seconds, then give up unless ``force``."""
    deadline = time.monotonic() + wait
    while os.getloadavg()[0] > most and not force:
        if time.monotonic() > deadline:
            raise SystemExit(f"load average {os.getloadavg()[0]:.2f} > {most}: not measured")
        time.sleep(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=7000)
    parser.add_argument("--days", type=float, default=7)
    parser.add_argument("--open-hours", type=float, default=24)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--max-load", type=float, default=3.0)
    parser.add_argument("--force", action="store_true", help="measure even above --max-load")
    parser.add_argument("--wait", type=float, default=900, help="seconds to wait for the load")
    parser.add_argument("--screenshots", choices=("before", "after"), default=None)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--reuse", default="", help="measure a database seeded before (URL)")
    args = parser.parse_args()
    if args.reuse:  # a database this script seeded before (its plan made then)
        url = args.reuse
        platform = Platform.open(url, settings=Settings(database_url=url, jwt_secret="w" * 40))
        timings = {"database": url, "reused": True, "open_orders": 0, "operations": 0}
    else:
        platform, timings = seed(args.orders, args.days, args.open_hours)
    console.print(f"seeded: {timings}")
    server, base = serve(platform)
    try:
        if args.screenshots:
            brand = Actor.system("bench", BRANDS[0][0])
            order = platform.orders.list(brand, status=None, limit=1).data[0]
            record = order.number if args.screenshots == "after" else order.id
            for path in screenshots(base, args.screenshots, record):
                console.print(path)
            return
        urls = pages(platform, Actor.system("bench"))
        quiet_enough(args.max_load, args.wait, args.force)
        load_before = os.getloadavg()
        stats = time_pages(base, urls, args.rounds)
        paint = (
            {}
            if args.no_browser
            else first_paint(
                base, {k: urls[k] for k in ("dashboard", "order record", "gantt: default window")}
            )
        )
        load_after = os.getloadavg()
    finally:
        server.should_exit = True
    title = (
        f"Workbench, {args.orders:,} orders over {args.days:g} days "
        f"({timings['open_orders']:,} open, {timings['operations']:,} planned operations)"
    )
    table = Table(title=title)
    for column in ("page", "p50 ms", "p99 ms", "n", "p99 < 200 ms", "first paint ms"):
        table.add_column(column, justify="left" if column == "page" else "right")
    for name, s in stats.items():
        fcp = paint.get(name)
        table.add_row(
            name,
            f"{s['p50']:.1f}",
            f"{s['p99']:.1f}",
            str(int(s["n"])),
            "yes" if s["p99"] < 200 else "NO",
            "" if fcp is None else f"{fcp:.0f}",
        )
    console.print(table)
    cpu = host.processor() or host.machine()
    machine = f"{cpu}, {os.cpu_count()} CPUs, Python {host.python_version()}"
    console.print(
        f"machine: {machine}; load average before {load_before[0]:.2f}, after {load_after[0]:.2f}"
    )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"workbench-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(
        json.dumps(
            {
                "orders": args.orders,
                "days": args.days,
                "seed": timings,
                "stats": stats,
                "first_paint_ms": paint,
                "load_before": load_before,
                "load_after": load_after,
                "machine": machine,
            },
            indent=2,
        )
    )
    console.print(f"written {out}")


if __name__ == "__main__":
    try:
        main()
    except OpenFabError as exc:
        raise SystemExit(f"{type(exc).__name__}: {exc.detail}") from exc
