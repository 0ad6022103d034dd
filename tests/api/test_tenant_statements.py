"""Every statement the routers send to the tenant database names the tenant.

The hot path's statements are checked as composed (test_tenant_routing.py); this records what
the ORM actually sends while the routers create, read, list, update, move and delete a row of
every tenant entity, and checks that each statement on a tenant table mentions tenant_id:
on a database distributed by tenant_id (Citus) such a statement goes to one node, and it is
the application's own wall beside row-level security.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from generated.tenants.models import metadata
from tests.api.spec_driven import by_entity
from tests.api.test_every_entity import PROJECT, create_row, url

TENANT = [e for e in PROJECT.entities if e.scope.name == "tenants" and e.exposed]
TABLES = {t.fullname for t in metadata.sorted_tables if "tenant_id" in t.c}
NAMED = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+([a-z_]+\.[a-z_]+)", re.I)


@pytest.fixture
def recorded(database_urls):
    tenant_db = make_url(database_urls["tenant"]).database
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if conn.engine.url.database == tenant_db:
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def _names_the_tenant(statement: str) -> bool:
    """An INSERT names it among its columns; anything else in its WHERE clause (a selected
    tenant_id column does not route a statement)."""
    if statement.lstrip().upper().startswith("INSERT"):
        return "tenant_id" in statement
    _, where, condition = statement.partition("WHERE")
    return bool(where) and "tenant_id" in condition


def _unrouted(statements: list[str]) -> list[str]:
    return [
        s
        for s in statements
        if any(t in TABLES for t in NAMED.findall(s)) and not _names_the_tenant(s)
    ]


@pytest.mark.parametrize("entity", by_entity(TENANT))
async def test_the_routers_name_the_tenant_in_every_statement(long_way, recorded, tenant_a, entity):
    headers = tenant_a["headers"]
    listed = await long_way.get(url(entity), headers=headers)
    assert listed.status_code == 200
    row = listed.json()["data"]["items"][0] if listed.json()["data"]["items"] else None
    if entity.has("create"):
        _, row = await create_row(long_way, headers, entity)
    if row is not None:  # rows the server writes exist once their flow has run
        one = f"{url(entity)}/{row['id']}"
        if entity.has("get"):
            assert (await long_way.get(one, headers=headers)).status_code == 200
        if entity.has("update"):
            assert (await long_way.patch(one, json={}, headers=headers)).status_code == 200
        if entity.has("delete"):
            assert (await long_way.delete(one, headers=headers)).status_code in (200, 204, 409)
    assert recorded, "nothing was recorded"
    assert _unrouted(recorded) == []
