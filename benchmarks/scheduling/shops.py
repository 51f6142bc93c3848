"""Synthetic factory shops for the rescheduling benchmark (seeded, no files).

Each work order has a routing of ``ops`` operations; each operation can run on one or two
machines of a work centre with machine-dependent times; half of the machines paint and have
colour changeovers; every machine works two 8-hour shifts a day with a 30-minute break.
"""

from __future__ import annotations

import random

from openfab.planning import Machine, Mode, Operation, ProblemData, Window, WorkOrder

COLOURS = ("white", "grey", "black")


def factory_shop(orders: int, machines: int, ops: int, seed: int = 0) -> ProblemData:
    rng = random.Random(seed)
    changeover = {
        (a, b): 10 + 10 * abs(i - j)
        for i, a in enumerate(COLOURS)
        for j, b in enumerate(COLOURS)
        if a != b
    }
    shifts = tuple(
        Window(day * 1440 + start, day * 1440 + end)
        for day in range(60)
        for start, end in ((360, 600), (630, 840), (840, 1080), (1110, 1320))
    )
    fleet = tuple(
        Machine(f"M{k}", shifts=shifts, setup_times=changeover if k % 2 else {})
        for k in range(machines)
    )
    work = []
    for j in range(orders):
        route = []
        for k in range(ops):
            first = rng.randrange(machines)
            eligible = (
                {first, (first + 1 + rng.randrange(machines - 1)) % machines}
                if rng.random() < 0.5
                else {first}
            )
            base = rng.randint(10, 90)
            modes = tuple(
                Mode(f"M{m}", max(1, base + rng.randint(-5, 15))) for m in sorted(eligible)
            )
            route.append(Operation(f"W{j}-{k}", modes, rng.choice(COLOURS)))
        due = rng.randint(600, 1440 * max(2, orders * ops // (machines * 6)))
        work.append(WorkOrder(f"W{j}", tuple(route), due=due, weight=rng.randint(1, 3)))
    return ProblemData(fleet, tuple(work))
