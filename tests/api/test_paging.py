"""Keyset pages and count modes, on both ways a list is answered (the hot path and the
routers: the same requests through an app with CXG_HOT_PATH off)."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from tests.api.test_hot_path import data_of, hot
from tests.conftest import new_tenant
from tests.database import _asyncpg_args

CUSTOMERS = "/api/v1/tenants/crm/customers"


async def add_customers(client, headers, tag: str, count: int) -> None:
    async def one(n: int) -> None:
        body = {"code": f"{tag}{n:03d}", "name": f"{tag} customer {n}"}
        response = await client.post(CUSTOMERS, json=body, headers=headers)
        assert response.status_code == 201, response.text

    for start in range(0, count, 10):
        await asyncio.gather(*(one(n) for n in range(start, min(start + 10, count))))


async def walk(reader, headers, params: dict) -> list[str]:
    ids, cursor = [], None
    for _ in range(100):
        page = data_of(
            await reader.get(CUSTOMERS, params={**params, "cursor": cursor}, headers=headers)
            if cursor
            else await reader.get(CUSTOMERS, params=params, headers=headers)
        )
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError("the cursor never ended")


@pytest.mark.parametrize("sort", [None, "name", "-code,name"])
async def test_keyset_pages_are_the_offset_pages(reader, tenant_a, client, sort):
    headers, tag = tenant_a["headers"], "K" + uuid.uuid4().hex[:6]
    await add_customers(client, headers, tag, 23)
    params = {"search": tag, "page_size": 5, **({"sort": sort} if sort else {})}
    by_offset = []
    for page in range(1, 6):
        by_offset += [i["id"] for i in data_of(
            await reader.get(CUSTOMERS, params={**params, "page": page}, headers=headers)
        )["items"]]  # fmt: skip
    assert len(by_offset) == 23 == len(set(by_offset))
    served = hot(client).served
    assert await walk(reader, headers, params) == by_offset
    if reader is client:  # the five keyset pages were the hot path's
        assert hot(client).served == served + 5


async def test_keyset_pages_hold_still_under_concurrent_inserts(reader, tenant_a, client):
    """Rows inserted while a client walks the newest-first list land before its cursor: the
    walk returns exactly the rows that were there when it began, no duplicate, no gap."""
    headers, tag = tenant_a["headers"], "W" + uuid.uuid4().hex[:6]
    await add_customers(client, headers, tag, 18)
    params = {"search": tag, "page_size": 4}
    before = data_of(
        await reader.get(CUSTOMERS, params={**params, "page_size": 100}, headers=headers)
    )
    first = data_of(await reader.get(CUSTOMERS, params=params, headers=headers))
    ids, cursor, extra = [i["id"] for i in first["items"]], first["next_cursor"], 100
    while cursor:
        body = {"code": f"{tag}{extra}", "name": f"{tag} late {extra}"}
        assert (await client.post(CUSTOMERS, json=body, headers=headers)).status_code == 201
        extra += 1
        page = data_of(
            await reader.get(CUSTOMERS, params={**params, "cursor": cursor}, headers=headers)
        )
        ids += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert ids == [i["id"] for i in before["items"]]


async def test_count_modes(reader, tenant_a, client):
    headers, tag = tenant_a["headers"], "C" + uuid.uuid4().hex[:6]
    await add_customers(client, headers, tag, 3)
    base = {"search": tag}
    default = data_of(await reader.get(CUSTOMERS, params=base, headers=headers))
    assert (default["total"], default["count"], default["total_pages"]) == (3, "exact", 1)
    exact = data_of(await reader.get(CUSTOMERS, params={**base, "count": "exact"}, headers=headers))
    assert (exact["total"], exact["count"]) == (3, "exact")
    none = data_of(await reader.get(CUSTOMERS, params={**base, "count": "none"}, headers=headers))
    assert (none["total"], none["total_pages"], none["count"]) == (None, None, "none")
    assert len(none["items"]) == 3
    guess = data_of(
        await reader.get(CUSTOMERS, params={**base, "count": "estimated"}, headers=headers)
    )
    assert guess["count"] == "estimated" and isinstance(guess["total"], int)
    # a filter of several values (an IN) is estimated too, by either path
    several = {**base, "count": "estimated", "status": ["ACTIVE", "INACTIVE"]}
    filtered = data_of(await reader.get(CUSTOMERS, params=several, headers=headers))
    assert filtered["count"] == "estimated" and isinstance(filtered["total"], int)


async def test_big_lists_are_estimated_by_default(
    reader, database_urls, auth, client, monkeypatch, app, request
):
    """In a small table every matching row is counted, past EXACT_UP_TO too; in a big one
    (the planner's size past COUNT_ALL_UP_TO) the default counts to EXACT_UP_TO, then gives
    the planner's estimate, never below that bound; ?count=exact always counts every row."""
    from runtime.data.paging import EXACT_UP_TO

    tenant = await new_tenant(client, auth)
    conn = await asyncpg.connect(**_asyncpg_args(database_urls["tenant"]))
    try:
        await conn.execute(
            "INSERT INTO crm.customers (tenant_id, code, name) SELECT $1, 'B' || g, 'Big ' || g"
            " FROM generate_series(1, $2) g",
            uuid.UUID(tenant["id"]),
            EXACT_UP_TO + 50,
        )
        await conn.execute("ANALYZE crm.customers")
        rows = await conn.fetchval(
            "SELECT reltuples FROM pg_class WHERE oid = 'crm.customers'::regclass"
        )
    finally:
        await conn.close()
    headers = tenant["headers"]
    small = data_of(await reader.get(CUSTOMERS, headers=headers))
    assert (small["total"], small["count"]) == (EXACT_UP_TO + 50, "exact")
    monkeypatch.setattr("runtime.data.paging.COUNT_ALL_UP_TO", int(rows) - 1)  # now it is big

    def forget() -> None:  # the hot path remembers statements composed with the old bound
        for route in app.state.hot_routes.values():
            route.forget()

    forget()
    request.addfinalizer(forget)  # before monkeypatch restores the bound
    big = data_of(await reader.get(CUSTOMERS, headers=headers))
    assert big["count"] == "estimated" and big["total"] > EXACT_UP_TO
    exact = data_of(await reader.get(CUSTOMERS, params={"count": "exact"}, headers=headers))
    assert (exact["total"], exact["count"]) == (EXACT_UP_TO + 50, "exact")


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not-a-cursor"},
        {
            "cursor": "eyJzIjoiLWNyZWF0ZWRfYXQiLCJ2IjpbMV19"
        },  # the right sort, values that do not fit
        {
            "cursor": "eyJzIjoibmFtZSIsInYiOlsieCIsIjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMCJdfQ"
        },
        {"cursor": "eyJzIjoiLWNyZWF0ZWRfYXQiLCJ2IjpbXX0", "page": 2},
        {"count": "some"},
    ],
)
async def test_bad_cursors_and_counts_are_422(client, tenant_a, params):
    response = await client.get(CUSTOMERS, params=params, headers=tenant_a["headers"])
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
