"""Where tests find PostgreSQL: CXG_TEST_DATABASE_URL when set, else an embedded server.

Either way each test session gets two fresh databases (manager and tenant) and drops them
at the end, so runs never see each other's rows.
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
import uuid
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url


def run_sync(coro):
    """Run a coroutine to completion from sync code, whatever loop is around."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _asyncpg_args(url: str) -> dict:
    u = make_url(_plain(url))
    args = {"user": u.username or "postgres", "database": u.database or "postgres"}
    if u.password:
        args["password"] = u.password
    host = u.query.get("host") or u.host
    if host:
        args["host"] = host
    if u.port:
        args["port"] = u.port
    return args


async def _admin(server_url: str, statements: list[str]) -> None:
    conn = await asyncpg.connect(**_asyncpg_args(server_url))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def _drop(server_url: str, drops: list[str]) -> None:
    """Clean-up, which must not turn a green run red: the server may still be ending the
    sessions FORCE terminated when we connect (seen as a reset connection), so try again a
    few times; a database left behind is reported, not raised."""
    for attempt in range(5):
        try:
            run_sync(_admin(server_url, drops))
            return
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as exc:
            problem = exc
            time.sleep(0.5 * (attempt + 1))
    warnings.warn(f"test databases not dropped: {problem!r}", stacklevel=1)


@contextmanager
def fresh_databases(workdir: Path) -> Iterator[dict[str, str]]:
    """Yield {'manager': url, 'tenant': url} of two new, empty databases."""
    server = None
    server_url = os.environ.get("CXG_TEST_DATABASE_URL")
    if not server_url:
        from runtime.data import embedded

        server = embedded.start(workdir / "pgdata", temporary=True)
        server_url = embedded.server_url(server, "postgres")
    suffix = uuid.uuid4().hex[:10]
    names = {"manager": f"cxg_test_mgmt_{suffix}", "tenant": f"cxg_test_tnnt_{suffix}"}
    run_sync(_admin(server_url, [f'CREATE DATABASE "{n}"' for n in names.values()]))
    base = make_url(_plain(server_url))
    try:
        yield {
            k: base.set(database=v).render_as_string(hide_password=False) for k, v in names.items()
        }
    finally:
        _drop(server_url, [f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names.values()])


def use_databases(urls: dict[str, str]) -> None:
    """Point this process's settings at the test databases, as every test app sees them."""
    os.environ["CXG_MANAGER_DATABASE_URL"] = urls["manager"]
    os.environ["CXG_TENANT_DATABASE_URL"] = urls["tenant"]
    os.environ.setdefault("CXG_JWT_SECRET", "test-secret-" + uuid.uuid4().hex)
    os.environ.setdefault("CXG_ENCRYPTION_KEY", base64.urlsafe_b64encode(os.urandom(32)).decode())
    os.environ["CXG_ENVIRONMENT"] = "test"
    # the suite makes thousands of requests from one address; limits are tested on their own
    os.environ["CXG_RATE_LIMIT_ANONYMOUS"] = "1000000"
    os.environ["CXG_RATE_LIMIT_AUTHENTICATED"] = "1000000"
    from runtime.settings import get_settings

    get_settings.cache_clear()
