"""A ceiling on request bodies: 413 with the envelope, before anything parses them.

A declared Content-Length over the limit is refused without reading a byte; a body sent
without one (chunked) is counted as it arrives and refused once it passes the limit. The
limit is `CXG_MAX_REQUEST_BYTES` (1 MiB by default: the largest header-with-lines document
the API takes is a few kilobytes).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.web.context import language_var
from runtime.web.envelope import error_payload
from runtime.web.errors import PayloadTooLargeError


class BodyTooLarge(HTTPException):
    """Raised from ``receive``: FastAPI re-raises HTTP exceptions met while it reads a body,
    so its handlers answer 413 (runtime.web.handlers); if it reaches this middleware first, the
    middleware does."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            return await _refuse(scope, receive, send)
        limit, received, started = self.max_bytes, 0, False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    error = PayloadTooLargeError()
    body = error_payload(error.code, error.message(language_var.get()))
    # the client may still be sending: tell it this connection will not read the rest
    response = JSONResponse(body, status_code=error.status_code, headers={"Connection": "close"})
    await response(scope, receive, send)
