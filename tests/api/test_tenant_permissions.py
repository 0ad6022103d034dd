"""Tenant permissions: adm roles list codes, TENANT_ADMIN holds all, changes apply at once in
this process and, through NOTIFY, in every other process (as does a tenant's suspension)."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.api.test_auth import bearer
from tests.conftest import new_tenant, tenant_login

ROLES = "/api/v1/tenants/adm/roles"
CUSTOMERS = "/api/v1/tenants/crm/customers"
PRODUCTS = "/api/v1/tenants/ivm/products"


async def make_clerk(client, tenant: dict, codes: list[str]) -> tuple[dict, str]:
    """Headers of a new user of ``tenant`` holding ``codes``, and the id of their role."""
    clerk = await make_tenant_user(client, tenant, codes)
    return clerk["headers"], clerk["role_id"]


async def make_tenant_user(client, tenant: dict, codes: list[str]) -> dict:
    """A new user of ``tenant`` holding ``codes``: headers, user_id and role_id."""
    admin = tenant["headers"]
    username = "clerk." + uuid.uuid4().hex[:8]
    user = await client.post(
        "/api/v1/tenants/adm/users",
        json={
            "username": username,
            "email": f"{username}@cxg.example",
            "full_name": "Clerk",
            "password": "Clerk-Passw0rd",
        },
        headers=admin,
    )
    assert user.status_code == 201, user.text
    role = await client.post(
        ROLES,
        json={"code": "R" + uuid.uuid4().hex[:8].upper(), "name": "Clerk", "permissions": codes},
        headers=admin,
    )
    assert role.status_code == 201, role.text
    link = await client.post(
        "/api/v1/tenants/adm/user-roles",
        json={"user_id": user.json()["data"]["id"], "role_id": role.json()["data"]["id"]},
        headers=admin,
    )
    assert link.status_code == 201, link.text
    tokens = await tenant_login(client, tenant["code"], username, "Clerk-Passw0rd")
    return {
        "headers": bearer(tokens["access_token"]),
        "user_id": user.json()["data"]["id"],
        "role_id": role.json()["data"]["id"],
    }


async def test_roles_grant_codes_and_unknown_codes_are_refused(client, tenant_a):
    clerk, role_id = await make_clerk(client, tenant_a, ["crm.customers:read"])
    assert (await client.get(CUSTOMERS, headers=clerk)).status_code == 200
    denied = await client.get(PRODUCTS, headers=clerk)
    assert denied.status_code == 403
    assert denied.json()["error"]["detail"] == {"permission": "ivm.products:read"}
    # a role can only list codes of the tenant catalog
    typo = await client.patch(
        f"{ROLES}/{role_id}",
        json={"permissions": ["crm.customers:read", "crm.customer:read", "idam.users:read"]},
        headers=tenant_a["headers"],
    )
    assert typo.status_code == 422, typo.text
    detail = typo.json()["error"]["detail"]
    assert [d["field"] for d in detail] == ["permissions.1", "permissions.2"]
    assert "crm.customer:read" in detail[0]["message"]
    assert "idam.users:read" in detail[1]["message"]  # a manager code means nothing here


async def test_other_processes_follow_role_changes_and_suspensions(client, auth):
    from runtime.app import create_app

    tenant = await new_tenant(client, auth)
    clerk, role_id = await make_clerk(client, tenant, ["crm.customers:read"])
    other = create_app()
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(transport=transport, base_url="http://worker2") as second:
            assert (await second.get(CUSTOMERS, headers=clerk)).status_code == 200  # cached
            cache = other.state.permission_caches["tenant"]
            assert len(cache._entries) == 1
            await client.patch(
                f"{ROLES}/{role_id}", json={"permissions": []}, headers=tenant["headers"]
            )
            for _ in range(50):  # the notification arrives asynchronously
                if not cache._entries:
                    break
                await asyncio.sleep(0.05)
            assert (await second.get(CUSTOMERS, headers=clerk)).status_code == 403

            assert (await second.get(CUSTOMERS, headers=tenant["headers"])).status_code == 200
            statuses = other.state.tenant_status_cache
            assert statuses.get(uuid.UUID(tenant["id"])) == "ACTIVE"
            await client.patch(
                f"/api/v1/manager/tenants/{tenant['id']}/status",
                json={"status": "SUSPENDED"},
                headers=auth,
            )
            for _ in range(50):
                if statuses.get(uuid.UUID(tenant["id"])) is None:
                    break
                await asyncio.sleep(0.05)
            assert (await second.get(CUSTOMERS, headers=tenant["headers"])).status_code == 401


async def test_warm_requests_check_permission_and_tenant_without_queries(app, client, tenant_a):
    """After the first request, neither the permission nor the tenant's status costs a query:
    a warm list is one statement on the hot path's connection (the session check, the count
    and the page together: runtime.reads), and none through the ORM."""
    from sqlalchemy import event

    clerk, _ = await make_clerk(client, tenant_a, ["crm.customers:read"])
    assert (await client.get(CUSTOMERS, headers=clerk)).status_code == 200  # warms the caches
    assert (await client.get(CUSTOMERS, headers=clerk)).status_code == 200  # ... and the tenant
    statements: list[str] = []
    driver: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    engines = [e.sync_engine for e in app.state.databases.engines.values()]
    connections = list(app.state.hot.pools["tenant"]._all)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    for conn in connections:
        conn.add_query_logger(lambda logged: driver.append(logged.query))
    try:
        served = app.state.hot.served
        assert (await client.get(CUSTOMERS, headers=clerk)).status_code == 200
        assert app.state.hot.served == served + 1
        await asyncio.sleep(0.05)  # query loggers are called soon after, not during, a query
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
        for conn in connections:
            conn._query_loggers.clear()
    assert statements == []
    text = "\n".join(driver)
    assert "adm.roles" not in text and "adm.user_roles" not in text
    assert "tnnt.tenants" not in text
    assert len(driver) == 1, driver  # the session check, the count and the page
    assert "adm.sessions" in driver[0] and "count(*)" in driver[0]
