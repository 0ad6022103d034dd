"""Throttling of failed sign-ins, in buckets a stranger cannot turn against anyone else.

Only failures count. Per window (CXG_LOGIN_THROTTLE_WINDOW_SECONDS, 15 minutes):
- an address may fail CXG_LOGIN_FAILURES_PER_ACCOUNT times for one account (a password being
  guessed from there), and
- CXG_LOGIN_FAILURES_PER_ADDRESS times in all (many accounts tried from there).
Past either, sign-ins from that address (for that account, or at all) are 429 RATE_LIMITED
with Retry-After until the window ends. Sign-ins from other addresses are untouched, and
sign-in is outside the general anonymous budget (runtime.security.ratelimit), so a noisy neighbour
behind the same address cannot use it up. The account lockout (runtime.security.signin) still stands
behind these. Counters live where the rate limits do: memory, or Redis for several workers.
"""

from __future__ import annotations

import time

from fastapi import Request

from runtime.data.audit import client_ip
from runtime.state import app_state
from runtime.web.errors import RateLimitedError


def _keys(request: Request, realm: str, username: str) -> tuple[str, str]:
    address = client_ip(request) or "unknown"
    return f"login-fail:{address}", f"login-fail:{address}:{realm}:{username.lower()}"


async def check(request: Request, realm: str, username: str) -> None:
    """429 when this address has failed too often, in all or for this account."""
    settings, counter = app_state(request).settings, app_state(request).counter
    window = settings.login_throttle_window_seconds
    per_address, per_account = _keys(request, realm, username)
    for key, limit in (
        (per_address, settings.login_failures_per_address),
        (per_account, settings.login_failures_per_account),
    ):
        if await counter.count(key, window) >= limit:
            raise RateLimitedError(
                detail={"limit": limit, "window_seconds": window, "scope": "failed sign-ins"},
                headers={"Retry-After": str(window - int(time.time()) % window)},
            )


async def failed(request: Request, realm: str, username: str) -> None:
    settings, counter = app_state(request).settings, app_state(request).counter
    for key in _keys(request, realm, username):
        await counter.hit(key, settings.login_throttle_window_seconds)
