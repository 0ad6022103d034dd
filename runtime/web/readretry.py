"""A read that met a dead database connection runs once more instead of answering 503.

The ORM engines do not ping a connection at every checkout (a round trip per request). A
connection the server dropped since (a restart, a fail-over, an idle timeout) is found on first
use instead: SQLAlchemy invalidates it and the pool's older connections, and the exception
handler (runtime.web.handlers) marks the request. For GET and HEAD, which change nothing, this
middleware then drops that 503 unsent and runs the request once more on fresh connections. A
real outage fails the second run as fast as the first and is answered 503 as before. The hot
path retries its own reads (runtime.hot.read); this covers the routers.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

RETRY = "cxg_retry_read"  # set in the request's state by the database exception handler
READS = frozenset({"GET", "HEAD"})


def mark_for_retry(state: Any, method: str) -> None:
    """Called while answering a dead connection: a read gets its one more run."""
    if method in READS and not getattr(state, "cxg_retried", False):
        setattr(state, RETRY, True)


class ReadRetryMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in READS:
            await self.app(scope, receive, send)
            return
        first = {**scope, "state": dict(scope.get("state") or {})}

        async def unless_retried(message: Message) -> None:
            if not first["state"].get(RETRY):
                await send(message)

        await self.app(first, receive, unless_retried)
        if first["state"].get(RETRY):
            # a fresh state (no unit of work of the first run), marked so it is not retried again
            state = {**(scope.get("state") or {}), "cxg_retried": True}
            await self.app({**scope, "state": state}, receive, send)
