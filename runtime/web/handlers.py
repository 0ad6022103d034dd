"""Exception handlers: every error leaves as the envelope, never as a traceback."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from runtime.data.pgerror import sqlstate
from runtime.web import routes
from runtime.web.context import language_var
from runtime.web.envelope import error_payload
from runtime.web.errors import (
    CXGError,
    DatabaseUnavailableError,
    ForbiddenError,
    InternalError,
    MethodNotAllowedError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitedError,
    RowSecurityError,
    UnauthorizedError,
    ValidationError,
)
from runtime.web.readretry import mark_for_retry

log = logging.getLogger("cxg.errors")

_BY_STATUS: dict[int, type[CXGError]] = {
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    413: PayloadTooLargeError,
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
        field = (err.get("ctx") or {}).get("field") or ".".join(field_path) or None
        message = str(err.get("msg", "")).removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            message = _unknown(source, field_path[-1] if field_path else "")
        detail.append(
            {"field": field, "source": source, "message": message, "type": err.get("type")}
        )
    return detail


# columns every row has, which only the server writes
SERVER_OWNED = frozenset(
    {"id", "tenant_id", "version", "created_at", "updated_at", "created_by", "updated_by"}
    | {"is_deleted", "deleted_at", "deleted_by"}
)


def _unknown(source: str, name: str) -> str:
    if source == "query":
        return f"'{name}' is not a parameter of this request"
    if name in SERVER_OWNED:
        return f"'{name}' is set by the server; leave it out"
    return f"'{name}' is not a field of this resource"


_UNREADABLE_BODY = {
    "field": "body",
    "message": "the body could not be read as JSON (UTF-8)",
    "type": "json_invalid",
}


async def _cxg(_: Request, exc: CXGError) -> JSONResponse:
    return render(exc)


async def _request_validation(_: Request, exc: RequestValidationError) -> JSONResponse:
    return render(ValidationError(detail=validation_detail(list(exc.errors()))))


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 400:  # FastAPI could not read the body (not UTF-8, not JSON)
        return render(ValidationError(detail=[_UNREADABLE_BODY]))
    if exc.status_code == 405:  # Allow names every method of the path, not the first route's
        try:
            allowed = ", ".join(routes.allowed_methods(request.app, request.scope))
        except Exception:  # noqa: BLE001 - never a 500 for this: the first route's methods then
            log.exception("the methods of %s could not be listed", request.url.path)
            allowed = (exc.headers or {}).get("Allow", "")
        return render(
            MethodNotAllowedError(detail={"allowed": allowed}, headers={"Allow": allowed})
        )
    cls = _BY_STATUS.get(exc.status_code)
    if cls is None:
        err = CXGError(detail=None)
        body = error_payload("HTTP_ERROR", str(exc.detail), None)
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)
    err = cls()
    err.headers = exc.headers or err.headers
    return render(err)


# SQLSTATE classes and codes that mean "the database is not there right now"
UNAVAILABLE_CLASSES = ("08",)  # connection exceptions
UNAVAILABLE_CODES = frozenset({"57P01", "57P02", "57P03", "53300", "53400"})
DATA_EXCEPTION_CLASS = "22"  # a value the column cannot hold: the client's mistake
# insufficient_privilege: row-level security refusing a row (by its message), or a missing
# grant, which stays a 500 (the server's configuration, not the caller's doing)
INSUFFICIENT_PRIVILEGE = "42501"
ROW_SECURITY_MESSAGE = "row-level security"


def _row_security(exc: BaseException, code: str | None) -> bool:
    """Row-level security refused a row, here or on a Citus worker (whose error the
    coordinator passes on with its SQLSTATE and message)."""
    if code != INSUFFICIENT_PRIVILEGE:
        return False
    texts = [str(c) for c in (exc, getattr(exc, "orig", None), exc.__cause__) if c is not None]
    return any(ROW_SECURITY_MESSAGE in t for t in texts)


def classify(exc: BaseException) -> CXGError:
    """The answer a database failure deserves: 422 for a value the column cannot hold, 403
    ROW_SECURITY_VIOLATION for a row row-level security refused, 503 with Retry-After when
    the database is unreachable, 500 for anything else."""
    code = sqlstate(exc)
    if _row_security(exc, code):
        return RowSecurityError()
    if code and code.startswith(DATA_EXCEPTION_CLASS):
        return ValidationError(
            detail=[
                {
                    "field": None,
                    "source": "request",
                    "message": "a value does not fit its field (range, precision or characters)",
                    "type": "data_exception",
                }
            ]
        )
    if (
        (code and (code.startswith(UNAVAILABLE_CLASSES) or code in UNAVAILABLE_CODES))
        or getattr(exc, "connection_invalidated", False)
        or isinstance(exc, OSError | TimeoutError | PoolTimeout)
        or isinstance(getattr(exc, "orig", None), OSError)
    ):
        return DatabaseUnavailableError()
    return InternalError()


async def _database(request: Request, exc: Exception) -> JSONResponse:
    error = classify(exc)
    if isinstance(error, DatabaseUnavailableError) and not isinstance(exc, PoolTimeout):
        mark_for_retry(request.state, request.method)  # a dead pooled connection: read again
    if isinstance(error, InternalError):
        log.exception("database error", exc_info=exc)
    else:
        log.warning("database: %s (%s)", error.code, type(exc).__name__)
    return render(error)


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return render(InternalError())


def install(app: FastAPI) -> None:
    # FastAPI's decorator form for the handlers of one class: Starlette types every handler
    # as taking any Exception, though each is only called with the class it is installed for
    app.exception_handler(CXGError)(_cxg)
    app.exception_handler(RequestValidationError)(_request_validation)
    app.exception_handler(StarletteHTTPException)(_http)
    app.add_exception_handler(OperationalError, _database)
    app.add_exception_handler(DBAPIError, _database)
    app.add_exception_handler(PoolTimeout, _database)
    app.add_exception_handler(OSError, _database)  # a refused or dropped connection
    app.add_exception_handler(asyncpg.PostgresError, _database)
    app.add_exception_handler(asyncpg.InterfaceError, _database)
    app.add_exception_handler(ResponseValidationError, _unexpected)
    app.add_exception_handler(Exception, _unexpected)
