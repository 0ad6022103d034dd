"""Manager sign-in over HTTP: tokens, sessions, logout, passwords, registration."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import jwt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from tests.api.test_users_flow import USERS, assert_envelope, new_user
from tests.conftest import login

AUTH = "/api/v1/manager/auth"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def make_user(client, auth, **overrides) -> dict:
    body = new_user(**overrides)
    response = await client.post(USERS, json=body, headers=auth)
    assert response.status_code == 201, response.text
    return {**body, "id": response.json()["data"]["id"]}


async def query_manager(database_urls, table: str, where=None):
    from generated.manager.models import metadata
    from runtime.data.db import async_url

    t = metadata.tables[table]
    engine = create_async_engine(async_url(database_urls["manager"]))
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(t).where(*where(t)) if where else select(t))
            return [dict(r._mapping) for r in rows]
    finally:
        await engine.dispose()


def tokens_session(tokens: dict) -> str:
    return jwt.decode(tokens["access_token"], options={"verify_signature": False})["sid"]


def assert_401(response) -> None:
    assert response.status_code == 401, response.text
    assert_envelope(response.json(), success=False)
    assert response.json()["error"]["code"] == "AUTHENTICATION_REQUIRED"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_login_returns_tokens_and_me_hides_password(client, auth):
    user = await make_user(client, auth, user_type="MASTER")
    tokens = await login(client, user["username"], user["password"])
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 30 * 60
    me = await client.get(f"{AUTH}/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.json()["data"]["username"] == user["username"]
    assert "password" not in me.json()["data"] and "mfa_secret" not in me.json()["data"]
    assert "$2b$" not in me.text


async def test_passwords_are_bcrypt_12_rounds(client, auth, database_urls, monkeypatch):
    # the suite hashes at bcrypt's cheapest cost (tests/database.py); this user is made at the
    # cost a deployment gets when it sets nothing
    from runtime.settings import get_settings

    monkeypatch.delenv("CXG_BCRYPT_ROUNDS")
    get_settings.cache_clear()
    try:
        user = await make_user(client, auth)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    rows = await query_manager(
        database_urls, "idam.users", lambda t: [t.c.id == uuid.UUID(user["id"])]
    )
    assert rows[0]["password"].startswith("$2b$12$")
    assert user["password"] not in rows[0]["password"]


async def test_wrong_password_and_unknown_user_look_the_same(client, auth, database_urls):
    user = await make_user(client, auth)
    wrong = await client.post(
        f"{AUTH}/login", json={"username": user["username"], "password": "Wrong-Pass1"}
    )
    unknown = await client.post(
        f"{AUTH}/login",
        json={"username": "nobody_" + uuid.uuid4().hex[:6], "password": "Wrong-Pass1"},
    )
    assert_401(wrong)
    assert_401(unknown)
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]
    logs = await query_manager(
        database_urls, "idam.login_logs", lambda t: [t.c.username == user["username"]]
    )
    assert [(r["success"], r["failure_reason"]) for r in logs] == [(False, "BAD_PASSWORD")]


async def test_missing_tampered_expired_and_wrong_type_tokens(client, auth, admin_tokens):
    assert_401(await client.get(USERS))
    assert_401(await client.get(USERS, headers={"Authorization": "Basic abc"}))
    assert_401(await client.get(USERS, headers=bearer("not.a.jwt")))

    access = admin_tokens["access_token"]
    header, payload, signature = access.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    assert_401(await client.get(USERS, headers=bearer(tampered)))

    claims = jwt.decode(access, options={"verify_signature": False})
    forged = jwt.encode(
        {**claims, "typ": "access"}, "not-the-secret-but-long-enough-for-hs256", algorithm="HS256"
    )
    assert_401(await client.get(USERS, headers=bearer(forged)))
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert_401(await client.get(USERS, headers=bearer(unsigned)))

    from runtime.security.credentials import ACCESS, create_token

    expired = create_token(
        subject=uuid.UUID(claims["sub"]),
        token_type=ACCESS,
        session_id=uuid.UUID(claims["sid"]),
        system="manager",
        now=datetime.now(UTC) - timedelta(hours=2),
    )
    response = await client.get(USERS, headers=bearer(expired))
    assert_401(response)

    # a refresh token is not an access token, and an access token does not refresh
    assert_401(await client.get(USERS, headers=bearer(admin_tokens["refresh_token"])))
    assert_401(await client.post(f"{AUTH}/refresh", json={"refresh_token": access}))

    # a token of the other system is refused
    tenant_token = create_token(
        subject=uuid.UUID(claims["sub"]),
        token_type=ACCESS,
        session_id=uuid.UUID(claims["sid"]),
        system="tenant",
        extra={"tid": str(uuid.uuid4())},
    )
    assert_401(await client.get(USERS, headers=bearer(tenant_token)))


async def test_refresh_issues_working_tokens(client, auth):
    user = await make_user(client, auth, user_type="MASTER")
    tokens = await login(client, user["username"], user["password"])
    refreshed = await client.post(
        f"{AUTH}/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    new = refreshed.json()["data"]
    assert new["access_token"] != tokens["access_token"]
    assert (await client.get(USERS, headers=bearer(new["access_token"]))).status_code == 200


async def test_logout_revokes_access_and_refresh_tokens(client, auth):
    user = await make_user(client, auth, user_type="MASTER")
    tokens = await login(client, user["username"], user["password"])
    other = await login(client, user["username"], user["password"])  # a second session
    headers = bearer(tokens["access_token"])
    assert (await client.get(USERS, headers=headers)).status_code == 200
    out = await client.post(f"{AUTH}/logout", headers=headers)
    assert out.status_code == 200, out.text
    assert_401(await client.get(USERS, headers=headers))
    assert_401(await client.get(f"{AUTH}/me", headers=headers))
    assert_401(
        await client.post(f"{AUTH}/refresh", json={"refresh_token": tokens["refresh_token"]})
    )
    audit = await client.get(
        "/api/v1/manager/audt/audit-logs",
        headers=auth,
        params={"entity_id": tokens_session(tokens), "action": "LOGOUT"},
    )
    assert [r["username"] for r in audit.json()["data"]["items"]] == [user["username"]]
    # only that session ends
    assert (await client.get(USERS, headers=bearer(other["access_token"]))).status_code == 200


async def test_inactive_or_deleted_users_lose_access(client, auth):
    user = await make_user(client, auth, user_type="MASTER")
    tokens = await login(client, user["username"], user["password"])
    headers = bearer(tokens["access_token"])
    await client.patch(f"{USERS}/{user['id']}/status", json={"status": "SUSPENDED"}, headers=auth)
    assert_401(await client.get(USERS, headers=headers))
    refused = await client.post(
        f"{AUTH}/login", json={"username": user["username"], "password": user["password"]}
    )
    assert_401(refused)
    await client.patch(f"{USERS}/{user['id']}/status", json={"status": "ACTIVE"}, headers=auth)
    assert (await client.get(USERS, headers=headers)).status_code == 200
    await client.delete(f"{USERS}/{user['id']}", headers=auth)
    assert_401(await client.get(USERS, headers=headers))


async def test_change_password(client, auth):
    user = await make_user(client, auth)
    tokens = await login(client, user["username"], user["password"])
    headers = bearer(tokens["access_token"])
    wrong = await client.post(
        f"{AUTH}/change-password",
        headers=headers,
        json={"current_password": "Nope-Nope1", "new_password": "Brand-New-Pass9"},
    )
    assert_401(wrong)
    weak = await client.post(
        f"{AUTH}/change-password",
        headers=headers,
        json={"current_password": user["password"], "new_password": "short"},
    )
    assert weak.status_code == 422
    assert weak.json()["error"]["detail"][0]["field"] == "new_password"
    done = await client.post(
        f"{AUTH}/change-password",
        headers=headers,
        json={"current_password": user["password"], "new_password": "Brand-New-Pass9"},
    )
    assert done.status_code == 200, done.text
    assert_401(
        await client.post(
            f"{AUTH}/login", json={"username": user["username"], "password": user["password"]}
        )
    )
    await login(client, user["username"], "Brand-New-Pass9")


async def test_register_cannot_make_an_administrator(client):
    tag = uuid.uuid4().hex[:8]
    body = {
        "username": f"reg_{tag}",
        "email": f"reg_{tag}@cxg.example",
        "full_name": "Reg",
        "password": "Regist3r-Pass",
        "user_type": "MASTER",
        "status": "ACTIVE",
        "role_id": str(uuid.uuid4()),
    }
    refused = await client.post(f"{AUTH}/register", json=body)
    assert refused.status_code == 422, refused.text  # nothing a registrant may not choose
    assert {d["field"] for d in refused.json()["error"]["detail"]} == {
        "user_type",
        "status",
        "role_id",
    }
    for key in ("user_type", "status", "role_id"):
        body.pop(key)
    created = await client.post(f"{AUTH}/register", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["data"]["user_type"] == "TENANT"
    assert "password" not in created.json()["data"]
    tokens = await login(client, body["username"], body["password"])
    denied = await client.get(USERS, headers=bearer(tokens["access_token"]))
    assert denied.status_code == 403
    assert_envelope(denied.json(), success=False)
    assert denied.json()["error"]["code"] == "PERMISSION_DENIED"
    again = await client.post(f"{AUTH}/register", json=body)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "RESOURCE_ALREADY_EXISTS"


async def test_72_byte_rule(client, auth):
    at_limit = "Aa1" + "b" * 69  # exactly 72 bytes
    over = "Aa1" + "가" * 24  # 3 + 72 bytes
    assert len(at_limit.encode()) == 72 and len(over.encode()) == 75
    ok_user = await make_user(client, auth, password=at_limit)
    await login(client, ok_user["username"], at_limit)
    # the 73rd byte matters: no truncation, so a longer variant is a different password
    assert_401(
        await client.post(
            f"{AUTH}/login", json={"username": ok_user["username"], "password": at_limit + "c"}
        )
    )
    refused = await client.post(USERS, json=new_user(password=over), headers=auth)
    assert refused.status_code == 422
    assert "72 bytes" in refused.json()["error"]["detail"][0]["message"]


async def test_messages_follow_accept_language(client):
    ko = await client.get(USERS)
    en = await client.get(USERS, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert ko.json()["error"]["message"] == "인증 토큰이 필요합니다."
    assert en.json()["error"]["message"] == "An access token is required."


def test_create_admin_command(database_urls):
    env = {
        **os.environ,
        "CXG_MANAGER_DATABASE_URL": database_urls["manager"],
        "CXG_TENANT_DATABASE_URL": database_urls["tenant"],
    }
    cli = [sys.executable, "-m", "generator.cli", "create-admin"]
    name = "boss_" + uuid.uuid4().hex[:6]
    args = ["--username", name, "--email", f"{name}@cxg.example", "--password-stdin"]
    weak = subprocess.run(cli + args, input="weak\n", capture_output=True, text=True, env=env)
    assert weak.returncode == 2 and "weak password" in weak.stderr
    made = subprocess.run(
        cli + args, input="Boss-Passw0rd\n", capture_output=True, text=True, env=env
    )
    assert made.returncode == 0, made.stderr
    assert f"created MASTER administrator '{name}'" in made.stderr
    twice = subprocess.run(
        cli + args, input="Boss-Passw0rd\n", capture_output=True, text=True, env=env
    )
    assert twice.returncode == 1 and "already exists" in twice.stderr
    no_password = subprocess.run(
        cli + ["--username", "x_" + name, "--email", "x@cxg.example"],
        capture_output=True,
        text=True,
        env={k: v for k, v in env.items() if k != "CXG_ADMIN_PASSWORD"},
        stdin=subprocess.DEVNULL,
    )
    assert no_password.returncode == 2


async def test_created_admin_can_sign_in(client, admin):
    tokens = await login(client, admin["username"], admin["password"])
    me = await client.get(f"{AUTH}/me", headers=bearer(tokens["access_token"]))
    assert me.json()["data"]["user_type"] == "MASTER"
