"""Express orders weigh more in the plan: the planner puts them first when not every order
can be on time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from openfab.catalog.definition import WorkCenter
from openfab.orders.orm import SalesOrderRow
from openfab.planning import solve
from openfab.planning.model import EXPRESS_WEIGHT, STANDARD_WEIGHT
from openfab.planning.service import planning_order
from openfab.planning.shopfloor import build_problem

OVEN = WorkCenter("oven", "Oven", 1, 24)
ORIGIN = datetime(2026, 3, 2, tzinfo=UTC)


def order_row(number: str, *, express: bool) -> SalesOrderRow:
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
        created_at=ORIGIN,
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
