"""Dependencies shared by the routers: the platform, the acting user and the quotas."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from openfab.api.quotas import Quotas
from openfab.errors import Unauthorized
from openfab.identity import security
from openfab.identity.actor import Actor
from openfab.platform import Platform

oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)
api_key = APIKeyHeader(name="X-API-Key", auto_error=False)
_quotas_lock = threading.Lock()


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def get_quotas(request: Request, platform: PlatformDep) -> Quotas:
    """The app's quotas, made from the platform's settings on first use."""
    state = request.app.state
    with _quotas_lock:
        quotas: Quotas | None = getattr(state, "quotas", None)
        if quotas is None:
            quotas = state.quotas = Quotas.from_settings(platform.settings)
    return quotas


QuotasDep = Annotated[Quotas, Depends(get_quotas)]


@dataclass(frozen=True)
class Credentials:
    """Who signed the request, and with what: ``api_key_id`` is the API key's id, ``None``
    for a signed-in session (bearer token)."""

    actor: Actor
    api_key_id: str | None = None


def current_credentials(
    platform: PlatformDep,
    quotas: QuotasDep,
    token: Annotated[str | None, Depends(oauth2)],
    key: Annotated[str | None, Depends(api_key)],
) -> Credentials:
    """The tenant and roles come from the credentials only, never from the request body.
    Every authenticated request counts against its tenant's API quota."""
    if token:
        credentials = Credentials(platform.identity.actor_from_token(token))
    elif key:
        actor = platform.identity.actor_from_api_key(key)
        credentials = Credentials(actor, api_key_id=security.split_api_key(key))
    else:
        raise Unauthorized("sign in (OAuth2 bearer token) or send an X-API-Key header")
    quotas.request(credentials.actor)
    return credentials


CurrentCredentials = Annotated[Credentials, Depends(current_credentials)]


def current_actor(credentials: CurrentCredentials) -> Actor:
    return credentials.actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


def order_quota(platform: PlatformDep, quotas: QuotasDep, actor: CurrentActor) -> None:
    """Route dependency of placing an order: the tenant's orders-per-minute quota."""
    quotas.order(platform.orders, actor)


async def floor_quota(request: Request, quotas: QuotasDep, actor: CurrentActor) -> None:
    """Route dependency of every REST way in for shop-floor messages: counts the messages
    (an array's length, else one) against the tenant's messages-per-second quota."""
    quotas.floor_messages(actor, _messages_in(await request.body()))


def _messages_in(body: bytes) -> int:
    if not body.lstrip().startswith(b"["):
        return 1
    try:
        messages = json.loads(body)
    except ValueError:
        return 1  # the gateway dead-letters it with its reason
    return len(messages) if isinstance(messages, list) else 1


OrderQuota = Depends(order_quota)
FloorQuota = Depends(floor_quota)

BrandOfSerial = Annotated[
    str | None,
    Query(
        alias="tenant",
        max_length=64,
        description="For the plant: the brand, where two brands number alike",
    ),
]
"""Serials are per brand: the plant names the brand a serial belongs to where it matters."""
