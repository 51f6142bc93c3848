"""Small plants and plans for the twin's tests."""

from __future__ import annotations

from typing import Any

import pytest

from openfab.twin import (
    MaterialNeed,
    PlannedOperation,
    PlannedWorkOrder,
    PlantLayout,
    ProductionPlan,
    PurchaseOrder,
    TwinConfig,
    parse_layout,
    sample_layout,
)
from openfab.twin.sample_plan import synthetic_plan


def small_layout_data() -> dict[str, Any]:
    """A cell with a press (two machines) and a welder; one drifting parameter each."""
    return {
        "site": {"code": "lab", "name": "Test plant"},
        "solar_peak_kw": 50,
        "areas": [
            {
                "code": "hall",
                "lines": [
                    {
                        "code": "cell",
                        "work_centers": [
                            {
                                "code": "press",
                                "machines": 2,
                                "kw": {"running": 30, "idle": 5},
                                "wear_rate": 0.01,
                                "parameters": [
                                    {
                                        "name": "force_kn",
                                        "setpoint": 100,
                                        "tolerance": 5,
                                        "drift": 1,
                                    }
                                ],
                            },
                            {
                                "code": "weld",
                                "machines": ["welder-a"],
                                "wear_rate": 0.01,
                                "parameters": [
                                    {
                                        "name": "current_a",
                                        "setpoint": 180,
                                        "tolerance": 8,
                                        "drift": 1,
                                    }
                                ],
                            },
                        ],
                    }
                ],
            }
        ],
    }


@pytest.fixture
def small_layout() -> PlantLayout:
    return parse_layout(small_layout_data())


@pytest.fixture(scope="session")
def plant() -> PlantLayout:
    return sample_layout()


@pytest.fixture(scope="session")
def day_plan(plant: PlantLayout) -> ProductionPlan:
    """A day of 120 sample orders on the sample plant, material included."""
    return synthetic_plan(plant, orders_per_day=120, days=1, seed=3)


def chain_plan(
    orders: int,
    *,
    minutes: float = 30.0,
    quantity: int = 1,
    steel: float = 2.0,
    scrap: float = 0.0,
    stock: float | None = None,
    load: float = 1.0,
) -> ProductionPlan:
    """``orders`` work orders, each pressed on press-1 then welded, back to back."""
    work_orders = []
    for n in range(orders):
        t = n * minutes
        ops = (
            PlannedOperation(
                id=f"WO{n}/10",
                code="press",
                machine="press-1",
                start=t,
                end=t + minutes,
                setup_minutes=2.0,
                family="a",
                load=load,
                materials=(MaterialNeed("steel", steel, scrap),),
            ),
            PlannedOperation(
                id=f"WO{n}/20",
                code="weld",
                machine="welder-a",
                start=t + minutes,
                end=t + 2 * minutes,
                load=load,
            ),
        )
        work_orders.append(PlannedWorkOrder(f"WO{n}", "widget", ops, quantity=quantity))
    total = steel * (1 + scrap) * quantity * orders if stock is None else stock
    purchases = (PurchaseOrder("PO-1", "steel", total, due=0.0, lot_size=total / 4 or None),)
    return ProductionPlan(tuple(work_orders), purchases if total > 0 else ())


def quiet(**changes: Any) -> TwinConfig:
    """A config for controlled experiments: no telemetry, hourly energy, new machines."""
    defaults = {"telemetry_period": 0.0, "energy_period": 60.0, "initial_wear_spread": 0.0}
    return TwinConfig(**{**defaults, **changes})
