"""Limits on what a request may carry, checked before any service sees it.

- ``BodySizeLimit``: oversized bodies refused before they are read into memory (413);
- ``refuse_unsafe_input``: control characters (NUL above all: PostgreSQL cannot store it) and
  non-finite numbers refused in path parameters, query strings, form fields and bodies (422
  naming the field), for every route, whatever its schema;
- bounded parameter types for the routers (``Key``, ``Filter``) and the login form.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import Form, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.params import Form as FormParam
from fastapi.security import OAuth2PasswordRequestForm
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openfab.schemas_base import unsafe_value

Key = Annotated[str, Path(min_length=1, max_length=64, description="An id, number or code")]
"""A path parameter naming one object (an id is 36 characters, numbers and codes ≤ 64)."""
Filter = Annotated[str | None, Query(min_length=1, max_length=64)]
"""An optional query parameter filtering by an id, number or code."""


class LoginForm(OAuth2PasswordRequestForm):
    """The OAuth2 password form with every field bounded (e-mail ≤ 254, password ≤ 200)."""

    def __init__(
        self,
        *,
        grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
        username: Annotated[str, Form(min_length=1, max_length=254)],
        password: Annotated[
            str, Form(min_length=1, max_length=200, json_schema_extra={"format": "password"})
        ],
        scope: Annotated[str, Form(max_length=200)] = "",
        client_id: Annotated[str | None, Form(max_length=200)] = None,
        client_secret: Annotated[
            str | None, Form(max_length=200, json_schema_extra={"format": "password"})
        ] = None,
    ) -> None:
        super().__init__(
            grant_type=grant_type,
            username=username,
            password=password,
            scope=scope,
            client_id=client_id,
            client_secret=client_secret,
        )


_SUSPECT = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\\u00[01]|\\u007[fF]|NaN|Infinity")
"""Bytes without these hold no control character and no non-finite number (JSON or text)."""


def _refuse(loc: tuple[str, ...], what: str, value: Any) -> RequestValidationError:
    code = "non_finite" if what.startswith("NaN") else "control_character"
    return RequestValidationError([{"type": code, "loc": loc, "msg": what, "input": value}])


async def refuse_unsafe_input(request: Request) -> None:
    """An app-wide dependency: 422 naming the first path parameter, query parameter, form field
    or body value holding a control character (tab, newline and CR allowed) or NaN."""
    for name, value in request.path_params.items():
        if (found := unsafe_value(value)) is not None:
            raise _refuse(("path", name), found[1], value)
    for name, value in request.query_params.multi_items():
        if (found := unsafe_value(value)) is not None:
            raise _refuse(("query", name), found[1], value)
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        # only where FastAPI read the form already: reading it here could consume a body that
        # the route reads itself
        body_field = getattr(request.scope.get("route"), "body_field", None)
        if body_field is not None and isinstance(body_field.field_info, FormParam):
            form = await request.form()  # cached by Starlette
            for name, value in form.multi_items():
                if isinstance(value, str) and (found := unsafe_value(value)) is not None:
                    raise _refuse(("body", name), found[1], value)
        return
    body = await request.body()  # cached: FastAPI and the route read the same bytes
    if not body or not _SUSPECT.search(body):
        return
    try:
        data: Any = await request.json()
    except ValueError:
        data = body.decode("utf-8", "replace")  # not JSON (CSV, text): checked as text
    if (found := unsafe_value(data)) is not None:
        where, what = found
        raise _refuse(("body", *where.split(".")) if where else ("body",), what, None)


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """ASGI middleware: 413 when Content-Length, or the streamed body, exceeds ``limit``."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise BodyTooLarge
            return message

        try:
            await self.app(scope, counting_receive, send)
        except BodyTooLarge:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Payload too large",
                "status": 413,
                "detail": f"request body exceeds {self.limit} bytes",
                "problems": [],
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
