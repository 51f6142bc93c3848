"""Dependencies shared by the routers: the platform and the acting user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from openfab.errors import Unauthorized
from openfab.identity.actor import Actor
from openfab.platform import Platform

oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)
api_key = APIKeyHeader(name="X-API-Key", auto_error=False)


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def current_actor(
    platform: PlatformDep,
    token: Annotated[str | None, Depends(oauth2)],
    key: Annotated[str | None, Depends(api_key)],
) -> Actor:
    """The tenant and roles come from the credentials only, never from the request body."""
    if token:
        return platform.identity.actor_from_token(token)
    if key:
        return platform.identity.actor_from_api_key(key)
    raise Unauthorized("sign in (OAuth2 bearer token) or send an X-API-Key header")


CurrentActor = Annotated[Actor, Depends(current_actor)]
