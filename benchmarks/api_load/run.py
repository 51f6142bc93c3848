"""API load: configure + order + track at rising rates against ``openfab serve`` on PostgreSQL.

    .venv/bin/python benchmarks/api_load/run.py                     # ~8 minutes, the issue's run
    .venv/bin/python benchmarks/api_load/run.py --quick             # ~40 s, low rates
    .venv/bin/python benchmarks/api_load/run.py --rates 50,100 --seconds 20 --web-workers 4

Set-up (not measured): a PostgreSQL database of its own (``openfab_load_<pid>_…``, dropped
afterwards) with the demo's three brands, the sample catalog and suppliers (``ensure_tenant``,
``install_sample_products``, ``install_sample_suppliers``, as ``openfab demo`` seeds them).
Then ``openfab serve --web-workers N`` runs as a subprocess, and customers of every brand sign
up and sign in over the API (``POST /auth/signup/{tenant}``, ``POST /auth/token``), as an
integrator's shop does. The server logs in as the tables' owner (the login that ran the
migrations), as deployed: its units of work switch to the migrations' ``openfab_app`` role
per transaction, so row-level security applies to them. ``--login app`` uses a role of the
benchmark's own instead (neither superuser nor owner, member of ``openfab_app``; dropped
afterwards), to see how the platform fares under a least-privilege login.

Each arrival is one customer's session over loopback HTTP (one ``httpx.AsyncClient``):

1. configure: ``POST /products/{code}/configure`` (price + BOM + routing of a valid
   configuration, taken from a pool completed at set-up);
2. order: ``POST /orders`` with the same choices;
3. track: ``GET /orders/{id}/tracking`` (the order and its steps).

Arrivals are open-loop at a constant rate (the i-th at ``i / rate`` seconds, whether or not
earlier sessions finished), rising step by step; each step lasts ``--seconds``, then in-flight
sessions get ``--drain`` seconds to finish (the rest are cancelled and counted as given up),
and the next step starts once the server is idle again (an overloaded server keeps working on
requests its client gave up on, and the runtime re-plans and buys after a burst of orders).
Latency is per request (sent → answered), and per
session from its *scheduled* arrival to the tracking answer, so a client or server that falls
behind shows in it. Afterwards the orders are counted in the database (direct SQL) against the
order ids the clients were given: lost = acknowledged (201) but not stored; stored without an
acknowledgement = a request that timed out or failed after committing; duplicated = more
stored rows than order requests that could have created them (the orders API has no
idempotency key, so the client never retries a placement).

RLS overhead: if the migrated database has tables with row-level security on
(``pg_class.relrowsecurity``), more steps run at ``--rls-rate`` (default 10 orders/s: below
where this 2-core machine saturates, so latency measures work, not queueing), alternately
with it as migrated and switched off (``ALTER TABLE … DISABLE / NO FORCE ROW LEVEL SECURITY``
on this private database only), ``--rls-rounds`` times each way for ``--rls-seconds``, side
by side and pooled. The runtime's autopilots run beside the API and their solves land on
some steps more than others, so after the server stops the same switch is also measured
in-process: the services alone, one session at a time (``--rls-service-rounds``). Without
such tables the comparison is reported as not available.

Client and server share the machine: on a 2-core VM the client's own CPU is part of the load
(its share is a column), so read the rates as a floor, not the platform's capacity.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import platform as host
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
import psycopg
from psycopg import sql
from rich.console import Console
from rich.table import Table

from openfab.demo import BRANDS, ensure_tenant, random_choices
from openfab.errors import OpenFabError
from openfab.identity.actor import Actor
from openfab.orders.schemas import OrderCreate
from openfab.platform import Platform
from openfab.settings import Settings

warnings.simplefilter("ignore")
PG_ADMIN = os.environ.get("OPENFAB_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
RESULTS = Path(__file__).parent / "results"
SECRET = "api-load-benchmark-secret-not-for-production-0123"
PASSWORD = "load-test-password-1"
P99_TARGET_MS = 50.0
RATE_TARGET = 200.0
KINDS = ("configure", "order", "track")
SCOPING_ROLE = "openfab_app"
"""The role without BYPASSRLS that units of work switch to per transaction (migration 0010)."""
console = Console(width=190, record=True)


# -- the database --------------------------------------------------------------------------
@dataclass(frozen=True)
class Scratch:
    name: str
    role: str
    admin_url: str
    app_url: str
    login: str = "owner"
    """The server's login: ``owner`` (the one that ran the migrations and owns the tables)
    or ``app`` (the benchmark's role: neither superuser nor owner)."""

    @property
    def server_url(self) -> str:
        return self.admin_url if self.login == "owner" else self.app_url


@contextlib.contextmanager
def scratch() -> Iterator[Scratch]:
    """A database and a login role of the benchmark's own, both dropped afterwards."""
    name = f"openfab_load_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    base = PG_ADMIN.rsplit("/", 1)[0]
    server = base.split("://", 1)[1].split("@", 1)[-1]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS").format(sql.Identifier(name))
        )
    try:
        yield Scratch(name, name, f"{base}/{name}", f"postgresql://{name}@{server}/{name}")
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def grant(db: Scratch) -> None:
    """The server's role may read and write every table, as an application role would."""
    with psycopg.connect(db.admin_url, autocommit=True) as conn:
        role = sql.Identifier(db.role)
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role))
        conn.execute(
            sql.SQL(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}"
            ).format(role)
        )
        conn.execute(
            sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {}").format(
                role
            )
        )
        # where the migrations made a scoping role that units of work switch to per
        # transaction, the server may take it, as the login that ran the migrations may
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (SCOPING_ROLE,)).fetchone():
            conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(SCOPING_ROLE), role))


def rls_tables(db: Scratch) -> list[tuple[str, bool]]:
    """(table, forced) for every table of the schema with row-level security on."""
    with psycopg.connect(db.admin_url) as conn:
        rows = conn.execute(
            "SELECT c.relname, c.relforcerowsecurity FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relrowsecurity "
            "ORDER BY c.relname"
        ).fetchall()
    return [(str(name), bool(forced)) for name, forced in rows]


def switch_rls(db: Scratch, tables: list[tuple[str, bool]], *, on: bool) -> None:
    """Row-level security off (DISABLE, NO FORCE) or back as migrated, on this database."""
    with psycopg.connect(db.admin_url, autocommit=True) as conn:
        for table, forced in tables:
            change = (
                ("ENABLE ROW LEVEL SECURITY" + (", FORCE ROW LEVEL SECURITY" if forced else ""))
                if on
                else "DISABLE ROW LEVEL SECURITY, NO FORCE ROW LEVEL SECURITY"
            )
            conn.execute(sql.SQL("ALTER TABLE {} " + change).format(sql.Identifier(table)))


def role_text(db: Scratch) -> str:
    """How the server's login meets row-level security."""
    with psycopg.connect(db.server_url) as conn:
        row = conn.execute(
            "SELECT current_user, r.rolsuper OR r.rolbypassrls, "
            "(SELECT pg_has_role(current_user, oid, 'MEMBER') FROM pg_roles "
            " WHERE rolname = %s) FROM pg_roles r WHERE r.rolname = current_user",
            (SCOPING_ROLE,),
        ).fetchone()
    user, bypass, scoping = row if row else ("?", False, False)
    what = (
        "owns the tables" + (", superuser" if bypass else "")
        if db.login == "owner"
        else "neither superuser nor owner"
    )
    own = "bypasses RLS itself" if bypass or db.login == "owner" else "is subject to RLS"
    switch = (
        f"; units of work switch to {SCOPING_ROLE} per transaction, so RLS applies to them"
        if scoping
        else f"; no {SCOPING_ROLE} role to switch to"
    )
    return f"server login {user} ({what}) {own}{switch}"


def revision() -> str:
    """The code measured: the commit, and whether the working tree differs from it."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "src"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown revision"
    if not commit:
        return "not a git checkout"
    return f"commit {commit}" + (" + uncommitted changes in src/" if dirty else "")


@dataclass
class Brand:
    tenant: str
    product: str
    configurations: list[dict[str, Any]]
    customer: Actor
    """One of the demo's customers of the brand (the in-process RLS comparison's)."""


def seed(db: Scratch, pool: int, seed_value: int = 7) -> list[Brand]:
    """The demo's brands, catalog and suppliers, and per brand a pool of valid configurations
    (random partial wishes completed to the cheapest valid configuration)."""
    settings = Settings(database_url=db.admin_url, jwt_secret=SECRET)
    platform = Platform.open(db.admin_url, settings=settings)
    rng = random.Random(seed_value)
    brands = []
    try:
        # the plant's suppliers, as the demo installs them: the purchasing autopilot plans
        # and buys for the orders while they arrive, as it does under `openfab serve`
        platform.materials.install_sample_suppliers(Actor.system("bench"))
        for tenant_id, name, products in BRANDS:
            admin, *customers = ensure_tenant(platform, tenant_id, name)
            platform.catalog.install_sample_products(admin)
            code = products[0]
            definition = platform.catalog.handle(admin, code).configurator.definition
            seen: dict[str, dict[str, Any]] = {}
            for _ in range(pool * 3):
                try:
                    done = platform.catalog.complete(admin, code, random_choices(definition, rng))
                except OpenFabError:  # a random wish may contradict the product's rules
                    continue
                choices = done.to_dict()["choices"]
                seen.setdefault(json.dumps(choices, sort_keys=True), choices)
                if len(seen) >= pool:
                    break
            brands.append(Brand(tenant_id, code, list(seen.values()), customers[0]))
    finally:
        platform.close()
    return brands


# -- the server ----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def web_pids(self) -> list[int]:
        """The processes below ``openfab serve`` (the web workers); the serve process itself
        runs the runtime's workers (relay, autopilots) and supervises them."""
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            if pid != self.process.pid:
                found.append(pid)
            with contextlib.suppress(OSError):
                for task in os.listdir(f"/proc/{pid}/task"):
                    children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
                    todo += [int(c) for c in children]
        return found

    def cpu(self) -> float:
        """CPU seconds of the serve process and its web workers so far."""
        return sum(cpu_of([self.process.pid, *self.web_pids()]).values())

    async def settle(self, *, idle: float = 0.1, limit: float = 120.0) -> float:
        """Wait until the server is idle (less than ``idle`` of a core over a second): the
        web workers may still run requests the client gave up on, and the runtime re-plans
        and buys after a burst of orders. Seconds waited."""
        began = time.perf_counter()
        while time.perf_counter() - began < limit:
            before = self.cpu()
            await asyncio.sleep(1.0)
            if self.cpu() - before < idle:
                break
        return time.perf_counter() - began

    def problems(self) -> list[str]:
        """Tracebacks' last lines and ERROR lines from the server's log."""
        lines = self.log.read_text(errors="replace").splitlines()
        out = []
        for i, line in enumerate(lines):
            if line.startswith("Traceback"):
                tail = next(
                    (
                        lines[j]
                        for j in range(i + 1, len(lines))
                        if lines[j] and not lines[j].startswith((" ", "Traceback"))
                    ),
                    "?",
                )
                out.append(tail.strip())
            elif " ERROR " in line or line.startswith("ERROR"):
                out.append(line.strip())
        return out


@contextlib.contextmanager
def serve(db: Scratch, web_workers: int, workdir: Path) -> Iterator[Server]:
    port = free_port()
    env = os.environ | {
        "OPENFAB_DATABASE_URL": db.server_url,
        "OPENFAB_JWT_SECRET": SECRET,
        "OPENFAB_CLIENT_NAME": f"load-{uuid.uuid4().hex[:8]}",
    }
    command = [
        sys.executable,
        "-m",
        "openfab",
        "serve",
        "--bus",
        "inprocess",
        "--port",
        str(port),
        "--web-workers",
        str(web_workers),
    ]
    log = workdir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(process, port, log)
    try:
        deadline = time.monotonic() + 120
        ready = "Application startup complete"
        while log.read_text(errors="replace").count(ready) < web_workers:
            if process.poll() is not None:
                raise SystemExit(f"openfab serve exited:\n{log.read_text()[-4000:]}")
            if time.monotonic() > deadline:
                raise SystemExit(f"openfab serve did not come up:\n{log.read_text()[-4000:]}")
            time.sleep(0.3)
        with httpx.Client(base_url=server.url, timeout=10) as http:
            http.get("/health").raise_for_status()
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


# -- CPU accounting ------------------------------------------------------------------------
TICK = os.sysconf("SC_CLK_TCK")


def cpu_of(pids: list[int]) -> dict[int, float]:
    out = {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return out


def postgres_backends(database: str) -> list[int]:
    """PostgreSQL backends connected to ``database`` (their process title names it)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            title = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            if title.startswith("postgres: ") and f" {database} " in title:
                out.append(int(entry))
    return out


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@dataclass
class Meter:
    """CPU seconds of the client, the server's processes and the database's backends, and
    the machine's busy share, over one step."""

    server: Server
    database: str
    _client: float = 0.0
    _web: dict[int, float] = field(default_factory=dict)
    _runtime: dict[int, float] = field(default_factory=dict)
    _pg: dict[int, float] = field(default_factory=dict)
    _machine: tuple[float, float] = (0.0, 0.0)

    def start(self) -> None:
        self._client = time.process_time()
        self._web = cpu_of(self.server.web_pids())
        self._runtime = cpu_of([self.server.process.pid])
        self._pg = cpu_of(postgres_backends(self.database))
        self._machine = machine_cpu()

    def stop(self) -> dict[str, float]:
        def delta(before: dict[int, float], after: dict[int, float]) -> float:
            return sum(v - before.get(pid, 0.0) for pid, v in after.items())

        busy, total = machine_cpu()
        return {
            "client": time.process_time() - self._client,
            "web": delta(self._web, cpu_of(self.server.web_pids())),
            "runtime": delta(self._runtime, cpu_of([self.server.process.pid])),
            "pg": delta(self._pg, cpu_of(postgres_backends(self.database))),
            "machine": (busy - self._machine[0]) / max(1.0, total - self._machine[1]),
        }


# -- the clients ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Customer:
    tenant: str
    product: str
    user_id: str
    headers: dict[str, str]
    configurations: list[dict[str, Any]]


async def _post_retrying(http: httpx.AsyncClient, url: str, **kwargs: Any) -> httpx.Response:
    """Set-up requests honour 429 + Retry-After (login throttling), up to a minute."""
    deadline = time.monotonic() + 60
    while True:
        response = await http.post(url, **kwargs)
        if response.status_code != 429 or time.monotonic() > deadline:
            return response
        await asyncio.sleep(float(response.headers.get("Retry-After", "1")))


async def sign_up(http: httpx.AsyncClient, brands: list[Brand], per_brand: int) -> list[Customer]:
    run = uuid.uuid4().hex[:6]

    async def one(brand: Brand, index: int) -> Customer:
        email = f"load-{run}-{index}@{brand.tenant}.example.com"
        body = {"email": email, "full_name": f"Load {index}", "password": PASSWORD}
        made = await _post_retrying(http, f"/auth/signup/{brand.tenant}", json=body)
        if not made.is_success:  # 201 with the user, or 202 (the API names no account)
            raise SystemExit(f"signup at {brand.tenant}: {made.status_code} {made.text}")
        token = await _post_retrying(
            http, "/auth/token", data={"username": email, "password": PASSWORD}
        )
        if token.status_code != 200:
            raise SystemExit(f"sign-in at {brand.tenant}: {token.status_code} {token.text}")
        access = token.json()["access_token"]
        # the customer's user id, as the token names it (read, not verified: the server does)
        user_id = str(jwt.decode(access, options={"verify_signature": False})["sub"])
        headers = {"Authorization": f"Bearer {access}"}
        return Customer(brand.tenant, brand.product, user_id, headers, brand.configurations)

    gate = asyncio.Semaphore(4)

    async def gated(brand: Brand, index: int) -> Customer:
        async with gate:
            return await one(brand, index)

    jobs = [gated(b, i) for b in brands for i in range(per_brand)]
    made = list(await asyncio.gather(*jobs))
    # interleaved, so consecutive arrivals go to different tenants
    return [made[b * per_brand + i] for i in range(per_brand) for b in range(len(brands))]


@dataclass
class Step:
    label: str
    rate: float
    seconds: float
    started: int = 0
    shed: int = 0
    unfinished: int = 0
    completed: int = 0
    wall: float = 0.0
    latency: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    session: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: dict[str, str] = field(default_factory=dict)
    acked: list[tuple[str, str, str]] = field(default_factory=list)
    """(order id, tenant, customer id) of every 201 answer."""
    orders_sent: int = 0
    orders_answered: int = 0
    """Order requests answered below 500; the others (timeouts, 5xx, cancelled at the end of
    the drain) may have committed without the client knowing."""
    cpu: dict[str, float] = field(default_factory=dict)
    max_lag: float = 0.0

    @property
    def achieved(self) -> float:
        return len(self.acked) / self.wall if self.wall else 0.0

    @property
    def failed(self) -> int:
        """Requests answered with an unexpected status, or failed (timeouts, connections)."""
        return sum(self.errors.values())

    @property
    def given_up(self) -> int:
        """Arrivals the client shed at its bound, and sessions cancelled after the drain."""
        return self.shed + self.unfinished


async def _call(
    http: httpx.AsyncClient, step: Step, kind: str, method: str, url: str, **kw: Any
) -> httpx.Response | None:
    began = time.perf_counter()
    try:
        response = await http.request(method, url, **kw)
    except httpx.HTTPError as exc:
        key = f"{kind}: {type(exc).__name__}"
        step.errors[key] += 1
        step.error_samples.setdefault(key, str(exc)[:200] or type(exc).__name__)
        return None
    step.latency[kind].append((time.perf_counter() - began) * 1000)
    expected = 201 if kind == "order" else 200
    if response.status_code != expected:
        key = f"{kind}: {response.status_code}"
        step.errors[key] += 1
        step.error_samples.setdefault(key, response.text[:300])
    return response


async def session(
    http: httpx.AsyncClient, step: Step, customer: Customer, choices: dict[str, Any], due: float
) -> None:
    step.max_lag = max(step.max_lag, time.perf_counter() - due)
    body = {"choices": choices}
    url = f"/products/{customer.product}/configure"
    configured = await _call(
        http, step, "configure", "POST", url, json=body, headers=customer.headers
    )
    if configured is None or configured.status_code != 200:
        return
    order = {"product": customer.product, "choices": choices}
    step.orders_sent += 1
    placed = await _call(
        http, step, "order", "POST", "/orders", json=order, headers=customer.headers
    )
    if placed is None or placed.status_code >= 500:
        return
    step.orders_answered += 1
    if placed.status_code != 201:
        return
    order_id = str(placed.json()["id"])
    step.acked.append((order_id, customer.tenant, customer.user_id))
    tracked = await _call(
        http, step, "track", "GET", f"/orders/{order_id}/tracking", headers=customer.headers
    )
    if tracked is not None and tracked.status_code == 200:
        step.session.append((time.perf_counter() - due) * 1000)
        step.completed += 1


async def run_step(
    http: httpx.AsyncClient,
    customers: list[Customer],
    step: Step,
    meter: Meter | None,
    *,
    max_in_flight: int,
    drain: float,
    rng: random.Random,
) -> Step:
    arrivals = max(1, round(step.rate * step.seconds))
    in_flight: set[asyncio.Task[None]] = set()
    if meter is not None:
        meter.start()
    start = time.perf_counter()
    for i in range(arrivals):
        due = start + i / step.rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(in_flight) >= max_in_flight:
            step.shed += 1  # the client's bound: counted, never queued
            continue
        customer = customers[i % len(customers)]
        choices = rng.choice(customer.configurations)
        task = asyncio.create_task(session(http, step, customer, choices, due))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
        step.started += 1
    if in_flight:
        _done, pending = await asyncio.wait(set(in_flight), timeout=drain)
        for task in pending:
            task.cancel()
        step.unfinished = len(pending)
        if pending:
            await asyncio.wait(pending)
    step.wall = time.perf_counter() - start
    if meter is not None:
        step.cpu = meter.stop()
    return step


# -- counting in the database --------------------------------------------------------------
@dataclass
class Count:
    acknowledged: int
    stored: int
    lost: int
    unacknowledged: int
    unanswered: int
    duplicated: int
    wrong_customer: int
    duplicate_numbers: int


def count_orders(db: Scratch, tenants: list[str], steps: list[Step]) -> Count:
    acked = {oid: customer for s in steps for oid, _t, customer in s.acked}
    answers = sum(len(s.acked) for s in steps)
    with psycopg.connect(db.admin_url) as conn:  # the admin: no row-level security
        rows = conn.execute(
            "SELECT id, customer_id FROM sales_order WHERE tenant_id = ANY(%s)", (tenants,)
        ).fetchall()
        numbers = conn.execute(
            "SELECT count(*) - count(DISTINCT (tenant_id, number)) FROM sales_order "
            "WHERE tenant_id = ANY(%s)",
            (tenants,),
        ).fetchone()
    stored = {str(oid): str(customer) for oid, customer in rows}
    unanswered = sum(s.orders_sent - s.orders_answered for s in steps)
    extra = len(set(stored) - set(acked))
    return Count(
        acknowledged=answers,
        stored=len(rows),
        lost=len(set(acked) - set(stored)),
        unacknowledged=extra,
        unanswered=unanswered,
        duplicated=max(0, extra - unanswered) + (answers - len(acked)),
        wrong_customer=sum(1 for oid, c in acked.items() if oid in stored and stored[oid] != c),
        duplicate_numbers=int(numbers[0]) if numbers else 0,
    )


def autopilot_events(db: Scratch) -> str:
    with psycopg.connect(db.admin_url) as conn:
        rows = conn.execute(
            "SELECT type, count(*) FROM event_log WHERE type LIKE 'schedule.%%' "
            "OR type LIKE 'purchase_order.%%' OR type LIKE 'material.%%' "
            "OR type = 'work_order.released' GROUP BY type ORDER BY type"
        ).fetchall()
    return ", ".join(f"{t} {n}" for t, n in rows) or "none"


def rls_in_process(
    db: Scratch, brands: list[Brand], tables: list[tuple[str, bool]], rounds: int, per: int = 60
) -> Table:
    """RLS on against off without HTTP and without the runtime (after the server stopped):
    the services called in this process, one session at a time, on the same database and
    login, alternating on/off, off/on, ... ``per`` sessions each."""
    settings = Settings(database_url=db.server_url, jwt_secret=SECRET)
    platform = Platform.open(db.server_url, settings=settings)
    times: dict[bool, dict[str, list[float]]] = {on: {k: [] for k in KINDS} for on in (True, False)}
    try:
        for round_ in range(1, rounds + 1):
            for on in (True, False) if round_ % 2 else (False, True):
                switch_rls(db, tables, on=on)
                for i in range(per):
                    brand = brands[i % len(brands)]
                    choices = brand.configurations[i % len(brand.configurations)]
                    began = time.perf_counter()
                    platform.catalog.configure(brand.customer, brand.product, choices).to_dict()
                    configured = time.perf_counter()
                    order = OrderCreate(product=brand.product, choices=choices)
                    placed = platform.orders.place(brand.customer, order)
                    ordered = time.perf_counter()
                    platform.orders.track(brand.customer, placed.id)
                    tracked = time.perf_counter()
                    if i >= 5:  # the first ones after a switch re-plan their statements
                        spans = (configured - began, ordered - configured, tracked - ordered)
                        for kind, span in zip(KINDS, spans, strict=True):
                            times[on][kind].append(span * 1000)
        switch_rls(db, tables, on=True)
    finally:
        platform.close()
    table = Table(
        title=f"RLS overhead in-process: the services alone, no HTTP, no runtime ({rounds} "
        f"rounds × {per - 5} sessions measured each way, one at a time)"
    )
    for column in ("call", "p50 with RLS ms", "p50 without ms", "difference", "p99 with / without"):
        table.add_column(column, justify="left" if column == "call" else "right")
    names = {"configure": "catalog.configure", "order": "orders.place", "track": "orders.track"}
    for kind in KINDS:
        with_rls, without = times[True][kind], times[False][kind]
        a, b = pct(with_rls, 0.5), pct(without, 0.5)
        table.add_row(
            names[kind],
            f"{a:.2f}",
            f"{b:.2f}",
            f"{a - b:+.2f} ({(a - b) / b * 100:+.0f} %)",
            f"{pct(with_rls, 0.99):.1f} / {pct(without, 0.99):.1f}",
        )
    return table


# -- output --------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[round(q * 1000) - 1]


def ms_pair(values: list[float], mark: bool) -> str:
    if not values:
        return "–"
    p50, p99 = pct(values, 0.5), pct(values, 0.99)
    tail = f"{p99:.1f}"
    if mark and p99 >= P99_TARGET_MS:
        tail = f"[red]{tail}[/]"
    return f"{p50:.1f}/{tail}"


def step_table(title: str, steps: list[Step], caption: str) -> Table:
    table = Table(title=title, caption=caption, caption_justify="left")
    for column in (
        "step",
        "target/s",
        "started",
        "acked/s",
        "configure ms p50/p99",
        "order ms p50/p99",
        "track ms p50/p99",
        "session p99 ms",
        "failed",
        "given up",
        "CPU s client/web/runtime/PG",
        "busy",
    ):
        table.add_column(column, justify="left" if column == "step" else "right", no_wrap=True)
    for s in steps:
        mark = s.rate >= RATE_TARGET
        achieved = f"{s.achieved:.1f}"
        if s.achieved < 0.95 * s.rate:
            achieved = f"[red]{achieved}[/]"
        cpu = s.cpu
        table.add_row(
            s.label,
            f"{s.rate:g}",
            f"{s.started}" + (f" (+{s.shed} shed)" if s.shed else ""),
            achieved,
            ms_pair(s.latency["configure"], mark),
            ms_pair(s.latency["order"], mark),
            ms_pair(s.latency["track"], mark),
            f"{pct(s.session, 0.99):.0f}" if s.session else "–",
            f"[red]{s.failed}[/]" if s.failed else "0",
            f"[red]{s.given_up}[/]" if s.given_up else "0",
            "/".join(f"{cpu.get(k, 0):.1f}" for k in ("client", "web", "runtime", "pg")),
            f"{cpu.get('machine', 0) * 100:.0f} %",
        )
    return table


def count_table(count: Count) -> Table:
    table = Table(title="Orders counted in the database against what the clients were given")
    columns = {
        "acknowledged (201)": count.acknowledged,
        "rows stored": count.stored,
        "lost": count.lost,
        "stored, not acknowledged": count.unacknowledged,
        "order requests unanswered / 5xx": count.unanswered,
        "duplicated": count.duplicated,
        "wrong customer": count.wrong_customer,
        "duplicate numbers": count.duplicate_numbers,
    }
    bad = {"lost", "duplicated", "wrong customer", "duplicate numbers"}
    for column in columns:
        table.add_column(column, justify="right")
    table.add_row(*(f"[red]{v}[/]" if c in bad and v else str(v) for c, v in columns.items()))
    return table


def load_text(load: tuple[float, float, float]) -> str:
    return f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


def verdict(steps: list[Step]) -> str:
    at = [s for s in steps if s.rate == RATE_TARGET]
    if not at:
        return f"no step at {RATE_TARGET:g} orders/s: target not measured"
    s = at[0]
    worst = max(pct(s.latency[k], 0.99) for k in KINDS if s.latency[k]) if s.acked else 0.0
    met = (
        s.achieved >= 0.95 * RATE_TARGET and worst < P99_TARGET_MS and not (s.failed or s.given_up)
    )
    return (
        f"target p99 < {P99_TARGET_MS:g} ms at {RATE_TARGET:g} orders/s: "
        f"{'[green]met[/]' if met else '[red]missed[/]'} (achieved {s.achieved:.1f} orders/s, "
        f"worst request p99 {worst:.1f} ms, {s.failed} failed, {s.given_up} given up)"
    )


# -- the run -------------------------------------------------------------------------------
async def drive(args: argparse.Namespace, db: Scratch, brands: list[Brand], server: Server) -> None:
    rng = random.Random(11)
    limits = httpx.Limits(
        max_connections=args.connections, max_keepalive_connections=args.connections
    )
    timeout = httpx.Timeout(args.timeout)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=timeout) as http:
        customers = await sign_up(http, brands, args.customers)
        console.print(
            f"{len(customers)} customers signed up and in over the API "
            f"({', '.join(b.tenant for b in brands)}); configuration pools "
            f"{', '.join(f'{b.product} {len(b.configurations)}' for b in brands)}"
        )
        common = {"max_in_flight": args.max_in_flight, "drain": args.drain, "rng": rng}

        async def measured(label: str, rate: float, seconds: float) -> Step:
            # what an overloaded step left behind, and the runtime's work, done first
            waited = await server.settle(limit=args.settle)
            step = Step(label, rate, seconds)
            await run_step(http, customers, step, Meter(server, db.name), **common)
            console.print(
                f"  {label}: {len(step.acked)} orders acked in {step.wall:.1f} s, "
                f"{step.failed} failed, {step.given_up} given up (server idle after "
                f"{waited:.0f} s)"
            )
            return step

        if args.warmup > 0:
            warm = Step("warm-up", min(args.rates), args.warmup)
            await run_step(http, customers, warm, None, **common)
            warmup = [warm]
        else:
            warmup = []
        steps = [await measured(f"{rate:g}/s", rate, args.seconds) for rate in args.rates]
        rls_steps: list[Step] = []
        tables = rls_tables(db)
        if tables and args.rls_rate > 0:
            # alternated on/off, off/on, ... so that drift (the autopilots' solves, the
            # growing tables) falls on both alike
            for round_ in range(1, args.rls_rounds + 1):
                for on in (True, False) if round_ % 2 else (False, True):
                    switch_rls(db, tables, on=on)
                    label = f"RLS {'on' if on else 'off'} #{round_}"
                    rls_steps.append(await measured(label, args.rls_rate, args.rls_seconds))
            switch_rls(db, tables, on=True)

    caption = (
        f"{args.web_workers} web processes (openfab serve --web-workers), {len(customers)} "
        f"customers of {len(brands)} tenants, open-loop constant arrivals, {args.seconds:g} s "
        f"per step (+ up to {args.drain:g} s drain), each started once the server was idle; "
        "a session = configure → order → track, p99 from its scheduled arrival; red "
        "p99: ≥ 50 ms at ≥ 200 orders/s; red rate: < 95 % of target. failed: an unexpected "
        "status, a timeout or a connection error; given up: arrivals shed at the client's "
        f"bound ({args.max_in_flight} sessions in flight) and sessions cancelled after the "
        "drain. CPU s: this client process / the web workers / the serve process (the "
        "runtime: relay, autopilots) / PostgreSQL backends of this database; busy: all cores, "
        "everything on the machine."
    )
    console.print(step_table("API load: configure + order + track", steps, caption))
    console.print(verdict(steps))
    lag = max(s.max_lag for s in steps) * 1000
    console.print(f"client: worst start lag behind schedule {lag:.0f} ms (its own event loop)")

    console.print()
    if not tables:
        console.print(
            "[yellow]RLS overhead: comparison not available[/] — no table in the migrated "
            "database has row-level security enabled (pg_class.relrowsecurity), so there is "
            "nothing to switch off."
        )
    elif args.rls_rate <= 0:
        console.print(f"RLS: {len(tables)} tables with row-level security; comparison skipped")
    else:
        forced = sum(1 for _t, f in tables if f)
        console.print(
            step_table(
                f"RLS overhead at {args.rls_rate:g} orders/s ({len(tables)} tables with RLS, "
                f"{forced} forced)",
                rls_steps,
                "the same load with row-level security as migrated and disabled, alternately "
                "(ALTER TABLE … DISABLE, NO FORCE ROW LEVEL SECURITY) on this database only; "
                f"what the server does per transaction to set its scope stays in both; "
                f"{role_text(db)}",
            )
        )
        pooled = {
            on: [s for s in rls_steps if s.label.startswith(f"RLS {on}")] for on in ("on", "off")
        }
        console.print(f"pooled ({args.rls_rounds} × {args.rls_seconds:g} s each way):")
        for kind in KINDS:
            with_rls = [v for s in pooled["on"] for v in s.latency[kind]]
            without = [v for s in pooled["off"] for v in s.latency[kind]]
            a50, b50 = pct(with_rls, 0.5), pct(without, 0.5)
            a99, b99 = pct(with_rls, 0.99), pct(without, 0.99)
            console.print(
                f"  {kind}: p50 {a50:.1f} ms with RLS, {b50:.1f} ms without ({a50 - b50:+.1f}); "
                f"p99 {a99:.1f} / {b99:.1f} ms ({a99 - b99:+.1f})"
            )

    console.print()
    everything = warmup + steps + rls_steps
    count = count_orders(db, [b.tenant for b in brands], everything)
    console.print(count_table(count))
    console.print(
        f"counted: acknowledged {count.acknowledged}, stored {count.stored}, lost {count.lost}, "
        f"duplicated {count.duplicated}, wrong customer {count.wrong_customer}"
    )
    console.print(f"runtime workers during the run (events in the log): {autopilot_events(db)}")
    errors: Counter[str] = Counter()
    samples: dict[str, str] = {}
    for s in everything:
        errors.update(s.errors)
        for key, text in s.error_samples.items():
            samples.setdefault(key, text)
    if not errors:
        console.print("no request failed (no unexpected status, timeout or connection error)")
    for key, n in errors.most_common():
        console.print(f"  [red]{n}× {key}[/]: {samples[key]}")
    problems = Counter(server.problems())
    if problems:
        console.print(f"[red]server log: {sum(problems.values())} errors[/]")
        for line, n in problems.most_common(8):
            console.print(f"  {n}× {line[:200]}")
    else:
        console.print("server log: no tracebacks, no ERROR lines")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--rates", default=None, help="orders/s per step (5,10,25,50,100,200)")
    parser.add_argument("--seconds", type=float, default=None, help="arrivals per step (s)")
    parser.add_argument("--web-workers", type=int, default=None, help="openfab serve processes")
    parser.add_argument("--customers", type=int, default=None, help="customers per tenant")
    parser.add_argument("--rls-rate", type=float, default=None, help="0 skips the RLS steps")
    parser.add_argument("--rls-rounds", type=int, default=None, help="RLS on/off alternations")
    parser.add_argument("--rls-seconds", type=float, default=None, help="per RLS step (s)")
    parser.add_argument(
        "--rls-service-rounds", type=int, default=None, help="in-process RLS on/off rounds"
    )
    parser.add_argument("--warmup", type=float, default=None, help="seconds, not measured")
    parser.add_argument("--drain", type=float, default=15.0, help="s for in-flight sessions")
    parser.add_argument("--settle", type=float, default=None, help="most s to wait for idle")
    parser.add_argument("--timeout", type=float, default=15.0, help="per request (s)")
    parser.add_argument("--connections", type=int, default=200, help="client connection pool")
    parser.add_argument("--max-in-flight", type=int, default=500, help="sessions, then shed")
    parser.add_argument(
        "--login",
        choices=("owner", "app"),
        default="owner",
        help="the server's database login: the tables' owner (as deployed) or a role that is "
        "neither owner nor superuser",
    )
    parser.add_argument("--quick", action="store_true", help="a few seconds per low-rate step")
    parser.add_argument("--no-save", action="store_true", help="do not write results/")
    args = parser.parse_args()
    quick = args.quick
    defaults: dict[str, Any] = {
        "rates": "5,10" if quick else "5,10,25,50,100,200",
        "seconds": 3.0 if quick else 20.0,
        "web_workers": 2 if quick else 3,
        "customers": 2 if quick else 10,
        "rls_rate": 5.0 if quick else 10.0,
        "rls_rounds": 1 if quick else 3,
        "rls_seconds": 3.0 if quick else 10.0,
        "rls_service_rounds": 2 if quick else 6,
        "settle": 4.0 if quick else 120.0,
        "warmup": 1.0 if quick else 5.0,
    }
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.rates = [float(r) for r in str(args.rates).split(",") if r.strip()]
    if quick:
        args.drain = min(args.drain, 10.0)
    return args


def main() -> None:
    args = parse()
    before = os.getloadavg()
    console.print(
        f"[bold]API load benchmark[/] {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {host.node()}: "
        f"{os.cpu_count()} cores, Python {host.python_version()}, load average before "
        f"{load_text(before)}{' (quick mode)' if args.quick else ''}"
    )
    if before[0] >= 1.5:
        console.print(
            f"[yellow]the machine is busy (1-minute load {before[0]:.2f}): these numbers "
            "measure the machine's other work too; rerun below 1.5 before quoting them[/]"
        )
    with scratch() as bare, tempfile.TemporaryDirectory() as tmp:
        db = dataclasses.replace(bare, login=args.login)
        began = time.perf_counter()
        brands = seed(db, pool=20 if not args.quick else 5)
        grant(db)
        console.print(
            f"code: {revision()}; database {db.name} seeded in "
            f"{time.perf_counter() - began:.1f} s, {len(rls_tables(db))} tables with row-level "
            f"security on; {role_text(db)}"
        )
        with serve(db, args.web_workers, Path(tmp)) as server:
            asyncio.run(drive(args, db, brands, server))
        tables = rls_tables(db)
        if tables and args.rls_rate > 0 and args.rls_service_rounds > 0:
            console.print()
            per = 20 if args.quick else 60
            console.print(rls_in_process(db, brands, tables, args.rls_service_rounds, per))
    console.print(
        f"{host.node()}: {os.cpu_count()} cores, client and server on the same machine; "
        f"load average before {load_text(before)}, after {load_text(os.getloadavg())}"
    )
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = RESULTS / f"api-load-{stamp}{'-quick' if args.quick else ''}.txt"
        path.write_text(console.export_text())
        console.print(f"results → {path}")


if __name__ == "__main__":
    main()
