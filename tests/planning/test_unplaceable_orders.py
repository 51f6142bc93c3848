"""An order that no machine can ever take is left out of the plant's re-plan and named in
the log; every other order is still planned (one bad order never stops the plan)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from openfab.planning import Operation, ProblemData, WorkOrder
from openfab.planning import service as planning_service
from openfab.platform import Platform
from tests.conftest import PLANT, TenantPeople
from tests.planning.test_pins import _place


def test_an_order_that_can_never_be_placed_is_left_out_and_the_rest_is_planned(
    platform: Platform,
    tenant: TenantPeople,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = planning_service.build_problem

    def with_a_stuck_order(*args: Any, **kwargs: Any) -> ProblemData:
        """The plant's problem plus an order whose one step no machine can do (as when
        its work center lost every machine)."""
        problem = real(*args, **kwargs)
        stuck = WorkOrder("stuck-order", (Operation("stuck-order/10/1", ()),))
        return dataclasses.replace(problem, orders=(*problem.orders, stuck))

    monkeypatch.setattr(planning_service, "build_problem", with_a_stuck_order)
    fine, _ = _place(platform, tenant)
    summary = platform.planning.plan(PLANT, trigger="test", time_limit=2)
    assert summary.planned_orders >= 1 and summary.run.operations > 0
    assert platform.planning.order_plan(PLANT, fine).rows[0].bars
    assert "left out of the plan" in caplog.text and "stuck-order/10/1" in caplog.text
    assert "no machine can do" in caplog.text
