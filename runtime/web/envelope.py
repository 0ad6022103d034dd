"""The one response shape of the API, for success and error alike."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

from runtime.web.context import request_id_var

T = TypeVar("T")


class ErrorBody(BaseModel):
    code: str = Field(examples=["RESOURCE_NOT_FOUND"])
    message: str
    detail: Any = None


class Envelope(BaseModel, Generic[T]):
    success: bool = True
    data: T | None = None
    error: ErrorBody | None = None
    request_id: str | None = None
    timestamp: datetime


class ErrorEnvelope(BaseModel):
    """Every error answer: no data, the error's stable code, a message and its detail."""

    success: Literal[False] = False
    data: None = None
    error: ErrorBody
    request_id: str | None = None
    timestamp: datetime


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorEnvelope, "description": description}


# What any endpoint may answer besides its success, declared on every operation so that
# clients generated from /openapi.json know the envelope of each.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _error("AUTHENTICATION_REQUIRED: no, a bad, an expired or a revoked credential"),
    403: _error(
        "PERMISSION_DENIED: the caller lacks the permission named in detail;"
        " ROW_SECURITY_VIOLATION: the row belongs to another tenant (row-level security);"
        " MFA_ENROLMENT_REQUIRED: the token can only set up MFA, which a policy requires"
    ),
    404: _error("RESOURCE_NOT_FOUND"),
    409: _error("RESOURCE_ALREADY_EXISTS, CONFLICT or INVALID_TRANSITION"),
    412: _error("STALE_VERSION: If-Match named a version the row no longer has"),
    413: _error("PAYLOAD_TOO_LARGE: the body is over the configured limit (1 MiB by default)"),
    422: _error("VALIDATION_ERROR: detail names each field and what is wrong with it"),
    429: _error("RATE_LIMITED, with Retry-After"),
    500: _error("INTERNAL_ERROR"),
    503: _error("DATABASE_UNAVAILABLE, with Retry-After"),
}


def timestamp() -> str:
    """Now, as every envelope says it (UTC, ISO 8601 with Z)."""
    return _now().isoformat().replace("+00:00", "Z")


def _now() -> datetime:
    return datetime.now(UTC)


def ok(data: T) -> Envelope[T]:
    return Envelope[Any](success=True, data=data, request_id=request_id_var.get(), timestamp=_now())


def error_payload(code: str, message: str, detail: Any = None) -> dict[str, Any]:
    """The JSON body of an error envelope (built by the exception handlers)."""
    return {
        "success": False,
        "data": None,
        "error": {"code": code, "message": message, "detail": detail},
        "request_id": request_id_var.get(),
        "timestamp": timestamp(),
    }
