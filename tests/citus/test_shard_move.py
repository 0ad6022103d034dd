"""A tenant moved to another worker while requests run against it: its shard group
(``citus_move_shard_placement``, co-located shards together) goes from
one worker to the other while a writer creates rows and a reader lists and reads them, on
the hot path and the routers. No request gets an error answer, and every row written before,
during and after the move is there afterwards."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from tests.database import _asyncpg_args

T = "/api/v1/tenants"
PLACEMENT = (
    "SELECT s.shardid, s.nodename, s.nodeport FROM citus_shards s"
    " WHERE s.table_name = 'crm.customers'::regclass"
    " AND s.shardid = get_shard_id_for_distribution_column('crm.customers', $1::uuid)"
)
OTHER = (
    "SELECT nodename, nodeport FROM pg_dist_node WHERE groupid <> 0 AND noderole = 'primary'"
    " AND (nodename, nodeport) <> ($1, $2) ORDER BY nodeid LIMIT 1"
)


async def test_a_tenant_moves_between_workers_under_load(client, long_way, tenant_a, database_urls):
    headers = tenant_a["headers"]
    conn = await asyncpg.connect(**_asyncpg_args(database_urls["tenant"]))
    try:
        shard, host, port = await conn.fetchrow(PLACEMENT, tenant_a["id"])
        target = await conn.fetchrow(OTHER, host, port)
        written: list[str] = []
        failures: list[str] = []
        moving = True

        async def write() -> None:
            while moving or len(written) < 10:
                body = {"code": "M" + uuid.uuid4().hex[:8], "name": "Moving"}
                answer = await client.post(f"{T}/crm/customers", json=body, headers=headers)
                if answer.status_code == 201:
                    written.append(answer.json()["data"]["id"])
                else:
                    failures.append(f"POST {answer.status_code} {answer.text}")

        async def read(reader) -> None:
            while moving:
                listed = await reader.get(f"{T}/crm/customers", headers=headers)
                if listed.status_code != 200:
                    failures.append(f"GET list {listed.status_code} {listed.text}")
                if written:
                    one = await reader.get(f"{T}/crm/customers/{written[-1]}", headers=headers)
                    if one.status_code != 200:
                        failures.append(f"GET one {one.status_code} {one.text}")
                await asyncio.sleep(0)

        async def move() -> None:
            nonlocal moving
            await asyncio.sleep(0.5)  # requests already running
            try:
                await conn.execute(
                    "SELECT citus_move_shard_placement($1, $2, $3, $4, $5,"
                    " shard_transfer_mode => 'block_writes')",
                    shard,
                    host,
                    port,
                    target["nodename"],
                    target["nodeport"],
                )
                await asyncio.sleep(0.5)  # and still running after it
            finally:
                moving = False

        await asyncio.gather(write(), read(client), read(long_way), move())
        assert not failures, failures[:5]
        after = await conn.fetchrow(PLACEMENT, tenant_a["id"])
        assert (after["nodename"], after["nodeport"]) == (target["nodename"], target["nodeport"])
        assert len(written) >= 10
        for row_id in written:  # every write is there, read back through the API
            got = await client.get(f"{T}/crm/customers/{row_id}", headers=headers)
            assert got.status_code == 200, got.text
        stored = await conn.fetchval(
            "SELECT count(*) FROM crm.customers WHERE id = ANY($1::uuid[])",
            [uuid.UUID(i) for i in written],
        )
        assert stored == len(written)
    finally:
        await conn.close()
