"""The hot read path (runtime.hot.path) against the generated routers, over HTTP.

For every entity of both systems, the list and the detail answered from the precompiled SQL
equal what the routers answer for the same request (a second app with CXG_HOT_PATH off, on
the same databases), and the hot path really answered them. A logout on one app is refused by
the other on the very next request, and a dropped connection costs a retried read, not a 5xx.
"""

from __future__ import annotations

import asyncio
import importlib
import uuid

import asyncpg
import pytest

from runtime.data.db import APPLICATION_NAME as ORM_APPLICATION_NAME
from runtime.hot.driverpool import APPLICATION_NAME
from tests.api.spec_driven import by_entity
from tests.api.test_auth import AUTH, USERS, assert_401, bearer, make_user, tokens_session
from tests.api.test_every_entity import FORGED, PROJECT, create_row, url, valid_body
from tests.conftest import login
from tests.database import _asyncpg_args

READABLE = [e for e in PROJECT.entities if e.has("list")]


@pytest.fixture
def headers_of(auth, tenant_a):
    return {"manager": auth, "tenants": tenant_a["headers"]}


def hot(client):
    return client._transport.app.state.hot


def data_of(response) -> dict:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and body["error"] is None and body["request_id"]
    return body["data"]


@pytest.mark.parametrize("entity", by_entity(READABLE))
async def test_hot_answers_equal_the_routers(client, long_way, headers_of, entity):
    auth = headers_of[entity.scope.name]
    if entity.has("create"):
        await create_row(client, auth, entity)
    base = url(entity)
    params = {"page_size": 100}
    await client.get(base, params=params, headers=auth)  # warms the permission cache
    before = hot(client).served
    fast = data_of(await client.get(base, params=params, headers=auth))
    assert hot(client).served == before + 1, "the list did not take the hot path"
    slow = data_of(await long_way.get(base, params=params, headers=auth))
    assert fast == slow
    if entity.has("create"):
        assert fast["items"], f"{entity.key}: no rows to compare"
    if entity.has("get") and fast["items"]:  # a read-only table may have no rows yet
        row_url = f"{base}/{fast['items'][0]['id']}"
        before = hot(client).served
        detail = data_of(await client.get(row_url, headers=auth))
        assert hot(client).served == before + 1, "the detail did not take the hot path"
        assert detail == data_of(await long_way.get(row_url, headers=auth))


async def test_filters_search_sort_and_pages_agree(client, long_way, tenant_a):
    headers = tenant_a["headers"]
    base = "/api/v1/tenants/crm/customers"
    for n in range(5):
        body = {"code": f"HP{n}x", "name": f"Hot_{n}%", "grade": ["VIP", "GOLD"][n % 2]}
        assert (await client.post(base, json=body, headers=headers)).status_code == 201
    queries = [
        {"search": "hot_", "sort": "name"},
        {"search": "%", "sort": "-code"},
        {"grade": ["VIP"], "sort": "code", "page_size": 2, "page": 2},
        {"grade": ["VIP", "GOLD"], "status": "ACTIVE", "page_size": 3},
        {"page": 1000},
    ]
    await client.get(base, headers=headers)
    for query in queries:
        before = hot(client).served
        fast = data_of(await client.get(base, params=query, headers=headers))
        assert hot(client).served == before + 1, query
        assert fast == data_of(await long_way.get(base, params=query, headers=headers)), query
    names = [
        i["name"]
        for i in data_of(await client.get(base, params=queries[0], headers=headers))["items"]
    ]
    assert names == sorted(names) and len(names) == 5


async def test_bad_parameters_get_the_routers_errors(client, auth):
    for params in ({"page": 0}, {"sort": "password"}, {"status": "GONE"}, {"page_size": 101}):
        response = await client.get(USERS, params=params, headers=auth)
        assert response.status_code == 422, (params, response.text)
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_logout_on_one_app_is_refused_by_the_other_at_once(client, long_way, auth):
    user = await make_user(client, auth, user_type="MASTER")
    tokens = await login(client, user["username"], user["password"])
    headers = bearer(tokens["access_token"])
    row_url = f"/api/v1/manager/idam/sessions/{tokens_session(tokens)}"
    assert (await client.get(row_url, headers=headers)).status_code == 200
    before = hot(client).served
    assert (await client.get(row_url, headers=headers)).status_code == 200
    assert (await client.get(USERS, headers=headers)).status_code == 200
    assert hot(client).served == before + 2  # warm: served by the hot path
    assert (await long_way.post(f"{AUTH}/logout", headers=headers)).status_code == 200
    assert_401(await client.get(row_url, headers=headers))
    assert_401(await client.get(USERS, headers=headers))


@pytest.mark.parametrize("database", ["manager", "tenant"])
async def test_a_statement_runs_its_generic_plan_from_its_first_use(client, database):
    """PostgreSQL plans a prepared statement's first five runs for their values unless told
    otherwise; on the hot path's connections even the first run uses the generic plan."""
    pool = hot(client).pools[database]
    conn = await pool.acquire()
    try:
        probe = f"SELECT $1::int + {uuid.uuid4().int % 1000} AS probe"  # new to this connection
        assert await conn.fetchval(probe, 1) >= 1
        plans = await conn.fetchrow(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement = $1",
            probe,
        )
    finally:
        pool.release(conn)
    assert (plans["generic_plans"], plans["custom_plans"]) == (1, 0)


async def test_a_dropped_connection_costs_one_retried_read(client, database_urls, tenant_a):
    headers = tenant_a["headers"]
    base = "/api/v1/tenants/crm/customers"
    made = await client.post(
        base, json={"code": f"D{uuid.uuid4().hex[:8]}", "name": "Drop"}, headers=headers
    )
    assert made.status_code == 201, made.text
    assert data_of(await client.get(base, headers=headers))["items"]
    admin = await asyncpg.connect(**_asyncpg_args(database_urls["tenant"]))
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = $1 AND datname = current_database()",
            APPLICATION_NAME,
        )
    finally:
        await admin.close()
    assert killed >= 1
    before = hot(client).served
    assert data_of(await client.get(base, headers=headers))["items"]
    assert hot(client).served == before + 1


async def test_the_routers_retry_a_read_on_a_dropped_connection(long_way, database_urls, tenant_a):
    """The ORM engines do not ping at checkout: a connection the server dropped costs the
    routers one more run of the read, not a 503 (runtime.web.readretry)."""
    headers = tenant_a["headers"]
    base = "/api/v1/tenants/crm/customers"
    assert data_of(await long_way.get(base, headers=headers))["items"] is not None
    admin = await asyncpg.connect(**_asyncpg_args(database_urls["tenant"]))
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = $1 AND datname = current_database()",
            ORM_APPLICATION_NAME,
        )
    finally:
        await admin.close()
    assert killed >= 1
    assert data_of(await long_way.get(base, headers=headers))["items"] is not None
    # a write is not retried behind the client's back, and the pool has recovered for it
    created = await long_way.post(
        base, json={"code": f"R{uuid.uuid4().hex[:8]}", "name": "Retry"}, headers=headers
    )
    assert created.status_code == 201, created.text


HOT_CREATES = [e for e in PROJECT.entities if e.hot_create]
AUDIT = {"manager": "/api/v1/manager/audt/audit-logs", "tenants": "/api/v1/tenants/audt/audit-logs"}


@pytest.mark.parametrize("entity", by_entity(HOT_CREATES))
async def test_hot_creates_equal_the_routers(client, long_way, headers_of, entity):
    from runtime.logic import extend, rules
    from runtime.security.authz import AUTHZ_ENTITIES

    auth = headers_of[entity.scope.name]
    body = await valid_body(client, auth, entity)
    base = url(entity)
    await client.get(base, headers=auth)  # warms the permission cache
    before = hot(client).served
    forged = await client.post(base, json={**FORGED, **body}, headers=auth)
    assert forged.status_code == 422, forged.text  # bookkeeping is refused, not ignored
    created = await client.post(base, json=body, headers=auth)
    assert created.status_code == 201, created.text
    table = f"{entity.domain}.{entity.table}"
    models = importlib.import_module(f"generated.{entity.scope.name}.models")
    long_way_only = (  # the one statement cannot run Python: write rules, hooks, caches
        entity.key in AUTHZ_ENTITIES
        or rules.has_rules(table)
        or extend.is_extended(models.metadata.tables[table])
    )
    assert hot(client).served == before + (0 if long_way_only else 1)
    row = created.json()["data"]
    assert row["created_by"] != FORGED["created_by"] and row["id"] != FORGED["id"]
    # the headers the routers send too (and the document declares)
    assert created.headers["location"] == f"{base}/{row['id']}"
    assert created.headers["etag"] == f'"{row["version"]}"'
    again = await long_way.post(base, json=await valid_body(client, auth, entity), headers=auth)
    if again.status_code == 201:
        assert again.headers["location"] == f"{base}/{again.json()['data']['id']}"
    if entity.has("get"):
        assert row == data_of(await long_way.get(f"{base}/{row['id']}", headers=auth))
    trail = await long_way.get(
        AUDIT[entity.scope.name],
        params={"entity_id": row["id"], "action": "CREATE"},
        headers=auth,
    )
    (entry,) = data_of(trail)["items"]
    assert entry["entity"] == entity.key and entry["method"] == "POST"
    assert entry["status_code"] == 201 and entry["path"] == base
    assert entry["request_id"] == created.headers["x-request-id"]
    assert entry["client_ip"] == "203.0.113.7" and entry["user_id"] == row["created_by"]


async def test_a_refused_hot_create_writes_nothing(client, tenant_a, tenant_b):
    """A duplicate and a reference to another tenant's row: the long way's errors, no rows."""
    base, headers = "/api/v1/tenants/crm/contacts", tenant_a["headers"]
    theirs = await client.post(
        "/api/v1/tenants/crm/customers",
        json={"code": "HPX" + uuid.uuid4().hex[:6], "name": "B's"},
        headers=tenant_b["headers"],
    )
    await client.get(base, headers=headers)
    refused = await client.post(
        base, json={"customer_id": theirs.json()["data"]["id"], "name": "x"}, headers=headers
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["detail"][0]["field"] == "customer_id"
    customers = "/api/v1/tenants/crm/customers"
    body = {"code": "HPD" + uuid.uuid4().hex[:6], "name": "Twice"}
    assert (await client.post(customers, json=body, headers=headers)).status_code == 201
    again = await client.post(customers, json=body, headers=headers)
    assert again.status_code == 409, again.text
    listed = await client.get(customers, params={"search": body["code"]}, headers=headers)
    assert data_of(listed)["total"] == 1


async def test_one_remembered_page_statement_serves_each_tenant_its_own_rows(
    client, tenant_a, tenant_b
):
    """The hot path composes a query string's page statement once; each caller's tenant is
    put into it on every request."""
    customers = "/api/v1/tenants/crm/customers"
    mark = "HPT" + uuid.uuid4().hex[:6]
    mine = {}
    for tenant in (tenant_a, tenant_b):
        created = await client.post(
            customers,
            json={"code": f"{mark}{tenant['id'][:4]}", "name": mark},
            headers=tenant["headers"],
        )
        assert created.status_code == 201, created.text
        mine[tenant["id"]] = created.json()["data"]["id"]
    route = client._transport.app.state.hot_routes[customers]
    query = {"search": mark, "page_size": 5}
    for tenant in (tenant_a, tenant_b, tenant_a):
        await client.get(customers, params=query, headers=tenant["headers"])  # warm caches
        before = hot(client).served
        page = data_of(await client.get(customers, params=query, headers=tenant["headers"]))
        assert hot(client).served == before + 1, "the list did not take the hot path"
        assert [row["id"] for row in page["items"]] == [mine[tenant["id"]]]
        assert page["total"] == 1
    remembered = [key for key in route._listings if mark.encode() in key]
    assert len(remembered) == 1, remembered


async def test_a_released_connection_goes_to_the_longest_waiting_request(database_urls):
    """The hot pool is first come, first served: a request that arrives as a connection is
    released does not take it from one already waiting (which would send that one to the back
    of the line again: the long tail under load). A dropped connection lets the next waiting
    request open one."""
    from runtime.hot.driverpool import DriverPool

    dsn = database_urls["manager"]
    pool = DriverPool(dsn, 1, tenant=False)
    try:
        first = await pool.acquire()
        waiting = asyncio.ensure_future(pool.acquire())
        await asyncio.sleep(0)  # it waits now
        pool.release(first)
        late = asyncio.ensure_future(pool.acquire())  # arrives just as it was released
        assert await asyncio.wait_for(waiting, 5) is first
        await asyncio.sleep(0.05)
        assert not late.done()  # it waits its turn
        pool.release(first, broken=True)  # dropped: the waiting one opens a new connection
        replacement = await asyncio.wait_for(late, 10)
        assert replacement is not first and not replacement.is_closed()
        cancelled = asyncio.ensure_future(pool.acquire())
        await asyncio.sleep(0)
        cancelled.cancel()
        pool.release(replacement)  # the cancelled waiter is skipped: the connection stays idle
        assert await asyncio.wait_for(pool.acquire(), 5) is replacement
        pool.release(replacement)
    finally:
        await pool.close()
