"""Sign in and out, the language switch, and the front door."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from openfab.errors import TooManyRequests, Unauthorized
from openfab.platform import Platform
from openfab.web.i18n import LANG_COOKIE, LANGUAGES
from openfab.web.registry import WebPage, register_page
from openfab.web.render import WebRoute, redirect, render
from openfab.web.session import (
    actor_or_none,
    clear_session,
    safe_next,
    set_session,
)

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/")
def home(request: Request) -> Response:
    actor = actor_or_none(request)
    if actor is None:
        return redirect(request, "/login")
    return redirect(request, "/dashboard" if actor.is_staff else "/portal")


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", next=safe_next(next), error=None, email="")


@router.post("/login")
def login(
    request: Request,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    platform: Platform = request.app.state.platform
    target = safe_next(next)
    client = request.client.host if request.client else None
    try:
        token = platform.identity.login(email.strip(), password, client=client)
    except Unauthorized:
        return render(
            request, "login.html", status=401, next=target, error="login.failed", email=email
        )
    except TooManyRequests as exc:
        return render(
            request,
            "login.html",
            status=429,
            headers={"Retry-After": str(exc.retry_after)},
            next=target,
            error="login.throttled",
            email=email,
        )
    response = redirect(request, target)
    set_session(response, request, token.access_token, token.expires_in)
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    response = redirect(request, "/login")
    clear_session(response)
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/") -> Response:
    response = redirect(request, safe_next(next))
    if code in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", path="/", httponly=True
        )
    return response


register_page(WebPage("auth", "/login", "nav.login", router, order=0, nav=False))
