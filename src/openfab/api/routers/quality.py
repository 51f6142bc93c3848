"""Quality over REST: inspection models, each unit's scans with their verdicts and heat maps.

Thin: roles and tenant visibility live in the service (a brand's staff see their own units'
scans; customers see none; only the plant's quality staff install models).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from openfab.api.deps import CurrentActor, PlatformDep
from openfab.quality.control import (
    CharacteristicPublic,
    ChartKind,
    ControlChartPublic,
    SpcAlarmPublic,
)
from openfab.quality.schemas import (
    CausesPublic,
    InspectionModelPublic,
    QualityDecisionPublic,
    UnitScanPublic,
)

router = APIRouter(prefix="/quality", tags=["quality"])
ScanId = Annotated[str, Path(min_length=1, max_length=36)]
PNG: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": {}}, "description": "A PNG picture"}
}


@router.get("/models", operation_id="list_inspection_models")
def models(platform: PlatformDep, actor: CurrentActor) -> list[InspectionModelPublic]:
    """The plant's visual inspection models, newest first (the active one scores)."""
    return platform.quality.models(actor)


@router.get("/scans", operation_id="list_unit_scans")
def scans(
    platform: PlatformDep,
    actor: CurrentActor,
    verdict: Annotated[str | None, Query(pattern="^(ok|defect)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[UnitScanPublic]:
    """The newest scans and their verdicts (``verdict`` filters ok or defect)."""
    return platform.quality.scans(actor, verdict=verdict, limit=limit)


@router.get(
    "/scans/{scan_id}/image",
    operation_id="unit_scan_image",
    response_class=Response,
    responses=PNG,
)
def scan_image(platform: PlatformDep, actor: CurrentActor, scan_id: ScanId) -> Response:
    """The scanned image (kept for rejected units and a sample of accepted ones)."""
    return _png(platform.quality.picture(actor, scan_id, "image"))


@router.get(
    "/scans/{scan_id}/heat-map",
    operation_id="unit_scan_heat_map",
    response_class=Response,
    responses=PNG,
)
def scan_heat_map(platform: PlatformDep, actor: CurrentActor, scan_id: ScanId) -> Response:
    """Where the detector saw the anomaly, over the image."""
    return _png(platform.quality.picture(actor, scan_id, "heat_map"))


def _png(data: bytes) -> Response:
    return Response(content=data, media_type="image/png", headers={"Cache-Control": "private"})


@router.get("/characteristics", operation_id="list_process_characteristics")
def characteristics(platform: PlatformDep, actor: CurrentActor) -> list[CharacteristicPublic]:
    """Process values the floor reported recently, with their spec (plant staff)."""
    return platform.spc.characteristics(actor)


@router.get("/spc/{characteristic}", operation_id="control_chart")
def control_chart(
    platform: PlatformDep,
    actor: CurrentActor,
    characteristic: Annotated[str, Path(min_length=1, max_length=128)],
    kind: Annotated[ChartKind, Query(description="imr, xbar-r, ewma or cusum")] = "imr",
    rules: Annotated[str, Query(pattern="^(nelson|western-electric|limits|none)$")] = "nelson",
) -> ControlChartPublic:
    """A control chart of one characteristic, one work center's stream of a value (e.g.
    ``paint.film_thickness_um@paint_line``; without ``@…`` every work center's values together)
    over its newest values, limits from its first values, signals by rule, capability
    against the work center's spec."""
    return platform.spc.chart(actor, characteristic, kind, rules=rules)


@router.get("/alarms", operation_id="list_spc_alarms")
def alarms(
    platform: PlatformDep,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[SpcAlarmPublic]:
    """Out-of-control signals raised, newest first (plant staff)."""
    return [SpcAlarmPublic.model_validate(a) for a in platform.spc.alarms(actor, limit)]


@router.get("/causes", operation_id="quality_root_causes")
def causes(
    platform: PlatformDep,
    actor: CurrentActor,
    days: Annotated[float, Query(gt=0, le=366)] = 7.0,
) -> CausesPublic:
    """Likely causes of the defects among the units finished over the last ``days``, each
    with its evidence (test, effect size with CI, p and q) and a sentence (plant staff)."""
    return platform.quality.causes(actor, days=days)


@router.get("/decisions", operation_id="list_quality_decisions")
def decisions(
    platform: PlatformDep,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> list[QualityDecisionPublic]:
    """What the quality autopilot decided (re-centre, stop, quarantine, tighten) and why."""
    return platform.quality.decisions(actor, limit)
