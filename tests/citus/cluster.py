"""A fresh database on the Citus cluster CXG_TEST_CITUS_URL names (its coordinator).

Citus 12.1 and later create a database on every node from the coordinator when
``citus.enable_create_database_propagation`` is on; before that it is made on each node by
hand. Either way the extension is installed on every node and the workers are added to the
new database's metadata, as an operator does for a new tenant database.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
from sqlalchemy.engine import make_url

from tests.database import _asyncpg_args, _drop, run_sync

NODES = (
    "SELECT nodename, nodeport FROM pg_dist_node"
    " WHERE groupid <> 0 AND noderole = 'primary' AND isactive ORDER BY nodeid"
)
PROPAGATES = "SELECT current_setting('citus.enable_create_database_propagation', true) IS NOT NULL"


async def _on(args: dict, *statements: str) -> list:
    conn = await asyncpg.connect(**args)
    try:
        found = []
        for statement in statements:
            found = await conn.fetch(statement)
        return [tuple(r) for r in found]
    finally:
        await conn.close()


async def _create(server_url: str, name: str) -> list[tuple[str, int]]:
    server = _asyncpg_args(server_url)
    workers = await _on(server, NODES)
    assert workers, f"{server_url}: the coordinator has no workers (citus_add_node)"
    (propagates,) = (await _on(server, PROPAGATES))[0]
    if propagates:
        await _on(
            server, "SET citus.enable_create_database_propagation = on", f'CREATE DATABASE "{name}"'
        )
    else:
        await _on(server, f'CREATE DATABASE "{name}"')
    for host, port in workers:
        node = {**server, "host": host, "port": port}
        if not propagates:
            await _on(node, f'CREATE DATABASE "{name}"')
        await _on({**node, "database": name}, "CREATE EXTENSION IF NOT EXISTS citus")
    host, port = server.get("host", "127.0.0.1"), server.get("port", 5432)
    await _on(
        {**server, "database": name},
        "CREATE EXTENSION IF NOT EXISTS citus",
        f"SELECT citus_set_coordinator_host('{host}', {int(port)})",
        *(f"SELECT citus_add_node('{h}', {int(p)})" for h, p in workers),
    )
    return workers


@contextmanager
def citus_database(server_url: str) -> Iterator[str]:
    """Yield the URL of a new database on the coordinator, distributed-ready, dropped after."""
    name = f"cxg_test_citus_{uuid.uuid4().hex[:10]}"
    workers = run_sync(_create(server_url, name))
    base = make_url(server_url)
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        _drop(server_url, ["SET citus.enable_create_database_propagation = on", drop])
        for host, port in workers:  # where it was not propagated (or the drop was not)
            node = base.set(host=host, port=port).render_as_string(hide_password=False)
            _drop(node, [drop])
