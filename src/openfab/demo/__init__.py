"""The full-loop demo: three brands' customers order, the platform plans, the twin builds,
the MES records every unit, orders ship — a simulated week on the platform's services."""

from openfab.demo.brands import (
    BRANDS,
    DEMO_PASSWORD,
    ensure_plant_staff,
    ensure_tenant,
    random_choices,
)
from openfab.demo.kpis import Kpis, OrderOutcome, compute
from openfab.demo.run import DemoConfig, DemoResult, run_demo

__all__ = [
    "BRANDS",
    "DEMO_PASSWORD",
    "DemoConfig",
    "DemoResult",
    "Kpis",
    "OrderOutcome",
    "compute",
    "ensure_plant_staff",
    "ensure_tenant",
    "random_choices",
    "run_demo",
]
