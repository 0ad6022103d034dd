"""API keys: shown once, stored as a digest, scoped, expiring, revocable."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from tests.api.test_auth import AUTH, USERS, assert_401, bearer, make_user, query_manager
from tests.conftest import login

KEYS = "/api/v1/manager/idam/api-keys"


async def issue(client, headers, **body) -> dict:
    payload = {"name": "robot", "scopes": ["idam.users:read"], **body}
    response = await client.post(f"{AUTH}/api-keys", json=payload, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def test_key_is_shown_once_and_stored_as_a_digest(client, auth, database_urls):
    issued = await issue(client, auth)
    assert issued["key"].startswith(f"cxg_{issued['key_prefix']}_")
    rows = await query_manager(
        database_urls, "idam.api_keys", lambda t: [t.c.key_prefix == issued["key_prefix"]]
    )
    assert rows[0]["key_hash"] == hashlib.sha256(issued["key"].encode()).hexdigest()
    assert issued["key"] not in repr(rows)
    listed = await client.get(KEYS, params={"search": issued["key_prefix"]}, headers=auth)
    item = listed.json()["data"]["items"][0]
    assert item["key_prefix"] == issued["key_prefix"] and "key" not in item
    assert "key_hash" not in item


async def test_key_authenticates_within_its_scopes(client, auth):
    issued = await issue(client, auth, scopes=["idam.users:read"])
    machine = {"X-API-Key": issued["key"]}
    assert (await client.get(USERS, headers=machine)).status_code == 200
    denied = await client.get("/api/v1/manager/idam/roles", headers=machine)
    assert denied.status_code == 403
    assert denied.json()["error"]["detail"] == {"permission": "idam.roles:read"}
    no_keys = await client.post(
        f"{AUTH}/api-keys", headers=machine, json={"name": "x", "scopes": ["idam.users:read"]}
    )
    assert no_keys.status_code == 403


async def test_revoked_expired_and_wrong_keys_fail(client, auth, database_urls):
    issued = await issue(client, auth)
    machine = {"X-API-Key": issued["key"]}
    assert (await client.get(USERS, headers=machine)).status_code == 200
    revoked = await client.patch(
        f"{KEYS}/{issued['id']}/status", json={"status": "REVOKED"}, headers=auth
    )
    assert revoked.status_code == 200
    assert_401(await client.get(USERS, headers=machine))

    soon = datetime.now(UTC) + timedelta(seconds=2)
    short = await issue(client, auth, expires_at=soon.isoformat())
    from sqlalchemy import update
    from sqlalchemy.ext.asyncio import create_async_engine

    from generated.manager.models import metadata
    from runtime.data.db import async_url

    keys = metadata.tables["idam.api_keys"]
    engine = create_async_engine(async_url(database_urls["manager"]))
    async with engine.begin() as conn:  # let it expire without waiting
        await conn.execute(
            update(keys)
            .where(keys.c.id == short["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    await engine.dispose()
    response = await client.get(USERS, headers={"X-API-Key": short["key"]})
    assert_401(response)
    assert "API" in response.json()["error"]["message"]

    assert_401(await client.get(USERS, headers={"X-API-Key": issued["key"] + "x"}))
    assert_401(await client.get(USERS, headers={"X-API-Key": "cxg_nothing_here"}))


async def test_scopes_cannot_exceed_the_callers_permissions(client, auth):
    user = await make_user(client, auth, user_type="TENANT")
    headers = bearer((await login(client, user["username"], user["password"]))["access_token"])
    refused = await client.post(
        f"{AUTH}/api-keys", headers=headers, json={"name": "x", "scopes": ["idam.users:read"]}
    )
    assert refused.status_code == 422
    assert "not a permission you hold" in refused.json()["error"]["detail"][0]["message"]
    unknown = await client.post(
        f"{AUTH}/api-keys", headers=auth, json={"name": "x", "scopes": ["nope.nothing:read"]}
    )
    assert unknown.status_code == 422
    past = await client.post(
        f"{AUTH}/api-keys",
        headers=auth,
        json={
            "name": "x",
            "scopes": ["idam.users:read"],
            "expires_at": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
        },
    )
    assert past.status_code == 422
