"""Pages from Jinja2 templates, and the one place web errors become readable pages.

Every web route uses :class:`WebRoute`: unsafe methods must carry the CSRF token; a missing
sign-in redirects to the sign-in page; an ``OpenFabError`` becomes a page (or, for htmx, a
message in the page's alert region) naming every problem; anything unexpected is logged and
shown as a plain apology, never a stack trace.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.exceptions import HTTPException

from openfab.errors import OpenFabError, Problem
from openfab.identity.actor import Actor
from openfab.web import registry
from openfab.web.i18n import LANG_COOKIE, Translator, format_quantity, pick_language
from openfab.web.session import (
    CSRF_FIELD,
    LoginRequired,
    actor_or_none,
    check_csrf,
    csrf_token,
    login_url,
    store_csrf,
)

log = logging.getLogger(__name__)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


CURRENCY_KO = {"EUR": "유로", "USD": "달러", "KRW": "원"}


def format_time(value: datetime | None, lang: str = "en") -> str:
    if value is None:
        return "—"
    if lang == "ko":
        return f"{value.year}년 {value.month}월 {value.day}일 {value:%H:%M} UTC"
    return f"{value:%Y-%m-%d %H:%M} UTC"


def format_money(value: Decimal | str | float | None, currency: str = "", lang: str = "en") -> str:
    """``1,234.50 EUR``; in Korean the currency's Korean name follows the number
    (``1,234.50유로``), as Korean shops write prices."""
    if value is None:
        return "—"
    number = f"{Decimal(str(value)):,.2f}"
    if lang == "ko" and currency:
        return f"{number}{CURRENCY_KO.get(currency, ' ' + currency)}"
    return f"{number} {currency}".strip()


@pass_context
def _dt_filter(context: Context, value: datetime | None) -> str:
    return format_time(value, str(context.get("lang", "en")))


@pass_context
def _money_filter(context: Context, value: Decimal | str | float | None, currency: str = "") -> str:
    return format_money(value, currency, str(context.get("lang", "en")))


@pass_context
def _qty_filter(context: Context, value: object, unit: str | None = None) -> str:
    t = context.get("t")
    shown = t.text(unit) if isinstance(t, Translator) and unit else unit
    return format_quantity(value, shown, str(context.get("lang", "en")))


@pass_context
def _count_filter(context: Context, value: object) -> str:
    """A count of pieces: ``3`` in English tables, ``3개`` in Korean."""
    return format_quantity(value, "개", "ko") if context.get("lang") == "ko" else str(value)


env = Environment(
    loader=PackageLoader("openfab.web", "templates"),
    autoescape=select_autoescape(default=True),
)
env.filters["dt"] = _dt_filter
env.filters["money"] = _money_filter
env.filters["qty"] = _qty_filter
env.filters["count"] = _count_filter


def translator(request: Request) -> Translator:
    found = getattr(request.state, "t", None)
    if isinstance(found, Translator):
        return found
    lang = pick_language(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))
    made = request.state.t = Translator(lang)
    return made


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def page_context(request: Request, **values: Any) -> dict[str, Any]:
    actor = actor_or_none(request)
    t = translator(request)
    return {
        "request": request,
        "t": t,
        "lang": t.lang,
        "actor": actor,
        "nav": registry.nav_for(actor),
        "csrf": csrf_token(request),
        "csrf_field": Markup(
            f'<input type="hidden" name="{CSRF_FIELD}" value="{csrf_token(request)}">'
        ),
        "path": request.url.path,
        "query": request.url.query,
        **values,
    }


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **values: Any,
) -> HTMLResponse:
    html = env.get_template(template).render(page_context(request, **values))
    response = HTMLResponse(html, status_code=status, headers=headers)
    store_csrf(request, response)
    return response


def render_fragment(template: str, request: Request, **values: Any) -> Markup:
    """A template as markup inside another page (dashboard panels)."""
    return Markup(env.get_template(template).render(page_context(request, **values)))


def error_response(
    request: Request,
    status: int,
    detail: str,
    problems: Sequence[Problem] = (),
    *,
    translated: bool = False,
) -> HTMLResponse:
    """The error page (or, for htmx, the alert) in the page's language: a service's English
    ``detail`` is translated (``translated``: it is already), the English kept beside a
    generic translation; each problem as :meth:`Translator.problem` words it."""
    t = translator(request)
    title = t(f"error.{status}") if f"error.{status}" in _known_errors else t("error.generic")
    shown = detail if translated else t.detail(status, detail)
    values: dict[str, Any] = {
        "title": title,
        "detail": shown,
        "original": detail if shown != detail and t.text(detail) == detail else "",
        "problems": list(problems),
    }
    if is_htmx(request):
        # Shown in the page's alert region; the rest of the page stays as it was.
        headers = {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
        return render(request, "_error.html", status=status, headers=headers, **values)
    return render(request, "error.html", status=status, **values)


_known_errors = {f"error.{s}" for s in (400, 401, 403, 404, 409, 413, 422, 500)}


def wants_html(request: Request) -> bool:
    """A browser navigating (``Accept: text/html``) to a web page or to no route at all; the
    REST API's routes answer problem JSON whatever the client accepts."""
    route = request.scope.get("route")
    accepts = "text/html" in request.headers.get("accept", "")
    return accepts and (route is None or isinstance(route, WebRoute))


def install_html_errors(app: FastAPI) -> None:
    """Errors raised outside a web route (no route matched, or a failure before routing)
    become the error page in the browser's language; everyone else keeps the API's JSON.
    Wraps the handlers ``api.errors`` installed, so the API's mapping stays the one place."""
    http_json = app.exception_handlers[HTTPException]
    any_json = app.exception_handlers[Exception]

    async def http(request: Request, exc: Exception) -> Response:
        if isinstance(exc, HTTPException) and wants_html(request):
            if exc.status_code == 404:
                no_page = translator(request)("error.no_page")
                return error_response(request, 404, no_page, translated=True)
            return error_response(request, exc.status_code, str(exc.detail))
        return await _call(http_json, request, exc)

    async def unexpected(request: Request, exc: Exception) -> Response:
        if wants_html(request):
            log.exception("web request failed: %s %s", request.method, request.url.path)
            sorry = translator(request)("error.sorry")
            return error_response(request, 500, sorry, translated=True)
        return await _call(any_json, request, exc)

    app.add_exception_handler(HTTPException, http)
    app.add_exception_handler(Exception, unexpected)


async def _call(handler: Callable[..., Any], request: Request, exc: Exception) -> Response:
    result = handler(request, exc)
    response: Response = await result if inspect.isawaitable(result) else result
    return response


def redirect(request: Request, url: str) -> Response:
    """A redirect that also works for htmx requests (which follow ``HX-Redirect``)."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


class WebRoute(APIRoute):
    """A route that answers in HTML: CSRF checked, errors rendered, sign-in redirected."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                if request.method not in SAFE_METHODS:
                    form = await request.form()
                    submitted = form.get(CSRF_FIELD)
                    check_csrf(request, submitted if isinstance(submitted, str) else None)
                return await original(request)
            except LoginRequired as exc:
                return redirect(request, login_url(exc.next_path))
            except OpenFabError as exc:
                return error_response(request, exc.status, exc.detail, exc.problems)
            except RequestValidationError as exc:
                problems = [
                    Problem(
                        ".".join(str(p) for p in e.get("loc", ())),
                        str(e.get("msg", "")),
                        str(e.get("type", "invalid")),
                    )
                    for e in exc.errors()
                ]
                return error_response(
                    request, 422, translator(request)("error.form"), problems, translated=True
                )
            except HTTPException as exc:
                return error_response(request, exc.status_code, str(exc.detail))
            except Exception:
                log.exception("web page failed: %s %s", request.method, request.url.path)
                t = translator(request)
                return error_response(request, 500, t("error.sorry"), translated=True)

        return handler


def staff_only(actor: Actor) -> None:
    """Factory pages are for staff; customers get a readable refusal."""
    from openfab.errors import Forbidden

    if not actor.is_staff:
        raise Forbidden("this page is for factory staff")
