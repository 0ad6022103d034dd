"""Manager permissions come from roles, are cached, and follow role changes at once,
in this process and (through NOTIFY) in every other process serving the same database."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.api.test_auth import bearer, make_user
from tests.api.test_references import ROLES
from tests.conftest import login

USERS = "/api/v1/manager/idam/users"
PERMISSIONS = "/api/v1/manager/idam/permissions"


async def permission_id(client, auth, code: str) -> str:
    found = await client.get(PERMISSIONS, params={"search": code}, headers=auth)
    items = [p for p in found.json()["data"]["items"] if p["code"] == code]
    assert items, f"{code} is not in the seeded catalog"
    assert items[0]["is_system"] is True
    return items[0]["id"]


async def test_catalog_is_seeded_from_the_specs(client, auth):
    from generated.manager.permissions import PERMISSIONS as CATALOG

    codes = {d.code for d in CATALOG}
    assert {
        "idam.users:read",
        "idam.users:create",
        "idam.users:status",
        "audt.audit_logs:read",
    } <= codes
    assert "audt.audit_logs:create" not in codes  # audit logs are read-only
    seeded, page = set(), 1
    while True:
        listed = (
            await client.get(
                PERMISSIONS,
                headers=auth,
                params={"is_system": True, "page_size": 100, "page": page},
            )
        ).json()["data"]
        seeded |= {p["code"] for p in listed["items"]}
        if page >= listed["total_pages"]:
            break
        page += 1
    assert codes <= seeded


async def test_roles_grant_permissions_and_changes_apply_at_once(client, auth):
    user = await make_user(client, auth, user_type="TENANT")
    headers = bearer((await login(client, user["username"], user["password"]))["access_token"])
    denied = await client.get(USERS, headers=headers)
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "PERMISSION_DENIED"
    assert denied.json()["error"]["detail"] == {"permission": "idam.users:read"}

    read = await permission_id(client, auth, "idam.users:read")
    code = "READER_" + uuid.uuid4().hex[:6].upper()
    role = (
        await client.post(
            ROLES,
            headers=auth,
            json={"code": code, "name": code, "permissions": [{"permission_id": read}]},
        )
    ).json()["data"]
    link = await client.post(
        f"{USERS}/{user['id']}/roles", json={"role_id": role["id"]}, headers=auth
    )
    assert link.status_code == 201, link.text

    assert (await client.get(USERS, headers=headers)).status_code == 200
    assert (await client.post(USERS, json={}, headers=headers)).status_code in (403, 422)
    created = await client.post(
        USERS,
        headers=headers,
        json={
            "username": "x" + uuid.uuid4().hex[:8],
            "email": f"{uuid.uuid4().hex[:8]}@cxg.example",
            "full_name": "X",
            "password": "Str0ng-Passw0rd",
        },
    )
    assert created.status_code == 403

    # deactivating the role takes the permission away immediately
    await client.patch(f"{ROLES}/{role['id']}/status", json={"status": "INACTIVE"}, headers=auth)
    assert (await client.get(USERS, headers=headers)).status_code == 403
    await client.patch(f"{ROLES}/{role['id']}/status", json={"status": "ACTIVE"}, headers=auth)
    assert (await client.get(USERS, headers=headers)).status_code == 200
    # and so does removing the assignment
    await client.delete(
        f"/api/v1/manager/idam/user-roles/{link.json()['data']['id']}", headers=auth
    )
    assert (await client.get(USERS, headers=headers)).status_code == 403


async def test_other_processes_see_role_changes(client, auth, database_urls):
    """A second app (its own engines and cache, like another worker) is told by NOTIFY."""
    from runtime.app import create_app

    user = await make_user(client, auth, user_type="TENANT")
    headers = bearer((await login(client, user["username"], user["password"]))["access_token"])
    read = await permission_id(client, auth, "idam.users:read")
    code = "WORKER_" + uuid.uuid4().hex[:6].upper()
    await client.post(
        ROLES,
        headers=auth,
        json={"code": code, "name": code, "permissions": [{"permission_id": read}]},
    )
    role = (await client.get(ROLES, params={"search": code}, headers=auth)).json()["data"]
    role_id = role["items"][0]["id"]
    link = (
        await client.post(f"{USERS}/{user['id']}/roles", json={"role_id": role_id}, headers=auth)
    ).json()["data"]

    other = create_app()
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(transport=transport, base_url="http://worker2") as second:
            assert (await second.get(USERS, headers=headers)).status_code == 200  # cached now
            assert other.state.permission_caches["manager"].get(uuid.UUID(user["id"])) is not None
            await client.delete(f"/api/v1/manager/idam/user-roles/{link['id']}", headers=auth)
            for _ in range(50):  # the notification arrives asynchronously
                if other.state.permission_caches["manager"].get(uuid.UUID(user["id"])) is None:
                    break
                await asyncio.sleep(0.05)
            assert (await second.get(USERS, headers=headers)).status_code == 403
