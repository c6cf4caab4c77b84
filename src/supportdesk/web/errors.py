"""Map our exceptions (and FastAPI's) to `{"error": {"code", "message", "field"?}}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from supportdesk.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    SupportdeskError,
)

log = logging.getLogger("supportdesk.web")

STATUS: tuple[tuple[type[SupportdeskError], int], ...] = (
    (NotFound, 404),
    (AuthenticationFailed, 401),
    (PermissionDenied, 403),
    (InvalidInput, 422),
    (Conflict, 409),
)
HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
}


def error_body(code: str, message: str, field: str | None = None) -> dict[str, object]:
    err: dict[str, object] = {"code": code, "message": message}
    if field is not None:
        err["field"] = field
    return {"error": err}


def status_for(exc: SupportdeskError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SupportdeskError)
    status = status_for(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        error_body(exc.code, exc.message, exc.field), status_code=status, headers=headers
    )


def _field(loc: Any) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    field = _field(first.get("loc", ()))
    message = f"{field}: {first.get('msg', 'invalid value')}"
    body = error_body("validation_error", message, field)
    body["error"]["details"] = [  # type: ignore[index]
        {"field": _field(e.get("loc", ())), "message": str(e.get("msg", ""))} for e in errors
    ]
    return JSONResponse(body, status_code=422)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    return JSONResponse(
        error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
    )


async def _data(request: Request, exc: Exception) -> JSONResponse:
    """A value the database refuses (e.g. a NUL character in text): the caller's input."""
    log.info("database refused a value on %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(
        error_body("invalid_input", "a value cannot be stored (unsupported characters or size)"),
        status_code=422,
    )


async def _integrity(request: Request, exc: Exception) -> JSONResponse:
    """A constraint the services did not foresee (e.g. a race on a unique value)."""
    log.warning("integrity error on %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(
        error_body("conflict", "the change clashes with existing data; retry or adjust it"),
        status_code=409,
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(error_body("internal_error", "something went wrong"), status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(SupportdeskError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(DataError, _data)
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(Exception, _unexpected)
