"""TOTP multi-factor authentication over HTTP on real PostgreSQL, for both systems: enrol,
confirm, sign in with password and code, replays, backup codes, lockout, disable."""

from __future__ import annotations

import httpx
import pyotp
import pytest

from tests.api.identity import (
    System,
    address,
    assert_error,
    bearer,
    code,
    steady,
)
from tests.conftest import _no_secrets_in_responses


@pytest.fixture(params=["manager", "tenants"])
def system(request, auth, tenant_a) -> System:
    if request.param == "manager":
        return System("manager", auth)
    return System("tenants", tenant_a["headers"], tenant_a)


@pytest.fixture
async def web(app):
    """A client at an address of its own: this test's failures throttle no other test."""
    transport = httpx.ASGITransport(app=app, client=address())
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://cxg.test",
        event_hooks={"response": [_no_secrets_in_responses]},
    ) as c:
        yield c


async def test_enrol_confirm_then_sign_in_with_password_and_code(web, system, database_urls):
    account = await system.account(web)
    first = bearer((await system.tokens(web, account))["access_token"])
    other = bearer((await system.tokens(web, account))["access_token"])

    enrol = await web.post(
        f"{system.auth}/mfa/enrol", json={"password": account.password}, headers=first
    )
    assert enrol.status_code == 200, enrol.text
    secret, uri = enrol.json()["data"]["secret"], enrol.json()["data"]["otpauth_uri"]
    parsed = pyotp.parse_uri(uri)
    assert parsed.secret == secret and parsed.name == account.username
    assert parsed.issuer.startswith("CXG") and len(secret) == 32
    status = (await web.get(f"{system.auth}/mfa", headers=first)).json()["data"]
    assert status == {"enabled": False, "pending": True, "required": False, "backup_codes_left": 0}
    # stored encrypted, never as typed
    (row,) = await system.rows(database_urls, "users", account)
    assert row["mfa_secret"] and secret not in row["mfa_secret"]
    from runtime.security import secretbox

    assert secretbox.decrypt(row["mfa_secret"]) == secret and row["mfa_enabled"] is False

    wrong = await web.post(f"{system.auth}/mfa/confirm", json={"code": "000000"}, headers=first)
    assert_error(wrong, 401, "MFA_CODE_INVALID")  # (unless 000000 is the code: 3 in a million)
    steady()
    confirmed = await web.post(
        f"{system.auth}/mfa/confirm", json={"code": code(secret)}, headers=first
    )
    assert confirmed.status_code == 200, confirmed.text
    codes = confirmed.json()["data"]["backup_codes"]
    assert len(codes) == len(set(codes)) == 10
    assert all(len(c) == 11 and c[5] == "-" for c in codes)
    # the session the code was shown in goes on; the one opened without a second factor ends
    assert (await web.get(f"{system.auth}/me", headers=first)).status_code == 200
    assert_error(await web.get(f"{system.auth}/me", headers=other), 401, "AUTHENTICATION_REQUIRED")
    me = (await web.get(f"{system.auth}/me", headers=first)).json()["data"]
    assert me["mfa_enabled"] is True and "mfa_secret" not in me

    challenge = await system.login(web, account)
    assert challenge.status_code == 200, challenge.text
    data = challenge.json()["data"]
    assert data["mfa_required"] is True and data["expires_in"] == 300
    assert "access_token" not in data and "refresh_token" not in data
    # the challenge is no token: it opens nothing
    assert_error(
        await web.get(f"{system.auth}/me", headers=bearer(data["mfa_token"])),
        401,
        "AUTHENTICATION_REQUIRED",
    )
    good = code(secret, +1)
    tokens = await system.verify(web, data["mfa_token"], code=good)
    assert tokens.status_code == 200, tokens.text
    pair = tokens.json()["data"]
    assert (
        await web.get(f"{system.auth}/me", headers=bearer(pair["access_token"]))
    ).status_code == 200
    refreshed = await web.post(
        f"{system.auth}/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text

    # the challenge worked once; the code works once too
    again = await system.verify(web, data["mfa_token"], code=code(secret, +1))
    assert_error(again, 401, "MFA_CHALLENGE_INVALID")
    replayed = await system.verify(web, await system.challenge(web, account), code=good)
    assert_error(replayed, 401, "MFA_CODE_REUSED")

    logged = await system.rows(database_urls, "login_logs", account)
    steps = [(r["attempt_type"], r["success"], r["failure_reason"]) for r in logged]
    for step in [
        ("MFA_ENROL", True, None),
        ("MFA_ENABLE", False, "BAD_MFA_CODE"),
        ("MFA_ENABLE", True, None),
        ("MFA_CHALLENGE", True, None),
        ("MFA_VERIFY", True, None),
        ("MFA_VERIFY", False, "REUSED_MFA_CODE"),
    ]:
        assert step in steps, (step, steps)
    audited = await system.rows(database_urls, "audt.audit_logs", account)
    assert {"MFA_ENROL", "MFA_ENABLE"} <= {r["action"] for r in audited}


async def test_a_backup_code_works_once_and_new_ones_replace_the_old(web, system, database_urls):
    account = await system.enrolled(web)
    assert account.backup_codes
    first, second, third = account.backup_codes[:3]
    # typed loosely: lower case, no dash
    tokens = await system.verify(
        web, await system.challenge(web, account), backup_code=first.lower().replace("-", "")
    )
    assert tokens.status_code == 200, tokens.text
    headers = bearer(tokens.json()["data"]["access_token"])
    used = await system.verify(web, await system.challenge(web, account), backup_code=first)
    assert_error(used, 401, "MFA_CODE_REUSED")
    status = (await web.get(f"{system.auth}/mfa", headers=headers)).json()["data"]
    assert status["enabled"] is True and status["backup_codes_left"] == 9

    renewed = await web.post(
        f"{system.auth}/mfa/backup-codes",
        json={"password": account.password, "backup_code": second},
        headers=headers,
    )
    assert renewed.status_code == 200, renewed.text
    fresh = renewed.json()["data"]["backup_codes"]
    assert len(fresh) == 10 and not set(fresh) & set(account.backup_codes)
    stale = await system.verify(web, await system.challenge(web, account), backup_code=third)
    assert_error(stale, 401, "MFA_CODE_INVALID")
    works = await system.verify(web, await system.challenge(web, account), backup_code=fresh[0])
    assert works.status_code == 200, works.text
    stored = await system.rows(database_urls, "mfa_backup_codes", account)
    assert len(stored) == 10 and not any(r["code_hash"] in fresh for r in stored)
    audited = await system.rows(database_urls, "audt.audit_logs", account)
    assert "MFA_BACKUP_CODES" in {r["action"] for r in audited}


async def test_wrong_codes_lock_the_account_like_wrong_passwords(web, system, database_urls):
    account = await system.enrolled(web)
    assert account.secret
    for _ in range(3):
        wrong = await system.verify(web, await system.challenge(web, account), code="000001")
        assert_error(wrong, 401, "MFA_CODE_INVALID")
    # the password step of an MFA account does not clear the count: two more and it locks
    token = await system.challenge(web, account)
    assert_error(await system.verify(web, token, code="000002"), 401, "MFA_CODE_INVALID")
    assert_error(await system.verify(web, token, code="000003"), 401, "MFA_CODE_INVALID")
    locked = await system.verify(web, token, code=code(account.secret, +1))
    error = assert_error(locked, 401, "AUTHENTICATION_REQUIRED")
    assert "locked_until" in error["detail"]
    by_password = await system.login(web, account)
    assert "locked_until" in assert_error(by_password, 401, "AUTHENTICATION_REQUIRED")["detail"]
    (row,) = await system.rows(database_urls, "users", account)
    assert row["locked_until"] is not None
    reasons = [r["failure_reason"] for r in await system.rows(database_urls, "login_logs", account)]
    assert reasons.count("BAD_MFA_CODE") == 5 and "LOCKED" in reasons


async def test_disable_needs_the_password_and_a_code(web, system, database_urls):
    account = await system.enrolled(web)
    assert account.secret and account.backup_codes
    steady()
    tokens = await system.verify(
        web, await system.challenge(web, account), code=code(account.secret, +1)
    )
    headers = bearer(tokens.json()["data"]["access_token"])
    disable = f"{system.auth}/mfa/disable"
    no_code = await web.post(disable, json={"password": account.password}, headers=headers)
    assert_error(no_code, 422, "VALIDATION_ERROR")
    wrong_password = await web.post(
        disable,
        json={"password": "Wr0ng-Password", "backup_code": account.backup_codes[0]},
        headers=headers,
    )
    assert_error(wrong_password, 401, "AUTHENTICATION_REQUIRED")
    wrong_code = await web.post(
        disable, json={"password": account.password, "code": "999999"}, headers=headers
    )
    assert_error(wrong_code, 401, "MFA_CODE_INVALID")
    off = await web.post(
        disable,
        json={"password": account.password, "backup_code": account.backup_codes[0]},
        headers=headers,
    )
    assert off.status_code == 200, off.text
    assert off.json()["data"]["enabled"] is False
    # a plain sign-in again; nothing of the old factor is kept
    assert "access_token" in await system.tokens(web, account)
    (row,) = await system.rows(database_urls, "users", account)
    assert row["mfa_enabled"] is False and row["mfa_secret"] is None
    assert await system.rows(database_urls, "mfa_backup_codes", account) == []
    again = await web.post(
        disable, json={"password": account.password, "code": "123456"}, headers=headers
    )
    assert assert_error(again, 409, "MFA_STATE_CONFLICT")["detail"] == {"mfa": "not_enabled"}
    audited = await system.rows(database_urls, "audt.audit_logs", account)
    assert "MFA_DISABLE" in {r["action"] for r in audited}


async def test_enrolment_needs_the_password_and_confirming_needs_an_enrolment(web, system):
    account = await system.account(web)
    headers = bearer((await system.tokens(web, account))["access_token"])
    enrol = f"{system.auth}/mfa/enrol"
    assert_error(await web.post(enrol, json={}, headers=headers), 401, "AUTHENTICATION_REQUIRED")
    assert_error(
        await web.post(enrol, json={"password": "Wr0ng-Password"}, headers=headers),
        401,
        "AUTHENTICATION_REQUIRED",
    )
    nothing = await web.post(f"{system.auth}/mfa/confirm", json={"code": "123456"}, headers=headers)
    assert assert_error(nothing, 409, "MFA_STATE_CONFLICT")["detail"] == {"mfa": "not_enrolled"}
    # a second enrolment before confirming replaces the first secret
    one = (await web.post(enrol, json={"password": account.password}, headers=headers)).json()
    two = (await web.post(enrol, json={"password": account.password}, headers=headers)).json()
    assert one["data"]["secret"] != two["data"]["secret"]
    stale = await web.post(
        f"{system.auth}/mfa/confirm", json={"code": code(one["data"]["secret"])}, headers=headers
    )
    assert_error(stale, 401, "MFA_CODE_INVALID")
    ok = await web.post(
        f"{system.auth}/mfa/confirm", json={"code": code(two["data"]["secret"])}, headers=headers
    )
    assert ok.status_code == 200, ok.text
    enabled = await web.post(enrol, json={"password": account.password}, headers=headers)
    assert assert_error(enabled, 409, "MFA_STATE_CONFLICT")["detail"] == {"mfa": "enabled"}


async def test_a_challenge_belongs_to_its_system(web, auth, tenant_a):
    manager, tenant = System("manager", auth), System("tenants", tenant_a["headers"], tenant_a)
    account = await manager.enrolled(web)
    token = await manager.challenge(web, account)
    assert_error(await tenant.verify(web, token, code="123456"), 401, "MFA_CHALLENGE_INVALID")
    assert_error(
        await manager.verify(web, token + "x", code="123456"), 401, "MFA_CHALLENGE_INVALID"
    )


async def test_a_code_is_good_for_one_step_either_side_and_after_the_last_used(web, auth):
    manager = System("manager", auth)
    steady(8)  # the whole test within one time step: the enrolment spends the code of now
    account = await manager.enrolled(web)
    assert account.secret
    secret = account.secret
    for offset, refused in (
        (-2, "MFA_CODE_INVALID"),
        (+2, "MFA_CODE_INVALID"),
        (-1, "MFA_CODE_REUSED"),
    ):
        answer = await manager.verify(
            web, await manager.challenge(web, account), code=code(secret, offset)
        )
        assert_error(answer, 401, refused)
    good = await manager.verify(web, await manager.challenge(web, account), code=code(secret, +1))
    assert good.status_code == 200, good.text
