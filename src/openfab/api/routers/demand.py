"""Demand sensing's settings: the plant planner's expected material use (the prior)."""

from __future__ import annotations

from fastapi import APIRouter

from openfab.api.deps import CurrentActor, PlatformDep
from openfab.planning.demand.schemas import ExpectedUseIn, ExpectedUsePublic

router = APIRouter(prefix="/planning/demand", tags=["planning"])


@router.get("/expected-use", operation_id="get_expected_use")
def get_expected_use(platform: PlatformDep, actor: CurrentActor) -> ExpectedUsePublic:
    """The plant's expected use per material per day, and how far forecasts trust it."""
    return platform.demand.expected_use(actor)


@router.put("/expected-use", operation_id="set_expected_use")
def set_expected_use(
    platform: PlatformDep, actor: CurrentActor, body: ExpectedUseIn
) -> ExpectedUsePublic:
    """Set the expected use per material per day (plant planners): demand sensing forecasts
    from it until order history takes over. Replaces the whole set."""
    return platform.demand.set_expected_use(actor, body)
