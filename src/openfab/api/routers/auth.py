from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm

from openfab.api.deps import CurrentActor, PlatformDep
from openfab.identity.schemas import (
    ApiKeyCreate,
    ApiKeyIssued,
    CustomerSignup,
    Slug,
    Token,
    UserPublic,
)

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", operation_id="login")
def login(platform: PlatformDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    """OAuth2 password flow: e-mail as username, returns a bearer token."""
    return platform.identity.login(form.username, form.password)


@router.post(
    "/signup/{tenant_id}", status_code=status.HTTP_201_CREATED, operation_id="signup_customer"
)
def signup(platform: PlatformDep, tenant_id: Slug, data: CustomerSignup) -> UserPublic:
    """A customer creates an account at one brand's shop."""
    return platform.identity.signup_customer(tenant_id, data)


@router.post("/api-keys", status_code=status.HTTP_201_CREATED, operation_id="issue_api_key")
def issue_api_key(platform: PlatformDep, actor: CurrentActor, data: ApiKeyCreate) -> ApiKeyIssued:
    return platform.identity.issue_api_key(actor, data.name)
