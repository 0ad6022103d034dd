"""Exception handlers: every error leaves as the envelope, never as a traceback."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from runtime.context import language_var
from runtime.envelope import error_payload
from runtime.errors import (
    CXGError,
    DatabaseError,
    ForbiddenError,
    InternalError,
    MethodNotAllowedError,
    NotFoundError,
    RateLimitedError,
    UnauthorizedError,
    ValidationError,
)

log = logging.getLogger("cxg.errors")

_BY_STATUS: dict[int, type[CXGError]] = {
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    422: ValidationError,
    429: RateLimitedError,
}


def render(exc: CXGError) -> JSONResponse:
    body = error_payload(exc.code, exc.message(language_var.get()), exc.detail)
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def validation_detail(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic's errors, reduced to what a client can show next to a field."""
    detail = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
            source, field_path = loc[0], loc[1:]
        else:
            source, field_path = "body", loc
        detail.append(
            {
                "field": ".".join(field_path) or None,
                "source": source,
                "message": str(err.get("msg", "")).removeprefix("Value error, "),
                "type": err.get("type"),
            }
        )
    return detail


async def _cxg(_: Request, exc: CXGError) -> JSONResponse:
    return render(exc)


async def _request_validation(_: Request, exc: RequestValidationError) -> JSONResponse:
    return render(ValidationError(detail=validation_detail(list(exc.errors()))))


async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    cls = _BY_STATUS.get(exc.status_code)
    if cls is None:
        err = CXGError(detail=None)
        body = error_payload("HTTP_ERROR", str(exc.detail), None)
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)
    err = cls()
    err.headers = exc.headers or err.headers
    return render(err)


async def _database(_: Request, exc: DBAPIError) -> JSONResponse:
    log.exception("database error", exc_info=exc)
    return render(DatabaseError())


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return render(InternalError())


def install(app: FastAPI) -> None:
    app.add_exception_handler(CXGError, _cxg)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(OperationalError, _database)
    app.add_exception_handler(DBAPIError, _database)
    app.add_exception_handler(ResponseValidationError, _unexpected)
    app.add_exception_handler(Exception, _unexpected)
