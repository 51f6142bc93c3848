"""Readers for the standard benchmark file formats, so the engine runs on public instances.

- ``standard``: OR-Library job shop. First line ``jobs machines``; then one line per job of
  ``machine time`` pairs, machines numbered from 0. Lines starting with ``#`` are comments.
- ``taillard``: Taillard's layout. A header line whose first two numbers are ``jobs
  machines`` (seeds and bounds may follow), then the ``jobs × machines`` processing times,
  then the machine order, machines numbered from 1. Label lines ("Times", "Machines") are
  skipped.
- ``fjs``: Brandimarte flexible job shop. First line ``jobs machines [average]``; then per job
  the number of operations and, for each, ``k`` followed by ``k`` pairs ``machine time``
  (machines numbered from 1).

Machines are named ``M1``..``Mm``, work orders ``J1``..``Jn`` and operations ``J1-1``, ``J1-2``…
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from openfab.errors import InvalidInput, Problem
from openfab.planning.model import Machine, Mode, Operation, ProblemData, WorkOrder

InstanceFormat = Literal["standard", "taillard", "fjs"]


def read_instance(path: str | Path, format: InstanceFormat) -> ProblemData:
    """Read a benchmark instance file; raise ``InvalidInput`` naming the bad spot."""
    readers = {"standard": parse_standard, "taillard": parse_taillard, "fjs": parse_fjs}
    if format not in readers:
        raise InvalidInput(f"unknown instance format {format!r}", [Problem("format", format)])
    text = Path(path).read_text()
    try:
        return readers[format](text)
    except (ValueError, IndexError) as exc:
        raise InvalidInput(
            f"cannot read {path} as {format}", [Problem(str(path), str(exc), "parse")]
        ) from exc


def parse_standard(text: str) -> ProblemData:
    rows = _numeric_rows(text)
    n, m = rows[0][0], rows[0][1]
    routes = []
    for j in range(n):
        row = rows[1 + j]
        if len(row) != 2 * m:
            raise ValueError(f"job {j + 1}: expected {2 * m} numbers, got {len(row)}")
        routes.append([[(row[2 * k] + 1, row[2 * k + 1])] for k in range(m)])
    return build_problem(m, routes)


def parse_taillard(text: str) -> ProblemData:
    rows = _numeric_rows(text)
    n, m = rows[0][0], rows[0][1]
    numbers = [x for row in rows[1:] for x in row]
    if len(numbers) != 2 * n * m:
        raise ValueError(f"expected {2 * n * m} numbers after the header, got {len(numbers)}")
    times, machines = numbers[: n * m], numbers[n * m :]
    routes = [[[(machines[j * m + k], times[j * m + k])] for k in range(m)] for j in range(n)]
    return build_problem(m, routes)


def parse_fjs(text: str) -> ProblemData:
    rows = _numeric_rows(text)
    n, m = rows[0][0], rows[0][1]
    routes = []
    for j in range(n):
        row, pos = rows[1 + j], 1
        ops = []
        for _ in range(row[0]):
            k = row[pos]
            ops.append([(row[pos + 1 + 2 * e], row[pos + 2 + 2 * e]) for e in range(k)])
            pos += 1 + 2 * k
        if pos != len(row):
            raise ValueError(f"job {j + 1}: {len(row) - pos} numbers left over")
        routes.append(ops)
    return build_problem(m, routes)


def build_problem(num_machines: int, routes: list[list[list[tuple[int, int]]]]) -> ProblemData:
    """A problem from routes: per job, per operation, its ``(machine from 1, time)`` modes."""
    machines = tuple(Machine(f"M{k}") for k in range(1, num_machines + 1))
    orders = []
    for j, route in enumerate(routes, start=1):
        for k, modes in enumerate(route, start=1):
            for machine, _ in modes:
                if not 1 <= machine <= num_machines:
                    raise ValueError(f"job {j}, operation {k}: machine {machine} out of range")
        ops = tuple(
            Operation(f"J{j}-{k}", tuple(Mode(f"M{mc}", t) for mc, t in modes))
            for k, modes in enumerate(route, start=1)
        )
        orders.append(WorkOrder(f"J{j}", ops))
    return ProblemData(machines, tuple(orders))


def _numeric_rows(text: str) -> list[list[int]]:
    rows = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped[0].isalpha():
            continue
        rows.append([int(float(x)) for x in stripped.replace(",", " ").split()])
    if not rows or len(rows[0]) < 2:
        raise ValueError("missing header line with the number of jobs and machines")
    return rows
