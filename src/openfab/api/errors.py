"""Every error becomes ``application/problem+json`` listing every problem, in one place."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from openfab.errors import OpenFabError, Problem, TooManyRequests

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


def problem_response(
    status: int,
    title: str,
    detail: str,
    problems: list[Problem] | None = None,
    *,
    retry_after: int | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    body["detail"] = detail
    body["problems"] = [{"loc": p.loc, "msg": p.msg, "code": p.code} for p in problems or []]
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _loc(parts: tuple[int | str, ...] | list[int | str]) -> str:
    return ".".join(str(p) for p in parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OpenFabError)
    async def _openfab(_: Request, exc: OpenFabError) -> JSONResponse:
        retry_after = exc.retry_after if isinstance(exc, TooManyRequests) else None
        return problem_response(
            exc.status, exc.title, exc.detail, exc.problems, retry_after=retry_after
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            Problem(_loc(err.get("loc", ())), str(err.get("msg", "")), str(err.get("type", "")))
            for err in exc.errors()
        ]
        detail = f"{len(problems)} problem(s) in the request"
        return problem_response(422, "Invalid input", detail, problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(exc.status_code, str(exc.detail), str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "Internal error", "an unexpected error occurred")
