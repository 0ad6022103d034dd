"""Latency of the served API's hot paths, in process over ASGI, on real PostgreSQL.

    .venv/bin/python -m tests.benchmarks.api_latency [--requests 300]

Writes docs/benchmarks/api_latency.json (and prints a table). Not part of the test suite:
timings belong here, not in assertions that flake on a busy machine. The database is found
like the tests find it (CXG_TEST_DATABASE_URL, else an embedded server), in fresh databases.

Scenarios: a tenant list, get and create (permission and tenant status cached, RLS on), the
same list with row-level security out of the way (tenant transactions as the connecting
superuser: what the second wall costs), and a manager list.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "docs/benchmarks/api_latency.json"


async def timed(client: httpx.AsyncClient, count: int, request) -> dict:
    for _ in range(20):  # warm caches and pools
        await request(client)
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        response = await request(client)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code < 300, response.text
    samples.sort()
    return {
        "requests": count,
        "mean_ms": round(statistics.fmean(samples), 2),
        "p50_ms": round(samples[len(samples) // 2], 2),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
        "per_second": round(1000 / statistics.fmean(samples), 1),
    }


async def run(count: int) -> dict:
    from runtime.app import create_app
    from runtime.settings import Settings
    from tests.conftest import login, new_tenant

    app = create_app()
    results: dict = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            tokens = await login(client, os.environ["BENCH_ADMIN"], os.environ["BENCH_PASSWORD"])
            auth = {"Authorization": f"Bearer {tokens['access_token']}"}
            tenant = await new_tenant(client, auth)
            other = await new_tenant(client, auth)
            for owner in (tenant, other):
                for i in range(200):
                    await client.post(
                        "/api/v1/tenants/crm/customers",
                        json={"code": f"B{i:04d}", "name": f"Customer {i}"},
                        headers=owner["headers"],
                    )
            headers = tenant["headers"]
            listed = await client.get("/api/v1/tenants/crm/customers", headers=headers)
            one = listed.json()["data"]["items"][0]["id"]
            scenarios = {
                "tenant list (20 of 200 rows)": lambda c: c.get(
                    "/api/v1/tenants/crm/customers", headers=headers
                ),
                "tenant get": lambda c: c.get(
                    f"/api/v1/tenants/crm/customers/{one}", headers=headers
                ),
                "tenant create (audited)": lambda c: c.post(
                    "/api/v1/tenants/crm/customers",
                    json={"code": "N" + uuid.uuid4().hex[:10], "name": "New"},
                    headers=headers,
                ),
                "manager list (idam users)": lambda c: c.get(
                    "/api/v1/manager/idam/users", headers=auth
                ),
            }
            for name, request in scenarios.items():
                results[name] = await timed(client, count, request)

    # the same list without the second wall: tenant transactions as the connecting superuser
    bare = create_app(Settings(tenant_app_role=""))
    async with bare.router.lifespan_context(bare):
        transport = httpx.ASGITransport(app=bare, client=("203.0.113.9", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            results["tenant list without RLS (reference)"] = await timed(
                client,
                count,
                lambda c: c.get("/api/v1/tenants/crm/customers", headers=headers),
            )
    return results


@contextmanager
def bench_databases() -> Iterator[dict[str, str]]:
    """Fresh, migrated databases with a MASTER (BENCH_ADMIN), for the app made in process."""
    from tests.database import fresh_databases, run_sync

    with tempfile.TemporaryDirectory() as tmp, fresh_databases(Path(tmp)) as urls:
        os.environ.update(
            CXG_MANAGER_DATABASE_URL=urls["manager"],
            CXG_TENANT_DATABASE_URL=urls["tenant"],
            CXG_JWT_SECRET="bench-" + uuid.uuid4().hex,
            CXG_RATE_LIMIT_AUTHENTICATED="100000000",
            CXG_RATE_LIMIT_ANONYMOUS="100000000",
            BENCH_ADMIN="bench_admin",
            BENCH_PASSWORD="Bench-Passw0rd",
        )
        from runtime.cli import _insert_admin, upgrade
        from runtime.data.db import async_url
        from runtime.settings import get_settings

        get_settings.cache_clear()
        async_urls = {k: async_url(v) for k, v in urls.items()}
        upgrade(async_urls)
        run_sync(
            _insert_admin(
                async_urls["manager"], "bench_admin", "b@cxg.example", "Bench", "Bench-Passw0rd"
            )
        )
        yield urls


def write_report(path: Path, key: str, results: dict) -> None:
    report = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "database": "CXG_TEST_DATABASE_URL"
        if os.environ.get("CXG_TEST_DATABASE_URL")
        else "embedded",
        key: results,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    with bench_databases():
        results = asyncio.run(run(args.requests))
    write_report(OUTPUT, "scenarios", results)
    width = max(map(len, results))
    for name, r in results.items():
        print(
            f"{name:<{width}}  p50 {r['p50_ms']:7.2f} ms  p95 {r['p95_ms']:7.2f} ms  {r['per_second']:7.1f}/s"
        )
    print(f"written to {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
