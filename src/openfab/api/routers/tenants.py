from __future__ import annotations

from fastapi import APIRouter, status

from openfab.api.deps import CurrentActor, PlatformDep
from openfab.identity.schemas import (
    TenantCreate,
    TenantPublic,
    UserCreate,
    UserPublic,
    UsersPublic,
)

router = APIRouter(tags=["tenants"])


@router.post("/tenants", status_code=status.HTTP_201_CREATED, operation_id="create_tenant")
def create_tenant(platform: PlatformDep, actor: CurrentActor, data: TenantCreate) -> TenantPublic:
    """Platform administrators only."""
    return platform.identity.create_tenant(actor, data)


@router.get("/tenants/me", operation_id="my_tenant")
def my_tenant(platform: PlatformDep, actor: CurrentActor) -> TenantPublic:
    return platform.identity.get_tenant(actor)


@router.get("/users", operation_id="list_users")
def list_users(platform: PlatformDep, actor: CurrentActor) -> UsersPublic:
    return platform.identity.list_users(actor)


@router.post("/users", status_code=status.HTTP_201_CREATED, operation_id="create_user")
def create_user(platform: PlatformDep, actor: CurrentActor, data: UserCreate) -> UserPublic:
    """A tenant administrator adds a user to their own tenant."""
    return platform.identity.create_user(actor, data)
