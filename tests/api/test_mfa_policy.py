"""MFA required by policy: the manager system's setting for MASTER accounts, a tenant's
`auth.mfa_required` setting for its administrators or everyone. An account under a policy
without MFA gets a token that reaches the enrolment endpoints only, on the routers and on the
hot path alike, until it enrols."""

from __future__ import annotations

import httpx
import pytest

from tests.api.identity import Account, System, address, assert_error, bearer, code, steady
from tests.conftest import _no_secrets_in_responses

SETTINGS = "/api/v1/tenants/adm/settings"
CUSTOMERS = "/api/v1/tenants/crm/customers"
USERS = "/api/v1/manager/idam/users"


@pytest.fixture
async def masters_app(database_urls):
    """An app of its own, whose settings the test turns the MASTER policy on in."""
    from runtime.app import create_app
    from runtime.settings import get_settings

    app = create_app(get_settings().model_copy(update={"mfa_required_for_masters": False}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=address())
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://policy",
            event_hooks={"response": [_no_secrets_in_responses]},
        ) as client:
            yield app, client


@pytest.fixture
async def web(app):
    transport = httpx.ASGITransport(app=app, client=address())
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://cxg.test",
        event_hooks={"response": [_no_secrets_in_responses]},
    ) as c:
        yield c


async def enrol_under_policy(
    web: httpx.AsyncClient, system: System, account: Account, limited: dict[str, str]
) -> dict:
    """Enrol with the token that can only enrol; the full token pair the confirmation gives."""
    enrol = await web.post(
        f"{system.auth}/mfa/enrol", json={"password": account.password}, headers=limited
    )
    assert enrol.status_code == 200, enrol.text
    steady()
    confirmed = await web.post(
        f"{system.auth}/mfa/confirm",
        json={"code": code(enrol.json()["data"]["secret"])},
        headers=limited,
    )
    assert confirmed.status_code == 200, confirmed.text
    tokens = confirmed.json()["data"]["tokens"]
    assert tokens and tokens["access_token"] and tokens["refresh_token"]
    return tokens


async def test_masters_must_enrol_when_the_manager_system_requires_it(masters_app, auth):
    app, web = masters_app
    manager = System("manager", auth)
    master = await manager.account(web, user_type="MASTER")
    plain = await manager.account(web)  # not a MASTER: the policy is not about it
    before = await manager.tokens(web, master)
    full = bearer(before["access_token"])
    assert (await web.get(USERS, headers=full)).status_code == 200  # its caches are warm now

    app.state.settings.mfa_required_for_masters = True
    assert "access_token" in await manager.tokens(web, plain)
    answer = await manager.login(web, master)
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert data["mfa_enrolment_required"] is True and "refresh_token" not in data
    limited = bearer(data["access_token"])

    # only enrolment reaches: a hot read (its caches warm), a router, another auth endpoint
    for method, path in (
        ("GET", USERS),
        ("GET", f"{USERS}/{master.id}"),
        ("POST", "/api/v1/manager/tenants"),
        ("GET", "/api/v1/manager/auth/me"),
        ("POST", "/api/v1/manager/auth/api-keys"),
    ):
        refused = await web.request(method, path, json={}, headers=limited)
        assert_error(refused, 403, "MFA_ENROLMENT_REQUIRED")
    assert (await web.get(USERS, headers=full)).status_code == 200  # the old token, still
    status = await web.get(f"{manager.auth}/mfa", headers=limited)
    assert status.json()["data"]["required"] is True and status.json()["data"]["enabled"] is False
    # a session from before the policy is not renewed
    renewed = await web.post(
        f"{manager.auth}/refresh", json={"refresh_token": before["refresh_token"]}
    )
    assert_error(renewed, 403, "MFA_ENROLMENT_REQUIRED")

    tokens = await enrol_under_policy(web, manager, master, limited)
    assert (await web.get(USERS, headers=bearer(tokens["access_token"]))).status_code == 200
    assert_error(await web.get(USERS, headers=limited), 403, "MFA_ENROLMENT_REQUIRED")
    assert (
        await web.post(f"{manager.auth}/refresh", json={"refresh_token": tokens["refresh_token"]})
    ).status_code == 200
    # from now on the account signs in with its code, and cannot turn MFA off
    assert (await manager.login(web, master)).json()["data"]["mfa_required"] is True
    off = await web.post(
        f"{manager.auth}/mfa/disable",
        json={"password": master.password, "code": "123456"},
        headers=bearer(tokens["access_token"]),
    )
    assert_error(off, 403, "MFA_REQUIRED_BY_POLICY")


async def test_logout_ends_a_session_that_could_only_enrol(masters_app, auth):
    app, web = masters_app
    app.state.settings.mfa_required_for_masters = True
    manager = System("manager", auth)
    master = await manager.account(web, user_type="MASTER")
    limited = bearer((await manager.login(web, master)).json()["data"]["access_token"])
    assert (await web.post(f"{manager.auth}/logout", headers=limited)).status_code == 200
    gone = await web.post(
        f"{manager.auth}/mfa/enrol", json={"password": master.password}, headers=limited
    )
    assert_error(gone, 401, "AUTHENTICATION_REQUIRED")


async def test_a_tenant_requires_mfa_of_its_administrators_then_of_everyone(
    web, client, long_way, auth, database_urls
):
    from tests.conftest import new_tenant

    tenant = await new_tenant(client, auth)
    system = System("tenants", tenant["headers"], tenant)
    admin = await system.account(web, user_type="ADMIN")
    user = await system.account(web, user_type="USER")
    roles = await client.post(
        "/api/v1/tenants/adm/roles",
        json={"code": "READER", "name": "Reader", "permissions": ["crm.customers:read"]},
        headers=tenant["headers"],
    )
    assert roles.status_code == 201, roles.text
    granted = await client.post(
        "/api/v1/tenants/adm/user-roles",
        json={"user_id": user.id, "role_id": roles.json()["data"]["id"]},
        headers=tenant["headers"],
    )
    assert granted.status_code == 201, granted.text
    before = bearer((await system.tokens(web, user))["access_token"])
    assert (await web.get(CUSTOMERS, headers=before)).status_code == 200  # caches warm

    bad = await client.post(
        SETTINGS,
        json={"setting_key": "auth.mfa_required", "setting_value": "SOMETIMES"},
        headers=tenant["headers"],
    )
    assert_error(bad, 422, "VALIDATION_ERROR")
    made = await client.post(
        SETTINGS,
        json={"setting_key": "auth.mfa_required", "setting_value": "ADMINS"},
        headers=tenant["headers"],
    )
    assert made.status_code == 201, made.text
    assert "access_token" in await system.tokens(web, user)  # a USER is not an administrator
    admin_answer = (await system.login(web, admin)).json()["data"]
    assert admin_answer["mfa_enrolment_required"] is True

    wrong = await client.patch(
        f"{SETTINGS}/{made.json()['data']['id']}",
        json={"setting_value": "everyone"},
        headers=tenant["headers"],
    )
    assert_error(wrong, 422, "VALIDATION_ERROR")
    everyone = await client.patch(
        f"{SETTINGS}/{made.json()['data']['id']}",
        json={"setting_value": "ALL"},
        headers=tenant["headers"],
    )
    assert everyone.status_code == 200, everyone.text
    answer = (await system.login(web, user)).json()["data"]
    assert answer["mfa_enrolment_required"] is True
    limited = bearer(answer["access_token"])
    # neither the hot path (this user's caches are warm) nor the routers answer for it
    for reader in (web, long_way):
        assert_error(await reader.get(CUSTOMERS, headers=limited), 403, "MFA_ENROLMENT_REQUIRED")
    assert (await web.get(CUSTOMERS, headers=before)).status_code == 200

    tokens = await enrol_under_policy(web, system, user, limited)
    assert (await web.get(CUSTOMERS, headers=bearer(tokens["access_token"]))).status_code == 200
    logged = await system.rows(database_urls, "login_logs", user)
    assert ("MFA_ENABLE", True) in {(r["attempt_type"], r["success"]) for r in logged}
