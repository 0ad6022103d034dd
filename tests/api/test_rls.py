"""The second wall on its own: row-level security in the tenant database, checked straight
in PostgreSQL as the application role."""

from __future__ import annotations

import json
import uuid

import asyncpg
import pytest

from runtime.tenancy import context
from tests.api.test_every_entity import PROJECT

TENANT_TABLES = sorted(
    f"{e.domain}.{e.table}" for e in PROJECT.entities if e.scope.name == "tenants"
)
APP_ROLE = "cxg_app"


async def test_every_tenant_table_has_forced_rls_and_the_policy(owner):
    rows = await owner.fetch(
        "SELECT n.nspname || '.' || c.relname AS name, c.relrowsecurity, "
        "c.relforcerowsecurity, pg_get_userbyid(c.relowner) AS owner, "
        "(SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid "
        " AND p.polname = 'tenant_isolation') AS policies "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'r' AND n.nspname || '.' || c.relname = ANY($1::text[])",
        TENANT_TABLES,
    )
    found = {r["name"]: r for r in rows}
    assert sorted(found) == TENANT_TABLES
    for name, row in found.items():
        assert row["relrowsecurity"] and row["relforcerowsecurity"], name
        assert row["policies"] == 1, name
        assert row["owner"] != APP_ROLE, name
    role = await owner.fetchrow(
        "SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = $1", APP_ROLE
    )
    assert role is not None and not role["rolsuper"] and not role["rolbypassrls"]


async def test_the_app_role_sees_and_writes_only_its_tenant(client, owner, tenant_a, tenant_b):
    for tenant in (tenant_a, tenant_b):
        created = await client.post(
            "/api/v1/tenants/crm/customers",
            json={"code": "R" + uuid.uuid4().hex[:8], "name": "RLS"},
            headers=tenant["headers"],
        )
        assert created.status_code == 201
    everyone = await owner.fetch("SELECT DISTINCT tenant_id FROM crm.customers")
    assert {str(r["tenant_id"]) for r in everyone} >= {tenant_a["id"], tenant_b["id"]}

    async with owner.transaction():
        # as the application sets them (SET LOCAL, which Citus carries to the workers)
        await owner.execute(f'{context.PROPAGATE}; SET LOCAL ROLE "{APP_ROLE}"')
        # no tenant set: nothing at all
        assert await owner.fetchval("SELECT count(*) FROM crm.customers") == 0
        await owner.execute(context.tenant_settings(uuid.UUID(tenant_a["id"]), ""))
        seen = await owner.fetch("SELECT DISTINCT tenant_id FROM crm.customers")
        assert [str(r["tenant_id"]) for r in seen] == [tenant_a["id"]]
        # B's rows can be neither changed nor removed: the statements find nothing
        assert (
            await owner.execute(
                "UPDATE crm.customers SET name = 'x' WHERE tenant_id = $1",
                uuid.UUID(tenant_b["id"]),
            )
            == "UPDATE 0"
        )
        assert (
            await owner.execute(
                "DELETE FROM crm.customers WHERE tenant_id = $1", uuid.UUID(tenant_b["id"])
            )
            == "DELETE 0"
        )
        # and a row cannot be written into B
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            async with owner.transaction():
                await owner.execute(
                    "INSERT INTO crm.customers (id, tenant_id, code, name, customer_type, "
                    "grade, status) VALUES (gen_random_uuid(), $1, 'X1', 'x', 'CORPORATE', "
                    "'NORMAL', 'ACTIVE')",
                    uuid.UUID(tenant_b["id"]),
                )



class RolledBack(Exception):
    """Raised to end a transaction whose changes a test only looks at."""


async def test_the_policy_reads_the_tenant_once_per_statement_and_citus_gets_it_bare(owner):
    """On plain PostgreSQL the policy's setting is a scalar subquery: an InitPlan computed
    once, not a call per row. `db citus --apply` first rewrites such policies in the bare form
    Citus takes on distributed tables (it refuses subqueries there); seen here inside a
    transaction that is then rolled back."""
    from runtime.tenancy.citus import bare_policies

    expression = "SELECT pg_get_expr(polqual, polrelid) FROM pg_policy WHERE polrelid = $1::regclass"
    assert "SELECT" in await owner.fetchval(expression, "crm.customers")
    async with owner.transaction():
        await owner.execute(f'{context.PROPAGATE}; SET LOCAL ROLE "{APP_ROLE}"')
        await owner.execute(context.tenant_settings(uuid.UUID(int=1), ""))
        plan = await owner.fetchval("EXPLAIN (FORMAT JSON) SELECT count(*) FROM crm.customers")
        assert "InitPlan" in plan
        # beside a statement's own tenant condition, as every generated read has one: both are
        # conditions of the index scan, with no gating node for each row to pass through
        mine = "SELECT count(*) FROM crm.customers t WHERE NOT t.is_deleted AND t.tenant_id = $1"
        await owner.execute("SET LOCAL enable_seqscan = off")  # an empty table: as when full
        plan = json.loads(await owner.fetchval(f"EXPLAIN (FORMAT JSON) {mine}", uuid.UUID(int=1)))
        scan = plan[0]["Plan"]["Plans"][-1]
        assert scan["Node Type"].startswith("Index"), scan
        assert "One-Time Filter" not in str(plan), plan
        condition = scan["Index Cond"]
        assert "ANY" in condition and str(uuid.UUID(int=1)) in condition, condition
    with pytest.raises(RolledBack):
        async with owner.transaction():
            await owner.execute(bare_policies())
            for table in ("crm.customers", "srm.sales_orders"):
                bare = await owner.fetchval(expression, table)
                assert "current_setting('cxg.tenant_id'" in bare, bare
                assert "select" not in bare.lower(), bare
            raise RolledBack
    assert "SELECT" in await owner.fetchval(expression, "crm.customers")
