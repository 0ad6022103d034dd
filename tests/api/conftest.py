"""Fixtures the API tests share: the same API with its hot path switched off, a fixture
that runs a test through both, and the tenant database's owner connection."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from tests.database import _asyncpg_args


@pytest.fixture
def headers_of(auth, tenant_a):
    """Who works on each scope in the spec-driven suites: the MASTER for manager tables,
    tenant A's administrator for tenant tables."""
    return {"manager": auth, "tenants": tenant_a["headers"]}


@pytest.fixture(scope="module")
async def long_way(database_urls):
    """The same API with the hot path switched off: every request through the routers."""
    from runtime.app import create_app
    from runtime.settings import get_settings

    settings = get_settings().model_copy(update={"hot_path": False})
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://long") as client:
            yield client


@pytest.fixture(params=["hot", "routers"])
def reader(request, client, long_way):
    """The same request, answered by the hot path and by the routers."""
    return client if request.param == "hot" else long_way


@pytest.fixture
async def owner(database_urls):
    """A connection to the tenant database as its owner (tests switch to the app role)."""
    conn = await asyncpg.connect(**_asyncpg_args(database_urls["tenant"]))
    try:
        yield conn
    finally:
        await conn.close()
