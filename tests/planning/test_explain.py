"""Each operation names what keeps it from starting earlier (checked on a hand-made plan)."""

from __future__ import annotations

from openfab.planning import Machine, Mode, Operation, ProblemData, Window, WorkOrder
from openfab.planning.explain import explain
from openfab.planning.feasibility import prepare
from openfab.planning.solution import Solution


def test_binding_constraints() -> None:
    lathe = Machine(
        "lathe", shifts=(Window(0, 100), Window(200, 400)), setup_times={("x", "y"): 10}
    )
    problem = ProblemData(
        (lathe, Machine("press")),
        (
            WorkOrder(
                "A",
                (
                    Operation("A/turn", (Mode("lathe", 80),), "x"),
                    Operation("A/press", (Mode("press", 30),)),
                ),
            ),
            WorkOrder("B", (Operation("B/turn", (Mode("lathe", 50),), "y"),)),
            WorkOrder("C", (Operation("C/press", (Mode("press", 10),), release=150),)),
            WorkOrder("D", (Operation("D/press", (Mode("press", 10),)),)),
        ),
    )
    c = prepare(problem)
    # A/turn 0-80, A/press 80-110, B/turn 200-250 (changeover would end at 90+50 > 100),
    # C/press 150-160 (released at 150), D/press 170-180 (10 minutes of slack after C).
    starts = {"A/turn": 0, "A/press": 80, "B/turn": 200, "C/press": 150, "D/press": 170}
    sol = Solution(tuple(starts[o] for o in c.op_ids), tuple(0 for _ in c.op_ids))
    reasons = dict(zip(c.op_ids, explain(c, sol, set()), strict=True))
    assert reasons["A/turn"].kind == "origin"
    assert (reasons["A/press"].kind, reasons["A/press"].other) == ("precedence", "A/turn")
    assert reasons["B/turn"].kind == "calendar"
    assert reasons["C/press"].kind == "release"
    d = reasons["D/press"]
    assert (d.kind, d.other, d.slack) == ("machine", "C/press", 10)
    assert "slack" in str(d)
