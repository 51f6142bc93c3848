from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, status

from openfab.api.deps import CurrentActor, CurrentCredentials, PlatformDep
from openfab.api.limits import LoginForm
from openfab.identity.schemas import (
    ApiKeyIssued,
    ApiKeyPublic,
    ApiKeySpec,
    ApiKeysPublic,
    CustomerSignup,
    SignupAccepted,
    Slug,
    Token,
)

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", operation_id="login")
def login(request: Request, platform: PlatformDep, form: Annotated[LoginForm, Depends()]) -> Token:
    """OAuth2 password flow: e-mail as username, returns a bearer token. Too many failures for
    one account or from one address: 429 with Retry-After until the window passes."""
    client = request.client.host if request.client else None
    return platform.identity.login(form.username, form.password, client=client)


@router.post(
    "/signup/{tenant_id}", status_code=status.HTTP_202_ACCEPTED, operation_id="signup_customer"
)
def signup(platform: PlatformDep, tenant_id: Slug, data: CustomerSignup) -> SignupAccepted:
    """A customer creates an account at one brand's shop. The answer is the same whether the
    shop exists and whether the e-mail address is new; sign in to see whether it worked."""
    return platform.identity.signup_customer(tenant_id, data)


@router.post("/api-keys", status_code=status.HTTP_201_CREATED, operation_id="issue_api_key")
def issue_api_key(
    credentials: CurrentCredentials, platform: PlatformDep, data: ApiKeySpec
) -> ApiKeyIssued:
    """A key acting as the caller, shown once. A request signed with an API key issues keys
    only when that key was granted ``can_issue_keys``, and never grants it."""
    return platform.identity.issue_api_key(
        credentials.actor,
        data.name,
        can_issue_keys=data.can_issue_keys,
        via_key=credentials.api_key_id,
    )


@router.get("/api-keys", operation_id="list_api_keys")
def list_api_keys(platform: PlatformDep, actor: CurrentActor) -> ApiKeysPublic:
    """The caller's keys (a brand's admin: every key of the brand), never the keys themselves."""
    return platform.identity.list_api_keys(actor)


@router.delete("/api-keys/{key_id}", operation_id="revoke_api_key")
def revoke_api_key(
    credentials: CurrentCredentials,
    platform: PlatformDep,
    key_id: Annotated[str, Path(max_length=16)],
) -> ApiKeyPublic:
    """Revoke a key (one's own; a brand's admin any of the brand's): it stops working at once."""
    return platform.identity.revoke_api_key(
        credentials.actor, key_id, via_key=credentials.api_key_id
    )
