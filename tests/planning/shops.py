"""A seeded flexible job shop generator for tests (no global random state)."""

from __future__ import annotations

from openfab.planning import Machine, Mode, Operation, ProblemData, WorkOrder


def random_shop(orders: int, machines: int, seed: int, ops: int = 5) -> ProblemData:
    """A flexible job shop drawn from a small linear congruential generator (no RNG state)."""
    state = seed * 7919 + 17

    def draw(n: int) -> int:
        nonlocal state
        state = (state * 1103515245 + 12345) % 2**31
        return state % n

    ms = tuple(Machine(f"M{k}") for k in range(machines))
    jobs = []
    for j in range(orders):
        route = []
        for k in range(ops):
            first = draw(machines)
            eligible = sorted({first, draw(machines)})
            modes = tuple(Mode(f"M{m}", 5 + draw(40)) for m in eligible)
            route.append(Operation(f"J{j}-{k}", modes))
        jobs.append(WorkOrder(f"J{j}", tuple(route)))
    return ProblemData(ms, tuple(jobs))
