"""Account safety: lockout after repeated failures, refresh-token rotation and reuse,
password change ending the other sessions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import create_async_engine

from tests.api.test_auth import AUTH, USERS, assert_401, bearer, make_user, query_manager
from tests.conftest import login


async def set_user(database_urls, user_id: str, **values) -> None:
    from generated.manager.models import metadata
    from runtime.data.db import async_url

    users = metadata.tables["idam.users"]
    engine = create_async_engine(async_url(database_urls["manager"]))
    try:
        async with engine.begin() as conn:
            await conn.execute(
                update(users).where(users.c.id == uuid.UUID(user_id)).values(**values)
            )
    finally:
        await engine.dispose()


async def test_lockout_after_five_failures_and_its_expiry(client, auth, database_urls):
    user = await make_user(client, auth, user_type="MASTER")
    wrong = {"username": user["username"], "password": "Wrong-Pass1"}
    right = {"username": user["username"], "password": user["password"]}
    for _ in range(4):
        assert_401(await client.post(f"{AUTH}/login", json=wrong))
    await login(client, user["username"], user["password"])  # success resets the count
    for _ in range(5):
        response = await client.post(f"{AUTH}/login", json=wrong)
        assert_401(response)
        assert response.json()["error"]["message"] == "사용자명 또는 비밀번호가 올바르지 않습니다."
    locked = await client.post(f"{AUTH}/login", json=right, headers={"Accept-Language": "en"})
    assert_401(locked)
    assert locked.json()["error"]["message"] == (
        "Too many failed logins: the account is locked for a while."
    )
    until = datetime.fromisoformat(locked.json()["error"]["detail"]["locked_until"])
    assert timedelta(minutes=14) < until - datetime.now(UTC) <= timedelta(minutes=15)
    logs = await query_manager(
        database_urls, "idam.login_logs", lambda t: [t.c.username == user["username"]]
    )
    assert [r["failure_reason"] for r in logs].count("LOCKED") == 1

    await set_user(database_urls, user["id"], locked_until=datetime.now(UTC) - timedelta(seconds=1))
    await login(client, user["username"], user["password"])  # the lock has run out


async def test_refresh_rotates_and_a_reused_token_ends_the_session(client, auth):
    user = await make_user(client, auth, user_type="MASTER")
    first = await login(client, user["username"], user["password"])
    second = await client.post(f"{AUTH}/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    rotated = second.json()["data"]
    third = await client.post(f"{AUTH}/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert third.status_code == 200

    reused = await client.post(f"{AUTH}/refresh", json={"refresh_token": first["refresh_token"]})
    assert_401(reused)
    assert reused.json()["error"]["message"] == "이미 사용된 갱신 토큰입니다. 다시 로그인하세요."
    # the whole session is over: its newest tokens are refused too
    latest = third.json()["data"]
    assert_401(await client.get(USERS, headers=bearer(latest["access_token"])))
    assert_401(
        await client.post(f"{AUTH}/refresh", json={"refresh_token": latest["refresh_token"]})
    )


async def test_password_change_ends_the_other_sessions(client, auth):
    user = await make_user(client, auth, user_type="MASTER")
    here = await login(client, user["username"], user["password"])
    elsewhere = await login(client, user["username"], user["password"])
    changed = await client.post(
        f"{AUTH}/change-password",
        headers=bearer(here["access_token"]),
        json={"current_password": user["password"], "new_password": "Changed-Pass7"},
    )
    assert changed.status_code == 200
    assert (await client.get(USERS, headers=bearer(here["access_token"]))).status_code == 200
    assert_401(await client.get(USERS, headers=bearer(elsewhere["access_token"])))
    assert_401(
        await client.post(f"{AUTH}/refresh", json={"refresh_token": elsewhere["refresh_token"]})
    )
