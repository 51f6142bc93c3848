"""The order state machine allows exactly the documented steps."""

from __future__ import annotations

import itertools

import pytest

from openfab.errors import Conflict
from openfab.orders.states import FLOW, NEXT, OrderStatus, check_transition


def test_the_happy_path_is_allowed_step_by_step() -> None:
    for current, target in itertools.pairwise(FLOW):
        check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (OrderStatus.RECEIVED, OrderStatus.SHIPPED),  # skipping steps
        (OrderStatus.IN_PRODUCTION, OrderStatus.CANCELLED),  # too late to cancel
        (OrderStatus.DELIVERED, OrderStatus.RECEIVED),  # going back
        (OrderStatus.CANCELLED, OrderStatus.PLANNED),  # reviving a cancelled order
        (OrderStatus.PLANNED, OrderStatus.PLANNED),  # no-op transition
    ],
)
def test_illegal_transitions_are_refused_with_the_allowed_ones(
    current: OrderStatus, target: OrderStatus
) -> None:
    with pytest.raises(Conflict, match="allowed"):
        check_transition(current, target)


def test_final_states_have_no_successor() -> None:
    assert NEXT[OrderStatus.DELIVERED] == NEXT[OrderStatus.CANCELLED] == frozenset()
