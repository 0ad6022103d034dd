"""Failed sign-ins are throttled per address and per address and account; nobody at another
address is affected, and the general anonymous budget does not reach sign-in."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.api.test_users_flow import new_user

LOGIN = "/api/v1/manager/auth/login"
USERS = "/api/v1/manager/idam/users"


@pytest.fixture
async def throttled(database_urls):
    """An app with small budgets, and a client at each of two addresses."""
    from runtime.app import create_app
    from runtime.settings import get_settings

    settings = get_settings().model_copy(
        update={
            "rate_limit_anonymous": 3,
            "login_failures_per_account": 3,
            "login_failures_per_address": 6,
        }
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        clients = [
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, client=(address, 1)),
                base_url="http://throttled",
            )
            for address in ("198.51.100.1", "198.51.100.2")
        ]
        yield clients
        for client in clients:
            await client.aclose()


async def account(client, auth) -> dict:
    body = new_user(user_type="MASTER")
    created = await client.post(USERS, json=body, headers=auth)
    assert created.status_code == 201, created.text
    return body


def login(client, username: str, password: str):
    return client.post(LOGIN, json={"username": username, "password": password})


async def test_anonymous_noise_does_not_use_up_sign_in(throttled, client, auth):
    here, _ = throttled
    body = await account(client, auth)
    for _ in range(5):  # over the anonymous budget of 3
        await here.get(USERS)
    assert (await here.get(USERS)).status_code == 429
    assert (await login(here, body["username"], body["password"])).status_code == 200


async def test_guessing_one_account_is_stopped_at_that_address_only(throttled, client, auth):
    here, there = throttled
    body = await account(client, auth)
    for _ in range(3):
        assert (await login(here, body["username"], "Wrong-Passw0rd")).status_code == 401
    stopped = await login(here, body["username"], body["password"])
    assert stopped.status_code == 429, stopped.text
    assert stopped.json()["error"]["code"] == "RATE_LIMITED"
    assert int(stopped.headers["retry-after"]) > 0
    assert (await login(there, body["username"], body["password"])).status_code == 200


async def test_trying_many_accounts_stops_that_address(throttled, client, auth):
    here, there = throttled
    body = await account(client, auth)
    for _ in range(6):
        unknown = "nobody" + uuid.uuid4().hex[:8]
        assert (await login(here, unknown, "Wrong-Passw0rd")).status_code == 401
    assert (await login(here, body["username"], body["password"])).status_code == 429
    assert (await login(there, body["username"], body["password"])).status_code == 200
