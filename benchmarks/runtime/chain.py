"""Does the one global chain-head lock serialize writers? Commits/s of K concurrent writers.

    .venv/bin/python benchmarks/runtime/chain.py                       # ~1 minute
    .venv/bin/python benchmarks/runtime/chain.py --seconds 5 --writers 1,2,4,8,16

On PostgreSQL, K writer threads (each its own connection) commit small units of work for
``--seconds`` each. Every unit inserts one row into a table of the benchmark's own; then:

- ``row only``: nothing else (no event: the baseline without the chain);
- ``row + event``: and records one event (``UnitOfWork.record`` → ``append_event``, which
  locks the chain-head row ``SELECT … FOR UPDATE`` until the commit);
- ``work then event``: 5 ms of other work (a sleep: a query, a computation) before the
  event, so the head lock is held only for the event, the flush and the commit;
- ``event then work``: the same 5 ms after the event, so the lock is held through the work
  (what a service does when it records an event early in a unit).

Columns: commits/s of all writers together; lock wait = time inside the first ``record``
(waiting for the head row plus hashing); lock held = from ``record`` returning to the commit
returning. If the head lock serializes, commits/s of the event variants stop growing with K
and approach 1 / (mean lock held). At the end ``verify_chain`` walks the whole log
(``openfab audit verify``) to show it intact after the concurrent appends.
"""

from __future__ import annotations

import argparse
import os
import platform as host
import statistics
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
from common import finish, load_text
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from openfab.store import Database
from openfab.store.events import verify_chain
from openfab.store.tenancy import Scope

warnings.simplefilter("ignore")
PG_ADMIN = os.environ.get("OPENFAB_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
console = Console(width=140, record=True)
VARIANTS = ("row only", "row + event", "work then event", "event then work")
INSERT = text("INSERT INTO bench_unit (id, writer, note) VALUES (:id, :writer, :note)")


@contextmanager
def postgres() -> Iterator[Database]:
    name = f"openfab_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = Database(f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}")
    db.migrate()
    with db.engine.begin() as conn:
        conn.execute(
            text("CREATE TABLE bench_unit (id text PRIMARY KEY, writer int, note text NOT NULL)")
        )
    try:
        yield db
    finally:
        db.dispose()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Cell:
    variant: str
    writers: int
    seconds: float = 0.0
    commits: int = 0
    waits: list[float] = field(default_factory=list)
    holds: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.commits / self.seconds if self.seconds else 0.0


def unit(db: Database, variant: str, writer: int, work: float, cell: Cell) -> None:
    """One unit of work of ``variant``; its lock wait and hold go into ``cell``."""
    waited = held_from = None
    with db.unit(Scope.tenant("bench"), actor=f"system:bench-{writer}") as uow:
        uow.session.execute(INSERT, {"id": uuid.uuid4().hex, "writer": writer, "note": variant})
        if variant == "work then event":
            time.sleep(work)
        if variant != "row only":
            asked = time.perf_counter()
            uow.record("bench.unit", "bench_unit", str(writer), {"writer": writer})
            held_from = time.perf_counter()
            waited = held_from - asked
        if variant == "event then work":
            time.sleep(work)
    done = time.perf_counter()
    if waited is not None and held_from is not None:
        cell.waits.append(waited)
        cell.holds.append(done - held_from)


def measure(db: Database, variant: str, writers: int, seconds: float, work: float) -> Cell:
    cell = Cell(variant, writers)
    stop = threading.Event()
    counts = [0] * writers
    failures: list[BaseException] = []

    def write(index: int) -> None:
        try:
            while not stop.is_set():
                unit(db, variant, index, work, cell)
                counts[index] += 1
        except BaseException as exc:  # reported after the run
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    cell.seconds = time.perf_counter() - started
    cell.commits = sum(counts)
    if failures:
        raise failures[0]
    return cell


def ms(values: list[float], q: float | None = None) -> str:
    if not values:
        return "—"
    if q is None:
        return f"{1000 * statistics.fmean(values):.2f}"
    ordered = sorted(values)
    return f"{1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]:.2f}"


def render(cells: list[Cell], work: float, seconds: float) -> Table:
    table = Table(
        title=f"Concurrent writers on PostgreSQL, {seconds:g} s per cell, work = {work * 1000:g} ms"
    )
    columns = (
        "unit of work",
        "writers",
        "commits",
        "commits/s",
        "× of 1 writer",
        "lock wait ms mean",
        "wait p99",
        "lock held ms mean",
        "held p99",
        "1 / held",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "unit of work" else "right")
    single = {c.variant: c.rate for c in cells if c.writers == 1}
    for c in cells:
        ceiling = 1 / statistics.fmean(c.holds) if c.holds else None
        table.add_row(
            c.variant,
            str(c.writers),
            f"{c.commits:,}",
            f"{c.rate:,.0f}",
            f"{c.rate / single[c.variant]:.2f}" if single.get(c.variant) else "—",
            ms(c.waits),
            ms(c.waits, 0.99),
            ms(c.holds),
            ms(c.holds, 0.99),
            f"{ceiling:,.0f}/s" if ceiling else "—",
        )
    table.caption = (
        "lock wait: inside the first record() (head row locked + hash); lock held: from "
        "record() to the commit; 1 / held: commits/s if appends were fully serialized"
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", default="1,2,4,8", help="comma-separated K")
    parser.add_argument("--seconds", type=float, default=2.0, help="per cell")
    parser.add_argument(
        "--work-ms", type=float, default=5.0, help="the extra work in the last two variants"
    )
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated")
    parser.add_argument("--no-save", action="store_true", help="do not write results/")
    args = parser.parse_args()
    writers = [int(k) for k in args.writers.split(",")]
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    work = args.work_ms / 1000
    before = os.getloadavg()
    console.print(f"{host.node()}: {os.cpu_count()} cores, load average before {load_text(before)}")
    cells: list[Cell] = []
    with postgres() as db:
        for variant in variants:
            for k in writers:
                console.print(f"{variant}: {k} writer(s) …")
                cells.append(measure(db, variant, k, args.seconds, work))
        started = time.perf_counter()
        with db.unit(Scope.plant(), actor="system:audit", readonly=True) as uow:
            report = verify_chain(uow.session)
        verified = time.perf_counter() - started
    console.print(render(cells, work, args.seconds))
    verdict = "[green]intact[/]" if report.ok else f"[red]BROKEN at {report.first_break}[/]"
    events = sum(c.commits for c in cells if c.variant != "row only")
    console.print(
        f"verify_chain: {report.checked:,} entries checked in {verified:.2f} s ({verdict}); "
        f"events committed by the writers: {events:,}"
    )
    finish(console, "chain", before, save=not args.no_save)


if __name__ == "__main__":
    main()
