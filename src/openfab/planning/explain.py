"""Why each operation starts when it does: its binding constraint.

For every operation the earliest start allowed by each constraint is computed from the
final schedule — its release, its predecessors' ends, the operation before it on its machine
plus the changeover, and then the machine calendar. The one that gives the latest of
these is the reason; any remaining gap is slack the optimiser chose to leave.
"""

from __future__ import annotations

import itertools

from openfab.planning.compiled import Compiled, earliest_fit
from openfab.planning.schedule import Reason
from openfab.planning.solution import Solution


def explain(c: Compiled, sol: Solution, fixed: set[int]) -> list[Reason]:
    """One :class:`Reason` per operation, in operation index order."""
    before = _machine_predecessors(c, sol)
    return [_reason(c, sol, i, before.get(i), i in fixed) for i in range(c.num_ops)]


def _machine_predecessors(c: Compiled, sol: Solution) -> dict[int, int]:
    before: dict[int, int] = {}
    for row in sol.sequences(c):
        for a, b in itertools.pairwise(row):
            before[b] = a
    return before


def _reason(c: Compiled, sol: Solution, i: int, prev: int | None, fixed: bool) -> Reason:
    if fixed:
        return Reason("fixed")
    m, d = c.modes[i][sol.mode[i]]
    candidates: list[tuple[int, int, Reason]] = [(0, 0, Reason("origin"))]
    if c.release[i] > 0:
        candidates.append((c.release[i], 1, Reason("release")))
    for p in c.preds[i]:
        candidates.append((sol.end(c, p), 3, Reason("precedence", c.op_ids[p])))
    setup = c.setup_time(m, -1 if prev is None else prev, i)
    if prev is not None:
        reason = Reason("machine", c.op_ids[prev], setup)
        candidates.append((sol.end(c, prev) + setup, 2, reason))
    elif setup:
        candidates.append((setup, 2, Reason("machine", None, setup)))
    earliest, _, reason = max(candidates, key=lambda t: (t[0], t[1]))
    fit = earliest_fit(c.blocked[m], earliest, d)
    if fit > earliest:
        earliest, reason = fit, Reason("calendar")
    slack = max(0, sol.start[i] - earliest)
    return Reason(reason.kind, reason.other, reason.setup, slack)
