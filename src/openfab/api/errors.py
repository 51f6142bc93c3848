"""Every error becomes ``application/problem+json`` listing every problem, in one place, and
the OpenAPI schema says so on every route."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from openfab.errors import OpenFabError, Problem, TooManyRequests

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
CLIENT_ERRORS = {
    400: "Malformed request",
    401: "Not authenticated: sign in (OAuth2 bearer token) or send an X-API-Key header",
    403: "Forbidden: your roles do not allow this",
    404: "Not found (or not yours)",
    409: "Conflict with the current state",
    413: "Request body too large",
    422: "Invalid input: every problem is named, with where it is",
    429: "Too many requests: retry after the Retry-After header's seconds",
}
"""Every 4xx the API answers, documented on every route."""


class ProblemItem(BaseModel):
    """One thing wrong with a request."""

    model_config = ConfigDict(title="ProblemItem")

    loc: str = Field(description="Where: dotted path, e.g. body.choices.colour or query.limit")
    msg: str = Field(description="What is wrong")
    code: str = Field(description="A stable code, e.g. missing, control_character, not_found")


class ProblemDocument(BaseModel):
    """An RFC 9457 problem document (``application/problem+json``)."""

    model_config = ConfigDict(title="Problem")

    type: str = Field("about:blank", description="A URI naming the kind of problem")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    problems: list[ProblemItem] = Field(description="Every problem found, never just the first")


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


def document_problems(app: FastAPI) -> None:
    """Add every 4xx (``CLIENT_ERRORS``) to every route of the OpenAPI schema as
    ``application/problem+json`` with the ``Problem`` schema; FastAPI's own 422 (a
    ``HTTPValidationError`` in ``application/json``) becomes the same problem document."""

    generate = app.openapi  # FastAPI's: cached, rebuilt when routes change

    def openapi() -> dict[str, Any]:
        schema = generate()
        if "Problem" in schema.get("components", {}).get("schemas", {}):
            return schema  # this copy is documented already
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        problem = ProblemDocument.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(problem.pop("$defs", {}))
        components["Problem"] = problem
        content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in CLIENT_ERRORS.items():
                    documented = responses.setdefault(str(status), {"description": description})
                    media = documented.setdefault("content", {})
                    if _is_fastapi_validation_error(media.get("application/json")):
                        del media["application/json"]
                        documented["description"] = description
                    media.update(content)
                operation["responses"] = dict(sorted(responses.items()))
        used = json.dumps(schema["paths"])
        for name in ("HTTPValidationError", "ValidationError"):
            if f'"#/components/schemas/{name}"' not in used:
                components.pop(name, None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _is_fastapi_validation_error(media: Any) -> bool:
    ref = media.get("schema", {}).get("$ref", "") if isinstance(media, dict) else ""
    return bool(ref.endswith("/HTTPValidationError"))
