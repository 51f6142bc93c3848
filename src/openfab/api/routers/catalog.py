from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from openfab.api.deps import CurrentActor, PlatformDep
from openfab.catalog.schemas import (
    Code,
    ConfigureRequest,
    ProductCreate,
    ProductDetail,
    ProductsPublic,
)

router = APIRouter(prefix="/products", tags=["catalog"])


@router.get("", operation_id="list_products")
def list_products(platform: PlatformDep, actor: CurrentActor) -> ProductsPublic:
    return platform.catalog.list_products(actor)


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="create_product")
def create_product(
    platform: PlatformDep, actor: CurrentActor, data: ProductCreate
) -> ProductDetail:
    """Publish a product definition; every problem in it is named."""
    return platform.catalog.create_product(actor, data)


@router.get("/{code}", operation_id="get_product")
def get_product(platform: PlatformDep, actor: CurrentActor, code: Code) -> ProductDetail:
    return platform.catalog.get_product(actor, code)


@router.put("/{code}", operation_id="revise_product")
def revise_product(
    platform: PlatformDep, actor: CurrentActor, code: Code, data: ProductCreate
) -> ProductDetail:
    """Add a revision; orders already placed keep theirs."""
    return platform.catalog.revise_product(actor, code, data)


@router.post("/{code}/validate", operation_id="validate_configuration")
def validate(
    platform: PlatformDep, actor: CurrentActor, code: Code, body: ConfigureRequest
) -> dict[str, Any]:
    """Check a complete configuration; lists every problem and violated rule (200 either way)."""
    return platform.catalog.validate(actor, code, body.choices).to_dict()


@router.post("/{code}/configure", operation_id="configure_product")
def configure(
    platform: PlatformDep, actor: CurrentActor, code: Code, body: ConfigureRequest
) -> dict[str, Any]:
    """Price a valid configuration and explode it into its BOM and routing (422 if invalid)."""
    return platform.catalog.configure(actor, code, body.choices).to_dict()


@router.post("/{code}/options-left", operation_id="options_left")
def options_left(
    platform: PlatformDep, actor: CurrentActor, code: Code, body: ConfigureRequest
) -> dict[str, Any]:
    """Guided selling: which choices remain possible given a partial configuration, and why
    the others are not."""
    return platform.catalog.options_left(actor, code, body.choices).to_dict()


@router.post("/{code}/complete", operation_id="complete_configuration")
def complete(
    platform: PlatformDep, actor: CurrentActor, code: Code, body: ConfigureRequest
) -> dict[str, Any]:
    """The lowest-price valid configuration that keeps the given choices."""
    return platform.catalog.complete(actor, code, body.choices).to_dict()
