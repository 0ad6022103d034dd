"""The one response shape of the API, for success and error alike."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from runtime.web.context import request_id_var

T = TypeVar("T")


class Output(BaseModel):
    """What the server answers: every property is always sent (null when empty), so the
    document lists them all as required, defaults too (generated clients then type them as
    present)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class ErrorBody(Output):
    code: str = Field(examples=["RESOURCE_NOT_FOUND"])
    message: str
    detail: Any = None


class Envelope(Output, Generic[T]):
    success: bool = True
    data: T | None = None
    error: ErrorBody | None = None
    request_id: str | None = None
    timestamp: datetime


class ErrorEnvelope(Output):
    """Every error answer: no data, the error's stable code, a message and its detail."""

    success: Literal[False] = False
    data: None = None
    error: ErrorBody
    request_id: str | None = None
    timestamp: datetime


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


def envelope_bytes(data: bytes) -> bytes:
    """The success envelope around data whose JSON is written already (PostgreSQL wrote it:
    runtime.reads), in the field order of :class:`Envelope`."""
    return b"".join(
        (
            b'{"success":true,"data":',
            data,
            b',"error":null,"request_id":',
            json.dumps(request_id_var.get()).encode(),
            b',"timestamp":"',
            timestamp().encode(),
            b'"}',
        )
    )
