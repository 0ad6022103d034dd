"""Request id and language for every request (pure ASGI, so streaming is untouched)."""

from __future__ import annotations

import logging
import re
import uuid

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.hot.warmup import Activity
from runtime.web.context import language_from_header, language_var, request_id_var
from runtime.web.envelope import error_payload
from runtime.web.errors import InternalError

log = logging.getLogger("cxg.errors")

HEADER = "x-request-id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    """Takes a well-formed X-Request-ID from the client or makes one; echoes it back."""

    def __init__(self, app: ASGIApp, activity: Activity | None = None) -> None:
        self.app = app
        self.activity = activity or Activity()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        incoming = headers.get(HEADER, "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        rid_token = request_id_var.set(request_id)
        lang_token = language_var.set(language_from_header(headers.get("accept-language")))
        scope.setdefault("state", {})["request_id"] = request_id

        started = False
        self.activity.begin()

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (HEADER.encode(), request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # Unexpected errors end here, inside the request context, so the envelope still
            # carries the request id; the client never sees a traceback.
            log.exception("unhandled error", exc_info=exc)
            if started:
                raise
            body = error_payload(InternalError.code, InternalError().message(language_var.get()))
            await JSONResponse(body, status_code=500)(scope, receive, send_with_id)
        finally:
            self.activity.end()
            request_id_var.reset(rid_token)
            language_var.reset(lang_token)
