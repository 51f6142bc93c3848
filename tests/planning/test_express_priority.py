"""Express orders weigh more in the plan, and so does every order the longer it has waited:
the planner puts them first when not every order can be first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from openfab.catalog.definition import WorkCenter
from openfab.orders.orm import SalesOrderRow
from openfab.planning import solve
from openfab.planning.model import EXPRESS_WEIGHT, STANDARD_WEIGHT
from openfab.planning.service import AGING, planning_order, waiting_weight
from openfab.planning.shopfloor import build_problem

OVEN = WorkCenter("oven", "Oven", 1, 24)
ORIGIN = datetime(2026, 3, 2, tzinfo=UTC)


def order_row(number: str, *, express: bool, placed: datetime = ORIGIN) -> SalesOrderRow:
    routing = [
        {"sequence": 10, "code": "bake", "work_centers": ["oven"], "setup_minutes": "0",
         "run_minutes": "600"},
    ]  # fmt: skip
    return SalesOrderRow(
        id=number,
        tenant_id="t",
        number=number,
        product_code="fridge",
        product_revision=1,
        choices={},
        configured={"routing": routing},
        quantity=1,
        unit_price=Decimal(1),
        total_price=Decimal(1),
        currency="EUR",
        promise_date=ORIGIN + timedelta(hours=10),
        status="Received",
        express=express,
        created_at=placed,
    )


def test_an_express_order_carries_the_express_weight() -> None:
    assert planning_order(order_row("a", express=True), ORIGIN).weight == EXPRESS_WEIGHT
    assert planning_order(order_row("b", express=False), ORIGIN).weight == STANDARD_WEIGHT
    assert EXPRESS_WEIGHT > STANDARD_WEIGHT


def test_of_two_orders_due_together_on_one_oven_the_express_one_goes_first() -> None:
    # the standard order comes first in the input: only the weight can put express first
    orders = [
        planning_order(order_row("standard", express=False), ORIGIN),
        planning_order(order_row("express", express=True), ORIGIN),
    ]
    problem = build_problem(orders, {"oven": OVEN}, origin=ORIGIN)
    schedule = solve(problem, time_limit=10, objective="lead-time", work_limit=5)
    end = {op.order: op.end for op in schedule.operations}
    assert end["express"] < end["standard"]


def test_an_order_weighs_once_more_for_every_hour_it_has_waited() -> None:
    hour = AGING / timedelta(minutes=1)
    waited = [waiting_weight(False, ORIGIN, ORIGIN + AGING * f) for f in (0, 0.99, 1, 3.1)]
    assert (hour, waited) == (60, [1, 1, 2, 4])
    assert waiting_weight(True, ORIGIN, ORIGIN + 3 * AGING) == 4 * EXPRESS_WEIGHT
    assert waiting_weight(False, ORIGIN, ORIGIN - timedelta(hours=1)) == 1  # clock skew: fresh


def test_of_two_equal_orders_the_one_that_waited_longer_goes_first() -> None:
    """Both are released now; the older one was placed three hours ago and comes second in
    the input, so only its weight can put it first (FIFO's virtue, kept by the optimizer)."""
    now = ORIGIN + timedelta(hours=3)
    orders = [
        planning_order(order_row("fresh", express=False, placed=now), now),
        planning_order(order_row("old", express=False), now),
    ]
    problem = build_problem(orders, {"oven": OVEN}, origin=now)
    schedule = solve(problem, time_limit=10, objective="lead-time", work_limit=5)
    end = {op.order: op.end for op in schedule.operations}
    assert end["old"] < end["fresh"]
