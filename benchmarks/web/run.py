"""The factory dashboard's weight and speed with demo data, in headless Chromium.

    .venv/bin/python benchmarks/web/run.py             # a simulated week, 100 orders a day
    .venv/bin/python benchmarks/web/run.py --quick     # one day at 100 a day, fewer requests

Measures, against a real uvicorn server on SQLite:
- page weight of /dashboard (HTML + CSS + JS + inline SVG, bytes on the wire and decoded);
- time to first byte, first contentful paint, DOMContentLoaded and load (Performance API),
  median of several loads in a fresh browser context (cold cache) and warm;
- server time p50/p99 of the Gantt and KPI endpoints: the dashboard's HTML fragments
  (/dashboard/panels/gantt, /dashboard/kpis, /dashboard/panels/machines) and the REST Gantt
  (/schedule/gantt), timed by the client over loopback HTTP (about 0.3 ms of transport);
- what the KPI tiles show with that data, and the load average while measuring.
Chromium: Debian's, at /usr/bin/chromium (or OPENFAB_CHROMIUM).
"""

from __future__ import annotations

import argparse
import json
import os
import platform as host
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
from openfab.demo import DEMO_PASSWORD
from openfab.demo.run import DemoConfig, run_demo
from openfab.identity.actor import Actor
from openfab.planning.schemas import DowntimeCreate
from openfab.platform import Platform
from openfab.settings import Settings

warnings.simplefilter("ignore")
RESULTS = Path(__file__).parent / "results"
CHROMIUM = os.environ.get("OPENFAB_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ADMIN = "admin@nordic-cold.example.com"
console = Console(width=120)

TIMING_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  const resources = performance.getEntriesByType('resource');
  const sum = (list, key) => list.reduce((a, e) => a + (e[key] || 0), 0);
  return {
    ttfb: nav.responseStart - nav.startTime,
    fcp: fcp ? fcp.startTime : null,
    dcl: nav.domContentLoadedEventEnd - nav.startTime,
    load: nav.loadEventEnd - nav.startTime,
    html_bytes: nav.encodedBodySize, html_decoded: nav.decodedBodySize,
    wire_bytes: nav.transferSize + sum(resources, 'transferSize'),
    decoded_bytes: nav.decodedBodySize + sum(resources, 'decodedBodySize'),
    requests: 1 + resources.length,
    svg_rects: document.querySelectorAll('svg.gantt rect.bar').length,
  };
}"""


def seed(days: float, per_day: float, telemetry_minutes: float) -> tuple[Platform, float]:
    folder = Path(tempfile.mkdtemp(prefix="openfab-web-bench-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    platform = Platform.open(url, settings=Settings(database_url=url, jwt_secret="b" * 40))
    started = time.perf_counter()
    now = datetime.now(UTC)
    with console.status(f"demo: {days:g} simulated days at {per_day:g} orders a day…"):
        # The simulated week ends now, so the dashboard's "today" and "now" fall in it.
        config = DemoConfig(
            days=days,
            orders_per_day=per_day,
            start=now - timedelta(days=days),
            telemetry_minutes=telemetry_minutes,  # the dashboard shows no telemetry
        )
        run_demo(platform, config)
        system = Actor.system("bench")
        for i, machine in enumerate(platform.planning.machines()[::20]):
            start = now + timedelta(hours=3 + 5 * i)
            platform.planning.report_downtime(
                system,
                DowntimeCreate(
                    machine=machine,
                    start_at=start,
                    end_at=start + timedelta(hours=3),
                    reason="planned maintenance",
                ),
            )
    return platform, time.perf_counter() - started


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


def measure(page: Any) -> dict[str, Any]:
    """The Performance API's numbers, once the first contentful paint has been recorded."""
    try:
        page.wait_for_function(
            "performance.getEntriesByName('first-contentful-paint').length > 0", timeout=10_000
        )
    except Exception:  # no paint entry: reported as missing, not a failed run
        pass
    result: dict[str, Any] = page.evaluate(TIMING_JS)
    return result


def browser_loads(base: str, loads: int) -> dict[str, list[dict[str, Any]]]:
    from playwright.sync_api import sync_playwright

    results: dict[str, list[dict[str, Any]]] = {"cold": [], "warm": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(loads):
            context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
            # Sign in without rendering a page, so the first visit finds nothing cached.
            login = context.request.get("/login").text()
            csrf = login.split('name="csrf_token" value="')[1].split('"')[0]
            context.request.post(
                "/login", form={"email": ADMIN, "password": DEMO_PASSWORD, "csrf_token": csrf}
            )
            page = context.new_page()
            page.goto("/dashboard")
            page.wait_for_load_state("load")
            results["cold"].append(measure(page))
            page.goto("/dashboard")
            page.wait_for_load_state("load")
            results["warm"].append(measure(page))
            context.close()
        browser.close()
    return results


def server_times(base: str, requests: int) -> dict[str, list[float]]:
    with httpx.Client(base_url=base, timeout=60) as web:
        login = web.get("/login")
        csrf = login.text.split('name="csrf_token" value="')[1].split('"')[0]
        web.post("/login", data={"email": ADMIN, "password": DEMO_PASSWORD, "csrf_token": csrf})
        token = httpx.post(
            f"{base}/auth/token", data={"username": ADMIN, "password": DEMO_PASSWORD}
        ).json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        endpoints = {
            "GET /dashboard/panels/gantt (HTML+SVG)": ("/dashboard/panels/gantt", {}),
            "GET /dashboard/kpis (HTML)": ("/dashboard/kpis", {}),
            "GET /dashboard/panels/machines (HTML)": ("/dashboard/panels/machines", {}),
            "GET /schedule/gantt (REST JSON)": ("/schedule/gantt", bearer),
            "GET /dashboard (whole page)": ("/dashboard", {}),
        }
        times: dict[str, list[float]] = {}
        for name, (path, headers) in endpoints.items():
            web.get(path, headers=headers)  # warm caches
            samples = []
            for _ in range(requests):
                started = time.perf_counter()
                response = web.get(path, headers=headers)
                samples.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            times[name] = samples
    return times


TILE = re.compile(r'data-kpi="(\w+)".*?<span class="kpi-value[^"]*"[^>]*>([^<]*)<', re.S)


def tiles(base: str) -> dict[str, str]:
    """What each KPI tile shows with this data (the energy tiles read stored telemetry)."""
    with httpx.Client(base_url=base, timeout=60) as web:
        login = web.get("/login")
        csrf = login.text.split('name="csrf_token" value="')[1].split('"')[0]
        web.post("/login", data={"email": ADMIN, "password": DEMO_PASSWORD, "csrf_token": csrf})
        return {key: value.strip() for key, value in TILE.findall(web.get("/dashboard/kpis").text)}


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=float, default=7.0, help="simulated days of demo data")
    parser.add_argument("--per-day", type=float, default=100.0, help="orders per day")
    parser.add_argument("--telemetry-minutes", type=float, default=60.0)
    parser.add_argument("--loads", type=int, default=5, help="browser page loads")
    parser.add_argument("--requests", type=int, default=200, help="requests per endpoint")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.days, args.per_day, args.loads, args.requests = 1.0, 100.0, 3, 50
    platform, seed_seconds = seed(args.days, args.per_day, args.telemetry_minutes)
    server, base = serve(platform)
    load_before = os.getloadavg()
    try:
        loads = browser_loads(base, args.loads)
        times = server_times(base, args.requests)
        shown = tiles(base)
    finally:
        server.should_exit = True
    load_after = os.getloadavg()
    counts = platform.orders.status_counts(Actor.system("bench", "nordic-cold"))

    data = f"{args.days:g} days x {args.per_day:g} orders/day of demo data"
    page = Table(title=f"/dashboard in Chromium, {data} (median of {args.loads})")
    for column in (
        "visit",
        "TTFB ms",
        "FCP ms",
        "DCL ms",
        "load ms",
        "requests",
        "on the wire",
        "decoded",
        "Gantt bars",
    ):
        page.add_column(column, justify="right")
    summary: dict[str, Any] = {}
    for visit, rows in loads.items():
        med = {k: median([r[k] for r in rows if r[k] is not None]) for k in rows[0]}
        summary[visit] = med
        page.add_row(
            visit,
            f"{med['ttfb']:.0f}",
            f"{med['fcp']:.0f}",
            f"{med['dcl']:.0f}",
            f"{med['load']:.0f}",
            f"{med['requests']:.0f}",
            f"{med['wire_bytes'] / 1024:.1f} KiB",
            f"{med['decoded_bytes'] / 1024:.1f} KiB",
            f"{med['svg_rects']:.0f}",
        )
    console.print(page)
    table = Table(title=f"Server time over loopback HTTP ({args.requests} requests each)")
    for column in ("endpoint", "p50 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="right" if column != "endpoint" else "left")
    for name, samples in times.items():
        table.add_row(
            name, f"{pct(samples, 0.5):.1f}", f"{pct(samples, 0.99):.1f}", f"{max(samples):.1f}"
        )
    console.print(table)
    console.print("KPI tiles: " + " · ".join(f"{k} {v}" for k, v in shown.items()))
    console.print(f"load average (1/5/15 min) before {load_before}, after {load_after}")
    console.print(
        f"demo data: {data} over 3 brands, made in {seed_seconds:.0f} s; "
        f"nordic-cold orders by status: {dict(sorted(counts.items()))}"
    )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"run-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(
        json.dumps(
            {
                "days": args.days,
                "orders_per_day": args.per_day,
                "machine": {"cpus": os.cpu_count(), "python": host.python_version()},
                "load_average": {"before": load_before, "after": load_after},
                "seed_seconds": seed_seconds,
                "kpi_tiles": shown,
                "browser": summary,
                "server_ms": {
                    k: {"p50": pct(v, 0.5), "p99": pct(v, 0.99), "max": max(v)}
                    for k, v in times.items()
                },
            },
            indent=2,
        )
    )
    console.print(f"saved {out}")
    platform.close()


if __name__ == "__main__":
    main()
