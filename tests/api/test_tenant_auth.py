"""Tenant sign-in and provisioning, and the attacks on them: wrong-system tokens, tokens of a
suspended or deleted tenant, lockout and its expiry, refresh reuse, logout, acting for a
tenant without the permission."""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import create_async_engine

from generated.tenants.models import metadata as TENANT_METADATA
from tests.api.test_auth import bearer, make_user
from tests.conftest import TENANT_ADMIN_PASSWORD, login, new_tenant, tenant_login

AUTH = "/api/v1/tenants/auth"
TENANTS = "/api/v1/manager/tenants"
CUSTOMERS = "/api/v1/tenants/crm/customers"
BAD_LOGIN = "사용자명 또는 비밀번호가 올바르지 않습니다."


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["data"] is None
    assert body["error"]["code"] == code
    return body["error"]


@asynccontextmanager
async def as_tenant(database_urls, tenant_id: str):
    """A connection straight to the tenant database, in one transaction, as that tenant."""
    from runtime.data.db import async_url

    engine = create_async_engine(async_url(database_urls["tenant"]))
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text("SELECT set_config('cxg.tenant_id', :t, true)"), {"t": tenant_id}
            )
            yield conn
    finally:
        await engine.dispose()


async def tenant_rows(database_urls, tenant_id: str, table: str, where) -> list[dict]:
    """Rows of a tenant table read straight from the database."""
    t = TENANT_METADATA.tables[table]
    async with as_tenant(database_urls, tenant_id) as conn:
        return [dict(r._mapping) for r in await conn.execute(select(t).where(*where(t)))]


async def set_tenant_user(database_urls, tenant_id: str, user_id: str, **values) -> None:
    users = TENANT_METADATA.tables["adm.users"]
    async with as_tenant(database_urls, tenant_id) as conn:
        await conn.execute(update(users).where(users.c.id == uuid.UUID(user_id)).values(**values))


async def test_provisioned_admin_signs_in_and_sees_their_account(client, tenant_a):
    me = await client.get(f"{AUTH}/me", headers=tenant_a["headers"])
    assert me.status_code == 200, me.text
    data = me.json()["data"]
    assert data["username"] == tenant_a["username"]
    assert data["tenant_id"] == tenant_a["id"]
    assert data["user_type"] == "ADMIN"
    assert "password" not in data


async def test_provisioning_activates_once_and_only_for_masters(client, auth, tenant_a):
    tenant = (await client.get(f"{TENANTS}/{tenant_a['id']}", headers=auth)).json()["data"]
    assert tenant["status"] == "ACTIVE"  # created PENDING, activated by provisioning
    again = await client.post(
        f"{TENANTS}/{tenant_a['id']}/provision",
        json={
            "username": "second.admin",
            "email": "second@cxg.example",
            "full_name": "Second",
            "password": TENANT_ADMIN_PASSWORD,
        },
        headers=auth,
    )
    assert_error(again, 409, "CONFLICT")
    missing = await client.post(
        f"{TENANTS}/{uuid.uuid4()}/provision",
        json={
            "username": "x.admin",
            "email": "x@cxg.example",
            "full_name": "X",
            "password": TENANT_ADMIN_PASSWORD,
        },
        headers=auth,
    )
    assert_error(missing, 404, "RESOURCE_NOT_FOUND")
    audit = await client.get(
        "/api/v1/manager/audt/audit-logs",
        params={"entity_id": tenant_a["id"], "action": "PROVISION"},
        headers=auth,
    )
    assert audit.json()["data"]["total"] == 1


async def test_tokens_belong_to_one_system(client, auth, tenant_a):
    # a tenant token on a manager endpoint, a manager token on a tenant endpoint
    assert_error(
        await client.get("/api/v1/manager/idam/users", headers=tenant_a["headers"]),
        401,
        "AUTHENTICATION_REQUIRED",
    )
    assert_error(await client.get(CUSTOMERS, headers=auth), 401, "AUTHENTICATION_REQUIRED")
    assert_error(
        await client.get("/api/v1/manager/auth/me", headers=tenant_a["headers"]),
        401,
        "AUTHENTICATION_REQUIRED",
    )
    # refresh tokens too: each system's refresh endpoint refuses the other's
    assert_error(
        await client.post(
            "/api/v1/manager/auth/refresh",
            json={"refresh_token": tenant_a["tokens"]["refresh_token"]},
        ),
        401,
        "AUTHENTICATION_REQUIRED",
    )


async def test_same_answer_for_unknown_tenant_user_and_password(client, tenant_a, database_urls):
    attempts = [
        {"tenant_code": "NO-SUCH-TENANT", "username": tenant_a["username"], "password": "x"},
        {"tenant_code": tenant_a["code"], "username": "nobody", "password": "Wrong-Pass1"},
        {"tenant_code": tenant_a["code"], "username": tenant_a["username"], "password": "Wrong1"},
    ]
    for attempt in attempts:
        error = assert_error(
            await client.post(f"{AUTH}/login", json=attempt), 401, "AUTHENTICATION_REQUIRED"
        )
        assert error["message"] == BAD_LOGIN
    mine = uuid.UUID(tenant_a["id"])
    logs = await tenant_rows(
        database_urls,
        tenant_a["id"],
        "adm.login_logs",
        lambda t: [t.c.success.is_(False), t.c.tenant_id == mine],
    )
    assert {r["failure_reason"] for r in logs} >= {"UNKNOWN_USER", "BAD_PASSWORD"}
    # the attempt at an unknown tenant code is written nowhere (read as the test's database
    # user: on the embedded server a superuser, whom row-level security does not confine)
    elsewhere = await tenant_rows(
        database_urls,
        tenant_a["id"],
        "adm.login_logs",
        lambda t: [t.c.username == tenant_a["username"], t.c.tenant_id != mine],
    )
    assert elsewhere == []


async def test_lockout_after_five_failures_and_its_expiry(client, auth, database_urls):
    tenant = await new_tenant(client, auth)
    wrong = {"tenant_code": tenant["code"], "username": tenant["username"], "password": "Nope-1"}
    for _ in range(5):
        assert_error(await client.post(f"{AUTH}/login", json=wrong), 401, "AUTHENTICATION_REQUIRED")
    right = {**wrong, "password": tenant["password"]}
    locked = await client.post(f"{AUTH}/login", json=right, headers={"Accept-Language": "en"})
    error = assert_error(locked, 401, "AUTHENTICATION_REQUIRED")
    assert error["message"] == "Too many failed logins: the account is locked for a while."
    until = datetime.fromisoformat(error["detail"]["locked_until"])
    assert timedelta(minutes=14) < until - datetime.now(UTC) <= timedelta(minutes=15)

    await set_tenant_user(
        database_urls,
        tenant["id"],
        tenant["admin_id"],
        locked_until=datetime.now(UTC) - timedelta(seconds=1),
    )
    await tenant_login(client, tenant["code"], tenant["username"], tenant["password"])


async def test_refresh_rotates_and_a_reused_token_ends_the_session(client, auth):
    tenant = await new_tenant(client, auth)
    first = tenant["tokens"]
    rotated = await client.post(f"{AUTH}/refresh", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()["data"]
    assert (await client.get(f"{AUTH}/me", headers=bearer(second["access_token"]))).is_success

    reused = await client.post(f"{AUTH}/refresh", json={"refresh_token": first["refresh_token"]})
    assert assert_error(reused, 401, "AUTHENTICATION_REQUIRED")["message"] == (
        "이미 사용된 갱신 토큰입니다. 다시 로그인하세요."
    )
    # the whole session ended: the newest tokens are dead too
    assert_error(
        await client.get(f"{AUTH}/me", headers=bearer(second["access_token"])),
        401,
        "AUTHENTICATION_REQUIRED",
    )
    assert_error(
        await client.post(f"{AUTH}/refresh", json={"refresh_token": second["refresh_token"]}),
        401,
        "AUTHENTICATION_REQUIRED",
    )


async def test_password_change_and_logout_end_sessions(client, auth):
    tenant = await new_tenant(client, auth)
    other = await tenant_login(client, tenant["code"], tenant["username"], tenant["password"])
    changed = await client.post(
        f"{AUTH}/change-password",
        json={"current_password": tenant["password"], "new_password": "Brand-New-Pass9"},
        headers=tenant["headers"],
    )
    assert changed.status_code == 200, changed.text
    assert_error(
        await client.get(f"{AUTH}/me", headers=bearer(other["access_token"])),
        401,
        "AUTHENTICATION_REQUIRED",
    )
    assert (await client.get(f"{AUTH}/me", headers=tenant["headers"])).status_code == 200
    old = await client.post(
        f"{AUTH}/login",
        json={
            "tenant_code": tenant["code"],
            "username": tenant["username"],
            "password": tenant["password"],
        },
    )
    assert_error(old, 401, "AUTHENTICATION_REQUIRED")

    assert (await client.post(f"{AUTH}/logout", headers=tenant["headers"])).status_code == 200
    assert_error(
        await client.get(CUSTOMERS, headers=tenant["headers"]), 401, "AUTHENTICATION_REQUIRED"
    )
    audit = await client.get(
        "/api/v1/tenants/audt/audit-logs",
        params={"action": "PASSWORD_CHANGE"},
        headers=bearer(
            (await tenant_login(client, tenant["code"], tenant["username"], "Brand-New-Pass9"))[
                "access_token"
            ]
        ),
    )
    assert audit.json()["data"]["total"] == 1


async def test_a_suspended_or_deleted_tenants_tokens_stop_working(client, auth):
    tenant = await new_tenant(client, auth)
    assert (await client.get(CUSTOMERS, headers=tenant["headers"])).status_code == 200
    suspended = await client.patch(
        f"{TENANTS}/{tenant['id']}/status", json={"status": "SUSPENDED"}, headers=auth
    )
    assert suspended.status_code == 200, suspended.text
    error = assert_error(
        await client.get(CUSTOMERS, headers=tenant["headers"]), 401, "AUTHENTICATION_REQUIRED"
    )
    assert error["message"] == "사용이 중지되었거나 해지된 테넌트입니다."
    assert_error(
        await client.post(
            f"{AUTH}/refresh", json={"refresh_token": tenant["tokens"]["refresh_token"]}
        ),
        401,
        "AUTHENTICATION_REQUIRED",
    )
    login = await client.post(
        f"{AUTH}/login",
        json={
            "tenant_code": tenant["code"],
            "username": tenant["username"],
            "password": tenant["password"],
        },
    )
    assert assert_error(login, 401, "AUTHENTICATION_REQUIRED")["message"] == error["message"]

    await client.patch(f"{TENANTS}/{tenant['id']}/status", json={"status": "ACTIVE"}, headers=auth)
    assert (await client.get(CUSTOMERS, headers=tenant["headers"])).status_code == 200
    assert (await client.delete(f"{TENANTS}/{tenant['id']}", headers=auth)).status_code == 200
    assert_error(
        await client.get(CUSTOMERS, headers=tenant["headers"]), 401, "AUTHENTICATION_REQUIRED"
    )


async def test_acting_for_a_tenant_needs_the_permission_and_is_audited(
    client, auth, tenant_a, tenant_b, database_urls
):
    issued = await client.post(f"{TENANTS}/{tenant_a['id']}/act-token", headers=auth)
    assert issued.status_code == 200, issued.text
    act = bearer(issued.json()["data"]["access_token"])
    code = "ACT" + uuid.uuid4().hex[:6]
    created = await client.post(CUSTOMERS, json={"code": code, "name": "Via manager"}, headers=act)
    assert created.status_code == 201, created.text
    assert created.json()["data"]["tenant_id"] == tenant_a["id"]
    # it is a token of tenant A only
    b_view = await client.get(CUSTOMERS, params={"search": code}, headers=tenant_b["headers"])
    assert b_view.json()["data"]["total"] == 0
    # it is no tenant account
    assert_error(await client.get(f"{AUTH}/me", headers=act), 403, "PERMISSION_DENIED")
    # both trails say who did it
    manager_trail = await client.get(
        "/api/v1/manager/audt/audit-logs",
        params={"entity_id": tenant_a["id"], "action": "ACT_FOR_TENANT"},
        headers=auth,
    )
    assert manager_trail.json()["data"]["total"] >= 1
    tenant_trail = await tenant_rows(
        database_urls,
        tenant_a["id"],
        "audt.audit_logs",
        lambda t: [t.c.entity_id == uuid.UUID(created.json()["data"]["id"])],
    )
    assert len(tenant_trail) == 1 and tenant_trail[0]["username"].endswith("(manager)")

    # a manager user without the permission cannot get a token
    user = await make_user(client, auth, user_type="TENANT")
    tokens = await login(client, user["username"], user["password"])
    refused = await client.post(
        f"{TENANTS}/{tenant_a['id']}/act-token", headers=bearer(tokens["access_token"])
    )
    assert_error(refused, 403, "PERMISSION_DENIED")

    # the act token dies with the manager's session
    master = await make_user(client, auth, user_type="MASTER")
    master_tokens = await login(client, master["username"], master["password"])
    own = await client.post(
        f"{TENANTS}/{tenant_a['id']}/act-token", headers=bearer(master_tokens["access_token"])
    )
    act2 = bearer(own.json()["data"]["access_token"])
    assert (await client.get(CUSTOMERS, headers=act2)).status_code == 200
    await client.post("/api/v1/manager/auth/logout", headers=bearer(master_tokens["access_token"]))
    assert_error(await client.get(CUSTOMERS, headers=act2), 401, "AUTHENTICATION_REQUIRED")
