"""The product lifecycle over REST: passports (restricted for the brand and the plant,
public by passport id without sign-in), field reports, claims, returns and recovery."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from openfab.api.deps import BrandOfSerial, CurrentActor, PlatformDep
from openfab.lifecycle.passport import to_aas
from openfab.lifecycle.schemas import (
    ClaimIn,
    ClaimPublic,
    FieldReportIn,
    FieldReportPublic,
    Passport,
    PublicSectionsIn,
    RecoveryIn,
    RecoveryPublic,
    ReturnIn,
    RevisionClaims,
    Section,
)

router = APIRouter(tags=["lifecycle"])
Serial = Annotated[str, Path(min_length=1, max_length=64)]
PassportId = Annotated[str, Path(min_length=36, max_length=36)]


@router.get("/passports/{serial}", operation_id="get_passport")
def passport(
    platform: PlatformDep, actor: CurrentActor, serial: Serial, tenant: BrandOfSerial = None
) -> Passport:
    """A unit's full battery passport (the brand's staff, its customer, the plant)."""
    return platform.lifecycle.passport(actor, serial, tenant=tenant)


@router.get("/passports/{serial}/aas", operation_id="get_passport_aas")
def passport_aas(
    platform: PlatformDep, actor: CurrentActor, serial: Serial, tenant: BrandOfSerial = None
) -> dict[str, Any]:
    """The passport as AAS battery-passport submodels (IDTA 02035 idShorts)."""
    return to_aas(platform.lifecycle.passport(actor, serial, tenant=tenant))


@router.get("/public/passports/{passport_id}", operation_id="get_public_passport")
def public_passport(platform: PlatformDep, passport_id: PassportId) -> Passport:
    """What the QR code shows anyone: only the sections the brand publishes. No sign-in."""
    return platform.lifecycle.public_passport(passport_id)


@router.get("/public/passports/{passport_id}/qr.svg", operation_id="get_passport_qr")
def passport_qr(platform: PlatformDep, request: Request, passport_id: PassportId) -> Response:
    """The passport's QR code (SVG) pointing at its public page."""
    platform.lifecycle.public_passport(passport_id)  # 404 for an unknown id
    url = str(request.url_for("passport_page", passport_id=passport_id))
    svg = platform.lifecycle.qr_svg(url)
    return Response(svg, media_type="image/svg+xml")


@router.put("/passports/settings/public-sections", operation_id="set_passport_public_sections")
def public_sections(
    platform: PlatformDep, actor: CurrentActor, body: PublicSectionsIn
) -> list[Section]:
    """The brand chooses which passport sections anyone may see."""
    return platform.lifecycle.set_public_sections(actor, body.sections)


@router.post("/field-reports", operation_id="post_field_report")
def field_report(
    platform: PlatformDep, actor: CurrentActor, body: FieldReportIn
) -> FieldReportPublic:
    """A unit's report from the field: impossible values are refused (422, every problem
    named), doubtful ones kept as flagged, a repeated report id changes nothing."""
    return platform.lifecycle.report(actor, body)


@router.get("/passports/{serial}/field-reports", operation_id="list_field_reports")
def field_reports(
    platform: PlatformDep, actor: CurrentActor, serial: Serial, tenant: BrandOfSerial = None
) -> list[FieldReportPublic]:
    return platform.lifecycle.reports(actor, serial, tenant=tenant)


@router.post("/claims", operation_id="post_claim")
def claim(platform: PlatformDep, actor: CurrentActor, body: ClaimIn) -> ClaimPublic:
    """A warranty claim or field failure, filed against the unit's design revision."""
    return platform.lifecycle.file_claim(actor, body)


@router.get("/claims/by-revision", operation_id="claims_by_revision")
def claims_by_revision(
    platform: PlatformDep,
    actor: CurrentActor,
    product: Annotated[str | None, Query(max_length=64)] = None,
) -> list[RevisionClaims]:
    """Claims and field failures per design revision against the units shipped."""
    return platform.lifecycle.claims_by_revision(actor, product)


@router.post("/passports/{serial}/return", operation_id="return_unit")
def return_unit(
    platform: PlatformDep,
    actor: CurrentActor,
    serial: Serial,
    body: ReturnIn,
    tenant: BrandOfSerial = None,
) -> Passport:
    """A unit came back at the end of its life (plant staff)."""
    return platform.lifecycle.return_unit(actor, serial, body.reason, tenant=tenant)


@router.post("/passports/{serial}/recover", operation_id="recover_unit")
def recover(
    platform: PlatformDep,
    actor: CurrentActor,
    serial: Serial,
    body: RecoveryIn,
    tenant: BrandOfSerial = None,
) -> RecoveryPublic:
    """Dismantle a returned unit: recovery per element; the casing aluminium into stock."""
    return platform.lifecycle.recover(actor, serial, body, tenant=tenant)
