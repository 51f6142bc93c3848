"""Lot sizing: how much one planned order buys once the net requirement is known.

The material's policy sets the quantity (lot-for-lot, fixed, EOQ, period order quantity);
the supplier's minimum order and lot multiple then round it up. Counted materials are
ordered in whole pieces.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from openfab.planning.mrp.explode import Requirement
from openfab.planning.mrp.model import (
    EconomicOrderQuantity,
    FixedOrderQuantity,
    LotSizing,
    PeriodOrderQuantity,
)
from openfab.planning.mrp.units import dimension

ZERO = Decimal(0)
MILLI = Decimal("0.001")
DAYS_PER_YEAR = Decimal(365)


def round_up(quantity: Decimal, unit: str) -> Decimal:
    """Whole pieces for counted materials, thousandths for everything else."""
    quantum = Decimal(1) if dimension(unit) == "count" else MILLI
    return quantity.quantize(quantum, rounding=ROUND_CEILING)


def multiple_up(quantity: Decimal, multiple: Decimal) -> Decimal:
    if multiple <= 0:
        return quantity
    return (quantity / multiple).to_integral_value(rounding=ROUND_CEILING) * multiple


def multiple_down(quantity: Decimal, multiple: Decimal) -> Decimal:
    if multiple <= 0:
        return quantity
    return (quantity / multiple).to_integral_value(rounding=ROUND_FLOOR) * multiple


def economic_order_quantity(
    policy: EconomicOrderQuantity, annual_demand: Decimal, unit_price: Decimal
) -> Decimal:
    """``sqrt(2·D·S / H)`` with ``H = holding_rate × unit_price`` (0 when nothing to hold)."""
    holding = policy.holding_rate * unit_price
    if annual_demand <= 0 or holding <= 0:
        return ZERO
    return (2 * annual_demand * policy.ordering_cost / holding).sqrt()


def annual_demand(requirements: Sequence[Requirement], span_days: int) -> Decimal:
    """Gross demand over the plan extrapolated to a year (safety stock excluded)."""
    total = sum((r.quantity for r in requirements if r.kind != "SafetyStock"), ZERO)
    return total * DAYS_PER_YEAR / max(span_days, 1)


def lot_size(
    policy: LotSizing,
    net: Decimal,
    later_net: Decimal,
    eoq: Decimal,
) -> Decimal:
    """The order quantity for a net requirement ``net``.

    ``later_net`` is what the following buckets of a period-order window still need (all
    earlier supply is used up when MRP plans an order); ``eoq`` is the precomputed EOQ.
    """
    if isinstance(policy, FixedOrderQuantity):
        return multiple_up(net, policy.quantity)
    if isinstance(policy, EconomicOrderQuantity):
        return max(net, eoq)
    if isinstance(policy, PeriodOrderQuantity):
        return net + later_net
    return net
