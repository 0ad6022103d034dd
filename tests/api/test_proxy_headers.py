"""X-Forwarded-For, through a real `cxg-gen serve`: believed from the peers named in
CXG_TRUSTED_PROXIES only. Forged by anyone else, it moves neither the rate-limit key nor the
address that sign-in and audit rows store."""

from __future__ import annotations

import os
from contextlib import contextmanager

import asyncpg
import httpx
import pytest

from tests import live_server

LOGIN = "/api/v1/manager/auth/login"
FORGED = ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"]


@contextmanager
def serving(database_urls: dict[str, str], trusted: str):
    env = {
        **os.environ,
        "CXG_MANAGER_DATABASE_URL": database_urls["manager"],
        "CXG_TENANT_DATABASE_URL": database_urls["tenant"],
        "CXG_TRUSTED_PROXIES": trusted,
        "CXG_RATE_LIMIT_ANONYMOUS": "3",
        "CXG_REDIS_URL": "",  # each server counts for itself
    }
    with live_server.serving(env) as base:
        yield base


def _anonymous_answers(base: str) -> list[int]:
    """Four unauthenticated requests, each claiming another address."""
    return [
        httpx.get(f"{base}/api/v1/manager/idam/users", headers={"X-Forwarded-For": ip}).status_code
        for ip in FORGED
    ]


async def _last_login_address(database_urls, username: str) -> str | None:
    conn = await asyncpg.connect(database_urls["manager"])
    try:
        return await conn.fetchval(
            "SELECT ip_address FROM idam.login_logs WHERE username = $1"
            " ORDER BY created_at DESC LIMIT 1",
            username,
        )
    finally:
        await conn.close()


def _sign_in(base: str, admin: dict, forwarded: str) -> None:
    answer = httpx.post(
        f"{base}{LOGIN}",
        json={"username": admin["username"], "password": admin["password"]},
        headers={"X-Forwarded-For": forwarded},
    )
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("trusted", ["", "10.9.8.7"])
async def test_forged_header_from_an_untrusted_peer_changes_nothing(database_urls, admin, trusted):
    with serving(database_urls, trusted) as base:
        # one budget for the one real peer, whatever the header says
        assert _anonymous_answers(base) == [401, 401, 401, 429]
        _sign_in(base, admin, "198.51.100.99")
    assert await _last_login_address(database_urls, admin["username"]) == "127.0.0.1"


async def test_the_header_from_a_configured_proxy_is_believed(database_urls, admin):
    with serving(database_urls, "127.0.0.1") as base:
        # each client behind the proxy has its own budget
        assert _anonymous_answers(base) == [401, 401, 401, 401]
        _sign_in(base, admin, "198.51.100.99")
    assert await _last_login_address(database_urls, admin["username"]) == "198.51.100.99"
