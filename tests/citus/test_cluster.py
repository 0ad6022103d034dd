"""What the cluster holds once `db upgrade` and `db citus --apply` ran: every tenant table
distributed by tenant_id and co-located, shards on every worker with the RLS policy, the
application role able to log in on the workers only, no key with an action Citus refuses;
then gapless numbering under 20 concurrent creates, and the API with CXG_DB_POOLER=transaction
(no session state: the tenant set in every transaction, on the hot path too)."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from generated.tenants.models import metadata
from tests.api import test_every_entity as every
from tests.api import test_isolation as isolation
from tests.api.conftest import headers_of  # noqa: F401 - the fixture
from tests.api.test_documents import _customer, _order
from tests.api.test_isolation import rows  # noqa: F401 - the fixture
from tests.citus.conftest import SETUP_LOG
from tests.citus.test_tenant_api import CREATABLE, READABLE, TENANT
from tests.database import _asyncpg_args

TABLES = sorted(t.fullname for t in metadata.sorted_tables if "tenant_id" in t.c)


async def test_every_tenant_table_is_distributed_and_co_located(owner):
    version = await owner.fetchval("SELECT citus_version()")
    SETUP_LOG.append(f"citus_version(): {version}")
    assert version.startswith("Citus ")
    found = await owner.fetch(
        "SELECT logicalrelid::regclass::text AS name, partmethod::text, colocationid,"
        " column_to_column_name(logicalrelid, partkey) AS column FROM pg_dist_partition"
    )
    assert sorted(r["name"] for r in found) == TABLES
    assert {(r["partmethod"], r["column"]) for r in found} == {("h", "tenant_id")}
    assert len({r["colocationid"] for r in found}) == 1
    nodes = await owner.fetch("SELECT DISTINCT nodeport FROM citus_shards")
    workers = await owner.fetch(
        "SELECT nodeport FROM pg_dist_node WHERE groupid <> 0 AND noderole = 'primary'"
    )
    assert {r[0] for r in nodes} == {r[0] for r in workers} and len(workers) >= 2


async def test_policies_and_the_role_reach_every_worker(owner, database_urls):
    workers = await owner.fetch(
        "SELECT nodename, nodeport FROM pg_dist_node WHERE groupid <> 0 AND noderole = 'primary'"
    )
    coordinator = await owner.fetchval("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'cxg_app'")
    assert coordinator is False  # reached only by SET ROLE there
    args = _asyncpg_args(database_urls["tenant"])
    for host, port in workers:
        conn = await asyncpg.connect(**{**args, "host": host, "port": port})
        try:
            assert await conn.fetchval(
                "SELECT rolcanlogin AND NOT rolbypassrls FROM pg_roles WHERE rolname = 'cxg_app'"
            )
            unsecured = await conn.fetchval(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relkind = 'r' AND n.nspname = ANY($1::text[])"
                " AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid"
                "             AND a.attname = 'tenant_id')"
                " AND NOT (c.relrowsecurity AND c.relforcerowsecurity AND EXISTS"
                "   (SELECT FROM pg_policy p WHERE p.polrelid = c.oid))",
                sorted({t.split(".")[0] for t in TABLES}),
            )
            shards = await conn.fetchval("SELECT count(*) FROM pg_policy")
            assert unsecured == 0 and shards > 0, f"{host}:{port}"
        finally:
            await conn.close()


async def test_no_key_has_an_action_citus_refuses(owner):
    refused = await owner.fetch(
        "SELECT conname FROM pg_constraint WHERE contype = 'f' AND confdeltype IN ('n', 'd')"
    )
    assert refused == []


async def test_twenty_concurrent_creates_are_numbered_without_gaps(client, tenant_a):
    customer = await _customer(client, tenant_a["headers"])
    responses = await asyncio.gather(
        *(_order(client, tenant_a["headers"], customer) for _ in range(20))
    )
    assert [r.status_code for r in responses] == [201] * 20, [r.text for r in responses]
    numbers = sorted(int(r.json()["data"]["order_no"].rsplit("-", 1)[1]) for r in responses)
    assert numbers == list(range(numbers[0], numbers[0] + 20))


@pytest.fixture(scope="module")
async def pooled(database_urls):
    """The API as it runs behind a transaction pooler: nothing kept in a session."""
    from runtime.app import create_app
    from runtime.settings import get_settings

    settings = get_settings().model_copy(update={"db_pooler": "transaction"})
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://pooled") as c:
            yield c


@pytest.mark.parametrize("entity", CREATABLE, ids=every.ident)
async def test_crud_without_session_state(pooled, headers_of, entity):  # noqa: F811
    await every.test_crud(pooled, headers_of, entity)


@pytest.mark.parametrize("entity", [e for e in TENANT if e in READABLE], ids=every.ident)
async def test_isolation_without_session_state(pooled, rows, tenant_a, tenant_b, entity):  # noqa: F811
    await isolation.test_a_never_reaches_bs_rows(pooled, rows, tenant_a, tenant_b, entity)
