"""The one response shape of the API, for success and error alike."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from runtime.context import request_id_var

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
        "timestamp": _now().isoformat().replace("+00:00", "Z"),
    }
