"""Lists on a big table: the same requests on a tenant with 10,000 customers and on one with
1,000,000, in process over ASGI, on real PostgreSQL.

    .venv/bin/python -m tests.benchmarks.big_table [--rows 1000000] [--requests 200]

Writes docs/benchmarks/big_table.json (and prints a table). The target: every request on
the big tenant within 2x of the same request on the small one. Databases are found like the
tests find theirs (CXG_TEST_DATABASE_URL, else an embedded server), fresh for the run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

from tests.benchmarks.api_latency import bench_databases, timed, write_report

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "docs/benchmarks/big_table.json"
CUSTOMERS = "/api/v1/tenants/crm/customers"
SMALL = 10_000


async def fill(tenant_dsn: dict, tenant_id: str, rows: int) -> float:
    """``rows`` customers for one tenant, a second apart, a quarter of each grade."""
    started = time.perf_counter()
    conn = await asyncpg.connect(**tenant_dsn)
    try:
        await conn.execute(
            "INSERT INTO crm.customers (tenant_id, code, name, grade, created_at, updated_at)"
            " SELECT $1, 'C' || g, 'Customer ' || g,"
            " (ARRAY['VIP','GOLD','SILVER','NORMAL'])[1 + g % 4],"
            " now() - g * interval '1 second', now() - g * interval '1 second'"
            " FROM generate_series(1, $2) g",
            uuid.UUID(tenant_id),
            rows,
        )
        await conn.execute("VACUUM ANALYZE crm.customers")
    finally:
        await conn.close()
    return time.perf_counter() - started


async def deep_cursor(tenant_dsn: dict, tenant_id: str, position: int) -> str:
    """The cursor a client holds after walking to ``position`` in the default order."""
    from runtime.data.paging import encode_cursor

    conn = await asyncpg.connect(**tenant_dsn)
    try:
        row = await conn.fetchrow(
            "SELECT created_at, id FROM crm.customers WHERE tenant_id = $1 AND NOT is_deleted"
            " ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1",
            uuid.UUID(tenant_id),
            position - 1,
        )
    finally:
        await conn.close()
    return encode_cursor("-created_at", [row["created_at"], row["id"]])


def scenarios(headers: dict, cursor: str) -> dict:
    return {
        "page 1, default count": lambda c: c.get(CUSTOMERS, headers=headers),
        "page 1, keyset (no count)": lambda c: c.get(
            CUSTOMERS, params={"count": "none"}, headers=headers
        ),
        "deep page, keyset (page 5,000; the last at 10,000 rows)": lambda c: c.get(
            CUSTOMERS, params={"cursor": cursor, "count": "none"}, headers=headers
        ),
        "filtered (grade=VIP), default count": lambda c: c.get(
            CUSTOMERS, params={"grade": "VIP"}, headers=headers
        ),
    }


async def run(rows: int, count: int, tenant_dsn: dict) -> dict:
    from runtime.app import create_app
    from tests.conftest import login, new_tenant

    app = create_app()
    results: dict = {"fill_seconds": {}}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            tokens = await login(client, os.environ["BENCH_ADMIN"], os.environ["BENCH_PASSWORD"])
            auth = {"Authorization": f"Bearer {tokens['access_token']}"}
            for label, size in ((f"{SMALL:,} rows", SMALL), (f"{rows:,} rows", rows)):
                tenant = await new_tenant(client, auth)
                results["fill_seconds"][label] = round(
                    await fill(tenant_dsn, tenant["id"], size), 1
                )
                # page 5,000 of the big list; the last page of the small one
                cursor = await deep_cursor(tenant_dsn, tenant["id"], min(5_000 * 20, size - 20))
                results[label] = {
                    name: await timed(client, count, request)
                    for name, request in scenarios(tenant["headers"], cursor).items()
                }
    small, big = results[f"{SMALL:,} rows"], results[f"{rows:,} rows"]
    results["ratio big/small (p50)"] = {
        name: round(big[name]["p50_ms"] / small[name]["p50_ms"], 2) for name in small
    }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    from tests.database import _asyncpg_args

    with bench_databases() as urls:
        results = asyncio.run(run(args.rows, args.requests, _asyncpg_args(urls["tenant"])))
    write_report(OUTPUT, "results", results)
    for name, ratio in results["ratio big/small (p50)"].items():
        small = results[f"{SMALL:,} rows"][name]["p50_ms"]
        big = results[f"{args.rows:,} rows"][name]["p50_ms"]
        print(f"{name:<40} {small:7.2f} ms -> {big:7.2f} ms  x{ratio}")
    print(f"written to {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
