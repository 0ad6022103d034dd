"""Per-request values that every layer may read: request id and language."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("cxg_request_id", default=None)
language_var: ContextVar[str] = ContextVar("cxg_language", default="ko")


def language_from_header(header: str | None) -> str:
    """``en`` when English is the client's first choice, Korean otherwise."""
    if not header:
        return "ko"
    first = header.split(",")[0].split(";")[0].strip().lower()
    return "en" if first.startswith("en") else "ko"
