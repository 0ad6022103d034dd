"""Tenant keys (migration 0012) on a database that has data: a database at 0011 with rows in
every tenant table is upgraded; every row is kept, `db check` finds no difference, and the
database itself now refuses a reference into another tenant, even from the application role
under row-level security (foreign-key checks ignore RLS, so before 0012 nothing stopped it).
"""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from alembic import command
from sqlalchemy import UniqueConstraint
from sqlalchemy.engine import make_url

from generated.tenants.models import metadata
from runtime import migrations
from tests.api.test_isolation import rows  # noqa: F401 - the fixture: rows of two tenants
from tests.database import _asyncpg_args, run_sync

TABLES = [t for t in metadata.sorted_tables if "tenant_id" in t.c]
APP_ROLE = "cxg_app"


async def _run(url: str, work):
    conn = await asyncpg.connect(**_asyncpg_args(url))
    try:
        return await work(conn)
    finally:
        await conn.close()


async def _columns_at(conn) -> dict[str, list[str]]:
    """The tenant tables a database has, with their columns: the schema of 0011, which later
    migrations extend (new tables, new columns) and this test must not expect there."""
    listed = await conn.fetch(
        "SELECT table_schema || '.' || table_name AS name, column_name FROM information_schema.columns"
        " WHERE table_schema || '.' || table_name = ANY($1::text[]) ORDER BY ordinal_position",
        [t.fullname for t in TABLES],
    )
    found: dict[str, list[str]] = {}
    for row in listed:
        found.setdefault(row["name"], []).append(row["column_name"])
    return {name: columns for name, columns in found.items() if "tenant_id" in columns}


async def _copy_tenant_rows(
    source: str, target: str, schema: dict[str, list[str]], tenants: list[str]
) -> None:
    """The two tenants' rows of every tenant table, as they are, into a database at 0011 (its
    columns). A row 0011 could not hold (a log entry of a kind added later, an account
    without a password) stays behind: nothing at 0011 refers to such rows."""
    src = await asyncpg.connect(**_asyncpg_args(source))
    dst = await asyncpg.connect(**_asyncpg_args(target))
    later = (
        asyncpg.CheckViolationError,
        asyncpg.NotNullViolationError,
        asyncpg.StringDataRightTruncationError,
    )
    try:
        await dst.execute("SET session_replication_role = replica")  # keys checked after
        for table in TABLES:
            if table.fullname not in schema:
                continue
            columns = schema[table.fullname]
            records = await src.fetch(
                f"SELECT {', '.join(columns)} FROM {table.fullname}"
                " WHERE tenant_id = ANY($1::uuid[])",
                [uuid.UUID(t) for t in tenants],
            )
            insert = (
                f"INSERT INTO {table.fullname} ({', '.join(columns)})"
                f" VALUES ({', '.join(f'${i + 1}' for i in range(len(columns)))})"
            )
            for record in records:
                try:
                    async with dst.transaction():
                        await dst.execute(insert, *record.values())
                except later:
                    continue
    finally:
        await src.close()
        await dst.close()


def _fingerprints(schema: dict[str, list[str]]):
    async def fingerprints(conn) -> dict[str, tuple[int, str]]:
        """Row count and a digest of every row (its columns at 0011), per tenant table."""
        found = {}
        for name, columns in schema.items():
            row = ", ".join(f"t.{c}" for c in columns)
            found[name] = tuple(
                await conn.fetchrow(
                    f"SELECT count(*), md5(coalesce(string_agg(row({row})::text, '|'"
                    f" ORDER BY t.id), '')) FROM {name} t"
                )
            )
        return found

    return fingerprints


def _a_reference(schema: dict[str, list[str]]) -> tuple:
    """A tenant table with a reference to another tenant table and no unique rule but its key
    (so an insert can fail on the reference alone)."""
    for table in (t for t in TABLES if t.fullname in schema):
        uniques = [i for i in table.indexes if i.unique] + [
            c for c in table.constraints if isinstance(c, UniqueConstraint)
        ]
        for fk in table.foreign_key_constraints:
            target = fk.referred_table
            if not uniques and "tenant_id" in target.c and table is not target:
                return table, fk.column_keys[0], target
    raise AssertionError("no tenant table references another without a unique rule")


async def _cross_tenant_insert(conn, tenant: str, other: str, schema: dict[str, list[str]]) -> None:
    """As the app role in ``tenant``'s context: copy one of its rows under a new id, with the
    reference pointing at a row of ``other``."""
    table, column, target = _a_reference(schema)
    mine = await conn.fetchrow(
        f"SELECT * FROM {table.fullname} WHERE tenant_id = $1 LIMIT 1", uuid.UUID(tenant)
    )
    theirs = await conn.fetchval(
        f"SELECT id FROM {target.fullname} WHERE tenant_id = $1 LIMIT 1", uuid.UUID(other)
    )
    assert mine is not None and theirs is not None, table.fullname
    values = {**dict(mine), "id": uuid.uuid4(), column: theirs}
    names = list(values)
    await conn.execute(f"SET LOCAL ROLE {APP_ROLE}")
    await conn.execute("SELECT set_config('cxg.tenant_id', $1, true)", tenant)
    await conn.execute(
        f"INSERT INTO {table.fullname} ({', '.join(names)})"
        f" VALUES ({', '.join(f'${i + 1}' for i in range(len(names)))})",
        *values.values(),
    )


@pytest.fixture
def scratch(database_urls):
    server = make_url(database_urls["tenant"]).set(database="postgres")
    name = f"cxg_test_keys_{uuid.uuid4().hex[:8]}"
    admin = server.render_as_string(hide_password=False)
    run_sync(_run(admin, lambda c: c.execute(f'CREATE DATABASE "{name}"')))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        run_sync(_run(admin, lambda c: c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))


def test_upgrade_keeps_every_row_and_adds_the_third_wall(
    database_urls,
    scratch,
    rows,  # noqa: F811 - the fixture imported above
    tenant_a,
    tenant_b,
):
    cfg = migrations.config("tenant", scratch)
    command.upgrade(cfg, "0011")
    schema = run_sync(_run(scratch, _columns_at))
    tenants = [tenant_a["id"], tenant_b["id"]]
    run_sync(_copy_tenant_rows(database_urls["tenant"], scratch, schema, tenants))
    fingerprints = _fingerprints(schema)
    before = run_sync(_run(scratch, fingerprints))
    empty = [name for name, (count, _) in before.items() if count == 0]
    assert not empty, f"tables without rows: {empty}"

    # at 0011 the database itself lets a row refer into another tenant...
    async def cross_tenant_committed(conn):
        async with conn.transaction():
            await _cross_tenant_insert(conn, tenant_a["id"], tenant_b["id"], schema)

    run_sync(_run(scratch, cross_tenant_committed))
    # ...so the upgrade refuses, naming the key, and changes nothing
    with pytest.raises(RuntimeError, match="refer into another tenant"):
        command.upgrade(cfg, "head")
    version = "SELECT version_num FROM public.alembic_version"
    assert run_sync(_run(scratch, lambda c: c.fetchval(version))) == "0011"
    table, column, target = _a_reference(schema)
    run_sync(
        _run(
            scratch,
            lambda c: c.execute(
                f"DELETE FROM {table.fullname} s USING {target.fullname} t"
                f" WHERE t.id = s.{column} AND t.tenant_id <> s.tenant_id"
            ),
        )
    )
    assert run_sync(_run(scratch, fingerprints)) == before

    command.upgrade(cfg, "head")
    assert run_sync(_run(scratch, fingerprints)) == before  # every row, unchanged
    command.check(cfg)  # `cxg-gen db check`: the database is what the models say

    async def cross_tenant_refused(conn):
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            async with conn.transaction():
                await _cross_tenant_insert(conn, tenant_a["id"], tenant_b["id"], schema)
        # the same insert within the tenant is fine: it is the other tenant that is refused
        async with conn.transaction():
            await _cross_tenant_insert(conn, tenant_a["id"], tenant_a["id"], schema)

    run_sync(_run(scratch, cross_tenant_refused))

    command.downgrade(cfg, "0011")  # and back, still without losing a row
    after_down = run_sync(_run(scratch, fingerprints))
    assert {k: v[0] for k, v in after_down.items()} == {
        k: v[0] + (1 if k == table.fullname else 0) for k, v in before.items()
    }
