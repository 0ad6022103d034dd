"""Rate limits, in memory and in real Redis (shared by several app instances)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from contextlib import asynccontextmanager

import httpx
import pytest

from runtime.settings import Settings

REDIS_URL = os.environ.get("CXG_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """CXG_TEST_REDIS_URL (default: the local Redis); else a private redis-server on a free
    port. A real Redis either way: the test fails, not skips, when there is none."""
    import socket

    import redis as sync_redis

    try:
        sync_redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        yield REDIS_URL
        return
    except sync_redis.RedisError:
        pass
    binary = shutil.which("redis-server")
    assert binary, f"no Redis at {REDIS_URL} and no redis-server to start one"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            try:
                sync_redis.from_url(url).ping()
                break
            except sync_redis.RedisError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@asynccontextmanager
async def app_client(settings: Settings, address: str = "198.51.100.1"):
    from runtime.app import create_app

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://rl") as client:
            yield client


def limited(**overrides) -> Settings:
    values = {"rate_limit_anonymous": 3, "rate_limit_authenticated": 5, **overrides}
    return Settings(**values)


def assert_429(response) -> None:
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == "RATE_LIMITED"
    assert 0 < int(response.headers["retry-after"]) <= 3600
    assert body["request_id"] == response.headers["x-request-id"]


async def test_anonymous_limit_per_address_in_memory(database_urls):
    async with app_client(limited()) as client:
        for _ in range(3):
            assert (await client.get("/api/v1/manager/idam/users")).status_code == 401
        assert_429(await client.get("/api/v1/manager/idam/users"))
        assert (await client.get("/health")).status_code == 200  # health is never limited


async def test_authenticated_limit_is_per_principal(database_urls, admin_tokens):
    headers = {"Authorization": f"Bearer {admin_tokens['access_token']}"}
    async with app_client(limited()) as client:
        for _ in range(5):
            assert (await client.get("/api/v1/manager/auth/me", headers=headers)).status_code == 200
        assert_429(await client.get("/api/v1/manager/auth/me", headers=headers))
        # anonymous callers from the same address still have their own allowance
        assert (await client.get("/api/v1/manager/idam/users")).status_code == 401


async def test_redis_counts_are_shared_between_workers(database_urls, redis_url):
    import redis.asyncio as redis

    # The Redis may be shared (other workers, other runs): this test touches only its own
    # counters, those of an address no other test uses, never the whole database.
    address = f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"
    mine = f"cxg:rl:ip:{address}:*"
    settings = limited(redis_url=redis_url)
    conn = redis.from_url(redis_url)
    try:
        assert await conn.keys(mine) == []
        async with app_client(settings, address) as first, app_client(settings, address) as second:
            assert (await first.get("/api/v1/manager/idam/users")).status_code == 401
            assert (await second.get("/api/v1/manager/idam/users")).status_code == 401
            assert (await first.get("/api/v1/manager/idam/users")).status_code == 401
            assert_429(await second.get("/api/v1/manager/idam/users"))  # 4th across both
        keys = await conn.keys(mine)
        assert sum([int(await conn.get(key)) for key in keys]) == 4, keys  # one count, shared
    finally:
        for key in await conn.keys(mine):
            await conn.delete(key)
        await conn.aclose()
