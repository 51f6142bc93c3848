"""Browser sessions: the identity service's signed JWT in an HttpOnly, SameSite=Strict
cookie, and a double-submit CSRF token for every form and htmx request.

The REST API never reads the cookie (it takes bearer tokens and API keys only), so a
cross-site request cannot ride on a browser session there; web forms carry the CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import quote

from fastapi import Request, Response

from openfab.errors import Forbidden, OpenFabError, Unauthorized
from openfab.identity.actor import Actor
from openfab.platform import Platform

SESSION_COOKIE = "openfab_session"
CSRF_COOKIE = "openfab_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class LoginRequired(OpenFabError):
    """A page needs a signed-in user; the web answers with a redirect to the sign-in page."""

    status = 303
    title = "Sign in"

    def __init__(self, next_path: str) -> None:
        super().__init__("sign in to continue")
        self.next_path = next_path


def login_url(next_path: str) -> str:
    return f"/login?next={quote(next_path, safe='/')}"


def safe_next(value: str | None, default: str = "/") -> str:
    """Only local paths: never redirect a signed-in user to another site."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def actor_or_none(request: Request) -> Actor | None:
    if hasattr(request.state, "actor"):
        cached: Actor | None = request.state.actor
        return cached
    token = request.cookies.get(SESSION_COOKIE)
    actor: Actor | None = None
    if token:
        platform: Platform = request.app.state.platform
        try:
            actor = platform.identity.actor_from_token(token)
        except Unauthorized:
            actor = None
    request.state.actor = actor
    return actor


def require_actor(request: Request) -> Actor:
    actor = actor_or_none(request)
    if actor is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return actor


def set_session(response: Response, request: Request, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


def csrf_token(request: Request) -> str:
    """This browser's CSRF token (made on first use; the page sets the cookie)."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = request.state.new_csrf = secrets.token_urlsafe(32)
    return str(token)


def store_csrf(request: Request, response: Response) -> None:
    new = getattr(request.state, "new_csrf", None)
    if new:
        response.set_cookie(
            CSRF_COOKIE,
            new,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )


def check_csrf(request: Request, submitted: str | None) -> None:
    """The form field (or htmx header) must equal the cookie: another site can read neither."""
    cookie = request.cookies.get(CSRF_COOKIE)
    given = submitted or request.headers.get(CSRF_HEADER)
    if not cookie or not given or not hmac.compare_digest(cookie, given):
        raise Forbidden("the form expired or came from another site; reload the page and retry")
