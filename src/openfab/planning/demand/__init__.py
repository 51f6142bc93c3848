"""Demand sensing: forecast each product, option and material from order history.

Pure engine (no database, network or clock). A method per series — naive, seasonal naive,
moving average, simple, Holt and Holt-Winters smoothing, Croston and TSB for intermittent
demand — is chosen by rolling-origin backtest; safety stock follows from the backtest error
over the lead time and the planner's service level.

>>> sensing = DemandSensing()                                                  # doctest: +SKIP
>>> history = option_history(orders) + material_history(orders)                # doctest: +SKIP
>>> plan = sensing.forecast(history, horizon_days=56, service_level=0.95)      # doctest: +SKIP
>>> demand = to_forecast_demand(plan, planning_bom(orders), offset_days=7)     # doctest: +SKIP
>>> problem = problem.with_demand_sensing(tuple(demand), safety_stocks(plan, bom))  # doctest: +SKIP

Before there is history, the planner's expected use per material and day is the prior
(:class:`DemandPrior`): the forecast starts there and history takes over as it accumulates.
"""

from openfab.planning.demand.configured import (
    ConfiguredOrder,
    PlanningBom,
    material_forecast,
    material_history,
    option_history,
    option_key,
    planning_bom,
    safety_stocks,
    to_forecast_demand,
)
from openfab.planning.demand.model import Bucket, DemandObservation, DemandPlan, SeriesForecast
from openfab.planning.demand.prior import DemandPrior, blend, history_weight
from openfab.planning.demand.sensing import DemandSensing

__all__ = [
    "Bucket",
    "ConfiguredOrder",
    "DemandObservation",
    "DemandPlan",
    "DemandPrior",
    "DemandSensing",
    "PlanningBom",
    "SeriesForecast",
    "blend",
    "history_weight",
    "material_forecast",
    "material_history",
    "option_history",
    "option_key",
    "planning_bom",
    "safety_stocks",
    "to_forecast_demand",
]
