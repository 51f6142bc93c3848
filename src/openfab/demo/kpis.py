"""The demo's key performance indicators, computed from plain records (pure, no I/O).

Order-to-ship is measured from the moment the customer ordered to the moment the order left
the plant, and split four ways (means over shipped orders, so the parts add up): waiting for
the floor (ordered to its first operation's start), on a machine (hours some operation of the
order was running), between steps (the rest of first start to last finish: queues, transport,
material) and finished to shipped (inspection, rework, packing). All but "on a machine"
(setups included) is waiting a plan can shorten; that one is the KPI's floor.

On-time delivery compares delivery (or, for an order shipped but still on its
way, shipping plus the carrier's days) against the date the customer was first promised; an
order neither shipped nor due yet at the end of the run is not counted either way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

HOUR = 3600.0


@dataclass(frozen=True)
class OrderOutcome:
    """One customer order as the run saw it."""

    placed: datetime
    promised: datetime
    quantity: int
    shipped: datetime | None = None
    delivered: datetime | None = None
    express: bool = False
    first_start: datetime | None = None
    """When the first operation of the order started (None before it did)."""
    last_finish: datetime | None = None
    """When its last operation finished."""
    working_hours: float = 0.0
    """Hours at least one of its operations was running (overlaps counted once)."""


@dataclass(frozen=True)
class Kpis:
    orders: int
    orders_shipped: int
    units_started: int
    units_good: int
    units_scrapped: int
    order_to_ship_median_h: float | None
    order_to_ship_p95_h: float | None
    on_time_delivery: float | None
    oee: float | None
    first_pass_yield: float | None
    energy_kwh: float
    energy_per_good_unit_kwh: float | None
    """Energy per unit shipped as good (a defect inspection missed counts as good here)."""
    solar_share: float | None
    promised_days_mean: float | None = None
    express_to_ship_median_h: float | None = None
    setup_hours: float = 0.0
    purchase_orders: int = 0
    average_inventory_value: float = 0.0
    material_shortages: int = 0
    material_blocked_hours: float = 0.0
    defects_made_per_1000: float | None = None
    """Units made with a defect (the twin's truth, caught or not), per 1,000 units finished:
    what prevention (process control, maintenance) changes, inspection aside."""
    escaped_defects_per_1000: float | None = None
    """Units with a defect that passed inspection, per 1,000 units finished."""
    false_rejects_per_1000: float | None = None
    """Units without a defect that inspection rejected, per 1,000 units finished."""
    machine_breakdowns: int = 0
    maintenance_stops: int = 0
    unplanned_downtime_h: float = 0.0
    """Machine-hours broken down; planned maintenance is not in it."""
    energy_per_defect_free_unit_kwh: float | None = None
    """Energy per unit shipped without a defect (the twin's truth): an escaped defect is
    energy spent on a unit the customer sends back."""
    to_ship_before_floor_h: float | None = None
    """Order-to-ship, mean hours from ordered to the first operation's start."""
    to_ship_working_h: float | None = None
    """Order-to-ship, mean hours some operation of the order was running."""
    to_ship_between_steps_h: float | None = None
    """Order-to-ship, mean hours between its first start and last finish with nothing running."""
    to_ship_after_floor_h: float | None = None
    """Order-to-ship, mean hours from its last operation's finish to shipping."""

    def as_dict(self) -> dict[str, float | int | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Production:
    """Plant totals of the run (units finished good or scrapped, energy drawn)."""

    units_started: int
    units_good: int
    units_scrapped: int
    first_pass_units: int
    energy_kwh: float
    solar_kwh: float
    purchase_orders: int = 0
    """Purchase orders sent to suppliers (the opening stock is not one)."""
    average_inventory_value: float = 0.0
    """Stock on hand at the preferred suppliers' prices, averaged over the run's time."""
    material_shortages: int = 0
    """Operations that found their material short (one ``MaterialShortage`` each)."""
    material_blocked_hours: float = 0.0
    """Hours operations stood ready but waited for material."""
    setup_hours: float = 0.0
    """Hours machines spent changing over."""
    defective_units: int = 0
    """Units finished with a defect (the twin's truth), whatever inspection said."""
    escaped_defects: int = 0
    """Defective units (the twin's truth) that inspection let pass."""
    false_rejects: int = 0
    """Good units (the twin's truth) that inspection rejected."""
    breakdowns: int = 0
    """Machine failures (the twin's)."""
    maintenance_stops: int = 0
    """Maintenance stops carried out, whoever asked (maintenance planning, the quality loop)."""
    breakdown_hours: float = 0.0
    """Machine-hours broken down (unplanned downtime)."""


def time_average(samples: Sequence[tuple[float, float]]) -> float:
    """The average of (duration, value) samples weighted by duration; 0 when none."""
    total = sum(d for d, _ in samples)
    if total <= 0:
        return 0.0
    return sum(d * v for d, v in samples) / total


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100), linear between closest ranks; None when empty."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ratio(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


def on_time(orders: Sequence[OrderOutcome], *, end: datetime, shipping: timedelta) -> float | None:
    """Share of the orders decided by ``end`` that arrived by their first promise."""
    decided = kept = 0
    for order in orders:
        arrival = order.delivered or (order.shipped + shipping if order.shipped else None)
        if arrival is None:
            if order.promised < end:
                decided += 1  # due and not even shipped: late
            continue
        decided += 1
        kept += arrival <= order.promised
    return ratio(kept, decided)


def compute(
    orders: Sequence[OrderOutcome],
    production: Production,
    *,
    end: datetime,
    shipping: timedelta,
    oee: float | None,
) -> Kpis:
    """All KPIs of a run; ratios are within [0, 1], None where nothing was measured."""
    hours = [(o.shipped - o.placed).total_seconds() / HOUR for o in orders if o.shipped]
    express = [
        (o.shipped - o.placed).total_seconds() / HOUR for o in orders if o.shipped and o.express
    ]
    promised = [(o.promised - o.placed).total_seconds() / (24 * HOUR) for o in orders]
    finished = production.units_good + production.units_scrapped
    parts = time_to_ship_parts(orders)
    return Kpis(
        orders=len(orders),
        orders_shipped=len(hours),
        units_started=production.units_started,
        units_good=production.units_good,
        units_scrapped=production.units_scrapped,
        order_to_ship_median_h=percentile(hours, 50),
        order_to_ship_p95_h=percentile(hours, 95),
        on_time_delivery=on_time(orders, end=end, shipping=shipping),
        oee=None if oee is None else min(1.0, max(0.0, oee)),
        first_pass_yield=ratio(production.first_pass_units, finished),
        energy_kwh=production.energy_kwh,
        energy_per_good_unit_kwh=ratio(production.energy_kwh, production.units_good),
        solar_share=ratio(production.solar_kwh, production.energy_kwh),
        promised_days_mean=sum(promised) / len(promised) if promised else None,
        express_to_ship_median_h=percentile(express, 50),
        setup_hours=production.setup_hours,
        purchase_orders=production.purchase_orders,
        average_inventory_value=production.average_inventory_value,
        material_shortages=production.material_shortages,
        material_blocked_hours=production.material_blocked_hours,
        defects_made_per_1000=per_thousand(production.defective_units, finished),
        escaped_defects_per_1000=per_thousand(production.escaped_defects, finished),
        false_rejects_per_1000=per_thousand(production.false_rejects, finished),
        machine_breakdowns=production.breakdowns,
        maintenance_stops=production.maintenance_stops,
        unplanned_downtime_h=production.breakdown_hours,
        energy_per_defect_free_unit_kwh=ratio(
            production.energy_kwh, production.units_good - production.escaped_defects
        ),
        to_ship_before_floor_h=parts[0],
        to_ship_working_h=parts[1],
        to_ship_between_steps_h=parts[2],
        to_ship_after_floor_h=parts[3],
    )


def time_to_ship_parts(
    orders: Sequence[OrderOutcome],
) -> tuple[float | None, float | None, float | None, float | None]:
    """Mean hours (before the floor, on a machine, between steps, after the floor) over the
    shipped orders whose operations were seen; the four add up to their mean order-to-ship."""
    seen = [o for o in orders if o.shipped and o.first_start and o.last_finish]
    if not seen:
        return None, None, None, None
    before = after = working = span = 0.0
    for o in seen:
        assert o.shipped and o.first_start and o.last_finish
        before += (o.first_start - o.placed).total_seconds() / HOUR
        span += (o.last_finish - o.first_start).total_seconds() / HOUR
        after += (o.shipped - o.last_finish).total_seconds() / HOUR
        working += o.working_hours
    n = len(seen)
    return before / n, working / n, (span - working) / n, after / n


def busy_hours(spans: Sequence[tuple[datetime, datetime]]) -> float:
    """Hours covered by at least one of ``spans`` (start, end); overlaps counted once."""
    total, reach = 0.0, None
    for start, end in sorted(spans):
        if reach is not None and start < reach:
            start = reach
        if end > start:
            total += (end - start).total_seconds() / HOUR
        reach = end if reach is None else max(reach, end)
    return total


def per_thousand(count: int, total: int) -> float | None:
    return None if total <= 0 else 1000 * count / total


LOWER_IS_BETTER = frozenset(
    {
        "order_to_ship_median_h",
        "order_to_ship_p95_h",
        "energy_kwh",
        "energy_per_good_unit_kwh",
        "promised_days_mean",
        "express_to_ship_median_h",
        "setup_hours",
        "purchase_orders",
        "average_inventory_value",
        "material_shortages",
        "material_blocked_hours",
        "defects_made_per_1000",
        "escaped_defects_per_1000",
        "false_rejects_per_1000",
        "energy_per_defect_free_unit_kwh",
        "machine_breakdowns",
        "maintenance_stops",
        "unplanned_downtime_h",
        "to_ship_before_floor_h",
        "to_ship_working_h",
        "to_ship_between_steps_h",
        "to_ship_after_floor_h",
    }
)


def change_percent(before: float | None, after: float | None) -> float | None:
    """Relative change from ``before`` to ``after`` in percent; None when undefined."""
    if before is None or after is None or before == 0:
        return None
    return (after - before) / abs(before) * 100


@dataclass(frozen=True)
class Comparison:
    """One KPI over seeds: each arm's mean, the change of the means, and the spread of the
    per-seed changes (same seed, same orders, same machine fates in both arms)."""

    baseline: float | None
    arm: float | None
    change: float | None
    low: float | None
    high: float | None


def mean(values: Sequence[float | int | None]) -> float | None:
    known = [float(v) for v in values if v is not None]
    return sum(known) / len(known) if known else None


def mean_by_key(dicts: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Each key's mean over ``dicts`` (a key missing from one counts 0), largest first."""
    total: dict[str, float] = {}
    for d in dicts:
        for key, value in d.items():
            total[key] = total.get(key, 0.0) + value / len(dicts)
    return dict(sorted(total.items(), key=lambda kv: -kv[1]))


def compare_seeds(baseline: Sequence[Kpis], arm: Sequence[Kpis]) -> dict[str, Comparison]:
    """KPI name → :class:`Comparison` of ``arm`` against ``baseline``, seed by seed
    (``baseline[i]`` and ``arm[i]`` ran on the same seed)."""
    if len(baseline) != len(arm) or not baseline:
        raise ValueError("need the same seeds, at least one, in both arms")
    before = [k.as_dict() for k in baseline]
    after = [k.as_dict() for k in arm]
    out = {}
    for name in before[0]:
        b, a = mean([d[name] for d in before]), mean([d[name] for d in after])
        changes = [
            c
            for x, y in zip(before, after, strict=True)
            if (c := change_percent(x[name], y[name])) is not None
        ]
        out[name] = Comparison(
            b, a, change_percent(b, a), min(changes, default=None), max(changes, default=None)
        )
    return out
