"""Rate limiting as the original documented: per hour, 1000 requests for an authenticated
principal and 100 for an unauthenticated client address (both configurable).

Counters are fixed windows. With CXG_REDIS_URL they live in Redis, so every worker shares
them; otherwise in this process's memory. Over the limit: 429 RATE_LIMITED with Retry-After.
"""

from __future__ import annotations

import hashlib
import time
from typing import Protocol

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from runtime.security.credentials import TokenError, verified_claims
from runtime.settings import Settings
from runtime.web.context import language_var
from runtime.web.envelope import error_payload
from runtime.web.errors import RateLimitedError

EXEMPT_PATHS = ("/health", "/docs", "/redoc", "/openapi.json")
# Sign-in has budgets of its own, for failures only (runtime.security.throttle): one client's requests
# must not use up the sign-ins of everyone behind the same address.
SIGN_IN_PATHS = ("/api/v1/manager/auth/login", "/api/v1/tenants/auth/login")


class Counter(Protocol):
    async def hit(self, key: str, window: int) -> int: ...

    async def count(self, key: str, window: int) -> int: ...


class MemoryCounter:
    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._window_of: dict[str, int] = {}

    async def hit(self, key: str, window: int) -> int:
        current = int(time.time()) // window
        if self._window_of.get(key) != current:
            self._window_of[key], self._counts[key] = current, 0
        self._counts[key] += 1
        return self._counts[key]

    async def count(self, key: str, window: int) -> int:
        current = int(time.time()) // window
        return self._counts.get(key, 0) if self._window_of.get(key) == current else 0


class RedisCounter:
    def __init__(self, url: str) -> None:
        try:
            import redis.asyncio as redis
        except ImportError:
            raise SystemExit(
                "CXG_REDIS_URL is set but the Redis client is not installed:"
                " pip install 'cxg-gen[redis]'"
            ) from None

        self._redis = redis.from_url(url)

    async def hit(self, key: str, window: int) -> int:
        bucket = f"cxg:rl:{key}:{int(time.time()) // window}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(bucket)
            pipe.expire(bucket, window + 5)
            count, _ = await pipe.execute()
        return int(count)

    async def count(self, key: str, window: int) -> int:
        value = await self._redis.get(f"cxg:rl:{key}:{int(time.time()) // window}")
        return int(value or 0)

    async def close(self) -> None:
        await self._redis.aclose()


def principal_key(headers: dict[str, str], settings: Settings) -> str | None:
    """Who is calling, when a signed token or an API key says so (checked later anyway)."""
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        try:
            return f"user:{verified_claims(auth[7:]).get('sub')}"
        except TokenError:
            return None
    key = headers.get("x-api-key")
    if key:
        return "key:" + hashlib.sha256(key.encode()).hexdigest()[:32]
    return None


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings, counter: Counter) -> None:
        self.app, self.settings, self.counter = app, settings, counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"].startswith(EXEMPT_PATHS)
            or scope["path"] in SIGN_IN_PATHS
        ):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        window = self.settings.rate_limit_window_seconds
        principal = principal_key(headers, self.settings)
        if principal:
            key, limit = principal, self.settings.rate_limit_authenticated
        else:
            client = scope.get("client")
            key, limit = (
                f"ip:{client[0] if client else 'unknown'}",
                self.settings.rate_limit_anonymous,
            )
        count = await self.counter.hit(key, window)
        if count > limit:
            retry = window - int(time.time()) % window
            error = RateLimitedError(detail={"limit": limit, "window_seconds": window})
            body = error_payload(error.code, error.message(language_var.get()), error.detail)
            response = JSONResponse(
                body,
                status_code=429,
                headers={
                    "Retry-After": str(retry),
                    "X-RateLimit-Limit": str(limit),
                    "X-RateLimit-Remaining": "0",
                },
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
