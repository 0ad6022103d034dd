"""A database outage under a running app: every request is a 503 DATABASE_UNAVAILABLE with
Retry-After (never a 500, never a traceback logged as unhandled), and the next request after
the database is back succeeds, with no restart and no acknowledged write lost.

The outage is real at the network level: the app reaches PostgreSQL through a small TCP gate
that the test shuts (closing every open connection and refusing new ones) and opens again.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

import httpx
import pytest

from tests.database import _asyncpg_args

CUSTOMERS = "/api/v1/tenants/crm/customers"


class Gate:
    """127.0.0.1:<port> → the PostgreSQL server, until shut."""

    def __init__(self, upstream: dict):
        self.upstream = upstream
        self.server: asyncio.base_events.Server | None = None
        self.port = 0
        self.writers: set[asyncio.StreamWriter] = set()

    async def _upstream(self):
        host, port = self.upstream.get("host", "127.0.0.1"), self.upstream.get("port", 5432)
        if str(host).startswith("/"):
            return await asyncio.open_unix_connection(f"{host}/.s.PGSQL.{port}")
        return await asyncio.open_connection(host, port)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _serve(self, reader, writer) -> None:
        up_reader, up_writer = await self._upstream()
        self.writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def open(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def shut(self) -> None:
        self.server.close()
        for writer in self.writers:
            writer.close()
        self.writers.clear()
        await self.server.wait_closed()

    def url(self, database: str) -> str:
        return f"postgresql://{self.upstream['user']}@127.0.0.1:{self.port}/{database}"


@pytest.fixture
async def gated(database_urls):
    from runtime.app import create_app
    from runtime.settings import get_settings

    manager, tenant = (
        _asyncpg_args(database_urls["manager"]),
        _asyncpg_args(database_urls["tenant"]),
    )
    gate = Gate(tenant)
    await gate.open()
    settings = get_settings().model_copy(
        update={
            "manager_database_url": gate.url(manager["database"]),
            "tenant_database_url": gate.url(tenant["database"]),
        }
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.8", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://gated") as client:
            yield gate, client
    if gate.server is not None and gate.server.is_serving():
        await gate.shut()


def assert_unavailable(response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "DATABASE_UNAVAILABLE"
    assert int(response.headers["retry-after"]) > 0


async def test_an_outage_is_503_and_recovery_needs_no_restart(gated, tenant_a, auth, caplog):
    gate, client = gated
    headers = tenant_a["headers"]
    before = {"code": "OUT" + uuid.uuid4().hex[:6], "name": "Before the outage"}
    kept = await client.post(CUSTOMERS, json=before, headers=headers)
    assert kept.status_code == 201, kept.text
    kept_id = kept.json()["data"]["id"]
    assert (await client.get(f"{CUSTOMERS}/{kept_id}", headers=headers)).status_code == 200

    await gate.shut()
    with caplog.at_level(logging.WARNING):
        during = {"code": "OUT" + uuid.uuid4().hex[:6], "name": "During the outage"}
        assert_unavailable(await client.get(CUSTOMERS, headers=headers))
        assert_unavailable(await client.get(f"{CUSTOMERS}/{kept_id}", headers=headers))
        assert_unavailable(await client.post(CUSTOMERS, json=during, headers=headers))
        assert_unavailable(await client.get("/api/v1/manager/idam/users", headers=auth))
        assert_unavailable(await client.get("/health"))
    assert not [r for r in caplog.records if "unhandled" in r.getMessage()]

    await gate.open()
    again = await client.get(f"{CUSTOMERS}/{kept_id}", headers=headers)
    assert again.status_code == 200, again.text
    assert again.json()["data"]["name"] == "Before the outage"
    after = {"code": "OUT" + uuid.uuid4().hex[:6], "name": "After the outage"}
    assert (await client.post(CUSTOMERS, json=after, headers=headers)).status_code == 201
    refused = await client.get(CUSTOMERS, params={"search": during["code"]}, headers=headers)
    assert refused.json()["data"]["total"] == 0
