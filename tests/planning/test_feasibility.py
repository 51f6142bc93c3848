"""Problems that are well-formed but cannot be scheduled are answered with the reason,
naming the work order and operation — never a solver status, never a hang."""

from __future__ import annotations

import time

import pytest

from openfab.errors import Infeasible
from openfab.planning import (
    Machine,
    Mode,
    Operation,
    Precedence,
    ProblemData,
    Window,
    WorkOrder,
    solve,
)
from openfab.planning.feasibility import unplaceable, without

CASES = [
    pytest.param(
        # an operation that no machine can do
        ProblemData((Machine("M1"),), (WorkOrder("WO-7", (Operation("WO-7/drill", ()),)),)),
        ["WO-7", "WO-7/drill", "no machine"],
        id="no-eligible-machine",
    ),
    pytest.param(
        # a cycle through two work orders: A/2 needs B/1, which needs A/2
        ProblemData(
            (Machine("M1"),),
            (
                WorkOrder(
                    "A", (Operation("A/1", (Mode("M1", 5),)), Operation("A/2", (Mode("M1", 5),)))
                ),
                WorkOrder("B", (Operation("B/1", (Mode("M1", 5),)),)),
            ),
            (Precedence("A/2", "B/1"), Precedence("B/1", "A/2")),
        ),
        ["cycle", "A/2", "B/1"],
        id="precedence-cycle",
    ),
    pytest.param(
        # a 10-hour operation on a machine whose shifts are 8 hours (operations are not split)
        ProblemData(
            (Machine("M1", shifts=(Window(0, 480), Window(1440, 1920))),),
            (WorkOrder("WO-1", (Operation("WO-1/cure", (Mode("M1", 600),)),)),),
        ),
        ["WO-1", "WO-1/cure", "long enough"],
        id="longer-than-any-shift",
    ),
    pytest.param(
        # maintenance covers everything after the material arrives
        ProblemData(
            (Machine("M1", shifts=(Window(0, 1000),), downtime=(Window(400, 1000),)),),
            (WorkOrder("WO-2", (Operation("WO-2/mill", (Mode("M1", 50),), release=380),)),),
        ),
        ["WO-2", "WO-2/mill"],
        id="window-leaves-no-capacity",
    ),
    pytest.param(
        # each operation fits alone, but the second cannot fit after the first
        ProblemData(
            (Machine("M1", shifts=(Window(0, 100),)), Machine("M2", shifts=(Window(0, 100),))),
            (
                WorkOrder(
                    "WO-3",
                    (
                        Operation("WO-3/a", (Mode("M1", 80),)),
                        Operation("WO-3/b", (Mode("M2", 80),)),
                    ),
                ),
            ),
        ),
        ["WO-3", "WO-3/b", "after its predecessors"],
        id="chain-runs-past-the-last-shift",
    ),
]


@pytest.mark.parametrize(("problem", "words"), CASES)
def test_infeasible_input_names_the_order_and_operation(
    problem: ProblemData, words: list[str]
) -> None:
    clock = time.monotonic()
    with pytest.raises(Infeasible) as info:
        solve(problem, time_limit=5)
    assert time.monotonic() - clock < 2
    for word in words:
        assert word in str(info.value)


def test_capacity_that_runs_out_only_when_operations_compete() -> None:
    """Two 60-minute jobs in one 100-minute shift: only the search can see it; it still says why."""
    machine = Machine("M1", shifts=(Window(0, 100),))
    orders = tuple(
        WorkOrder(f"W{k}", (Operation(f"W{k}/op", (Mode("M1", 60),)),)) for k in range(2)
    )
    with pytest.raises(Infeasible) as info:
        solve(ProblemData((machine,), orders), time_limit=5)
    assert "capacity" in str(info.value)


def test_the_orders_no_machine_window_can_ever_hold_are_named_and_can_be_left_out() -> None:
    """A plant's re-plan leaves out what can never be placed and schedules the rest."""
    machine = Machine("M1", shifts=(Window(0, 480), Window(1440, 1920)))
    fits = WorkOrder(
        "ok", (Operation("ok/a", (Mode("M1", 60),)), Operation("ok/b", (Mode("M1", 60),)))
    )
    too_long = WorkOrder("big", (Operation("big/cure", (Mode("M1", 600),)),))
    nobody = WorkOrder("odd", (Operation("odd/drill", ()),))
    problem = ProblemData((machine,), (too_long, fits, nobody), (Precedence("big/cure", "ok/b"),))
    out = unplaceable(problem)
    assert set(out) == {"big", "odd"}
    assert "big/cure" in out["big"] and "long enough" in out["big"]
    assert "odd/drill" in out["odd"] and "no machine can do" in out["odd"]
    rest = without(problem, set(out))
    assert [o.id for o in rest.orders] == ["ok"] and rest.precedences == ()
    schedule = solve(rest, time_limit=5)
    assert {op.operation for op in schedule.operations} == {"ok/a", "ok/b"}
    assert unplaceable(rest) == {}
