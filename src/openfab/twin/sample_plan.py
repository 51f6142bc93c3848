"""A synthetic production plan for the sample plant (tests, benchmarks, what-if studies).

Orders are the sample catalog's products in a few configured variants each, placed by a
greedy list scheduler (each step on the eligible machine free first, no shift calendar);
purchase orders bring each day's material half a day early. The real loop gets its plan
from the planner instead.
"""

from __future__ import annotations

import functools
import random
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from openfab.catalog.results import ConfiguredProduct
from openfab.catalog.sample import load_sample_catalog
from openfab.errors import Infeasible
from openfab.twin.layout import PlantLayout
from openfab.twin.plan import (
    MaterialNeed,
    PlannedOperation,
    PlannedWorkOrder,
    ProductionPlan,
    PurchaseOrder,
)

DAY = 24 * 60


@dataclass(frozen=True)
class Step:
    code: str
    work_centers: tuple[str, ...]
    setup: float
    run: float


@dataclass(frozen=True)
class Variant:
    """One configured product: its routing and its BOM per unit."""

    product: str
    family: str
    steps: tuple[Step, ...]
    bom: tuple[MaterialNeed, ...]


@functools.cache
def sample_variants(per_product: int = 4, seed: int = 0) -> tuple[Variant, ...]:
    """A few configured variants of every sample product (cached per process)."""
    catalog = load_sample_catalog()
    rng = random.Random(seed)
    out = []
    for code, product in catalog.products.items():
        configurator = catalog.configurator(code)
        for _ in range(per_product):
            wish = {
                g.code: rng.choice(g.options).code
                for g in product.option_groups
                if g.kind == "single" and rng.random() < 0.5
            }
            try:
                configured = configurator.complete(wish)
            except Infeasible:
                configured = configurator.complete({})
            out.append(_variant(configured, product.family))
    return tuple(out)


def _variant(configured: ConfiguredProduct, family: str) -> Variant:
    steps = tuple(
        Step(op.code, op.work_centers, float(op.setup_minutes), float(op.run_minutes))
        for op in configured.routing
    )
    bom = tuple(MaterialNeed(line.material, float(line.quantity)) for line in configured.bom)
    return Variant(configured.product, family, steps, bom)


def synthetic_plan(
    layout: PlantLayout,
    *,
    orders_per_day: int,
    days: int,
    seed: int = 0,
    first_start: float = 360.0,
    lead_minutes: Mapping[str, float] | None = None,
) -> ProductionPlan:
    """``orders_per_day`` single-unit work orders a day for ``days`` days, scheduled greedily."""
    rng = random.Random(seed)
    variants = sample_variants()
    centers = layout.work_centers
    free = dict.fromkeys(layout.machines, first_start)
    family: dict[str, str] = {}
    need: dict[tuple[int, str], float] = defaultdict(float)
    orders = []
    for n in range(orders_per_day * days):
        release = first_start + n * DAY / orders_per_day
        variant = rng.choice(variants)
        wo_id = f"WO-{n + 1:06d}"
        ops = []
        ready = release
        for k, step in enumerate(variant.steps):
            machines = [
                m for wc in step.work_centers if wc in centers for m in centers[wc].machines
            ]
            machine = min(machines, key=lambda m: (max(free[m], ready), m))
            start = max(free[machine], ready)
            setup = step.setup if family.get(machine) != variant.family else 0.0
            end = start + setup + max(step.run, 0.5)
            free[machine], family[machine], ready = end, variant.family, end
            ops.append(
                PlannedOperation(
                    id=f"{wo_id}/{(k + 1) * 10}",
                    code=step.code,
                    machine=machine,
                    start=start,
                    end=end,
                    setup_minutes=setup,
                    family=variant.family,
                    materials=variant.bom if k == 0 else (),
                )
            )
            if k == 0:
                for line in variant.bom:
                    need[(int(start // DAY), line.material)] += line.quantity
        orders.append(PlannedWorkOrder(wo_id, variant.product, tuple(ops), due=ready + DAY))
    return ProductionPlan(tuple(orders), _purchases(need, lead_minutes or {}))


def _purchases(
    need: Mapping[tuple[int, str], float], lead: Mapping[str, float]
) -> tuple[PurchaseOrder, ...]:
    """Each day's material, 10 % spare, due half a day before the day (day 0: stock)."""
    out = []
    for (day, material), quantity in sorted(need.items()):
        due = max(0.0, day * DAY - DAY / 2)
        ordered = max(0.0, due - lead.get(material, 0.0)) if due > 0 else 0.0
        out.append(
            PurchaseOrder(
                id=f"PO-{day:03d}-{material}",
                material=material,
                quantity=round(quantity * 1.1, 3),
                due=due,
                ordered_at=ordered,
                lot_size=max(round(quantity * 1.1 / 3, 3), 1e-3),
                supplier=f"supplier-{material.split('_')[0]}",
            )
        )
    return tuple(out)
