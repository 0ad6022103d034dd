"""The manager system keeps an administrator. Run on databases of their own, where the
number of MASTER users is known (the shared ones collect them from every test)."""

from __future__ import annotations

import httpx
import pytest

from tests.api.test_auth import new_user
from tests.conftest import login
from tests.database import databases_at_head, run_sync

USERS = "/api/v1/manager/idam/users"


@pytest.fixture(scope="module")
def own_urls(tmp_path_factory, database_urls):
    from runtime.cli import _insert_admin
    from runtime.data.db import async_url

    with databases_at_head(tmp_path_factory.mktemp("masters")) as urls:
        run_sync(
            _insert_admin(
                async_url(urls["manager"]), "root", "root@cxg.example", "Root", "Root-Passw0rd"
            )
        )
        yield urls


@pytest.fixture(scope="module")
async def own(own_urls):
    from runtime.app import create_app
    from runtime.settings import get_settings

    settings = get_settings().model_copy(
        update={
            "manager_database_url": own_urls["manager"],
            "tenant_database_url": own_urls["tenant"],
        }
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.5", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://own") as client:
            tokens = await login(client, "root", "Root-Passw0rd")
            root = {"Authorization": f"Bearer {tokens['access_token']}"}
            me = (await client.get("/api/v1/manager/auth/me", headers=root)).json()["data"]
            yield client, root, me["id"]


def assert_conflict(response, words: str) -> None:
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "CONFLICT"
    assert words in response.json()["error"]["message"]


async def make(client, headers, **overrides) -> tuple[dict, dict]:
    body = new_user(**overrides)
    created = await client.post(USERS, json=body, headers=headers)
    assert created.status_code == 201, created.text
    tokens = await login(client, body["username"], body["password"])
    return created.json()["data"], {"Authorization": f"Bearer {tokens['access_token']}"}


async def test_nobody_suspends_or_deletes_their_own_account(own):
    client, root, root_id = own
    en = {**root, "Accept-Language": "en"}
    assert_conflict(
        await client.patch(f"{USERS}/{root_id}/status", json={"status": "SUSPENDED"}, headers=en),
        "your own account",
    )
    assert_conflict(await client.delete(f"{USERS}/{root_id}", headers=en), "your own account")
    assert (await client.get("/api/v1/manager/auth/me", headers=root)).status_code == 200


async def test_the_last_active_master_stays(own):
    client, root, root_id = own
    en = {**root, "Accept-Language": "en"}
    second, second_headers = await make(client, root, user_type="MASTER")
    # two masters: the root may suspend the other one, and bring it back
    url = f"{USERS}/{second['id']}/status"
    assert (await client.patch(url, json={"status": "SUSPENDED"}, headers=root)).status_code == 200
    assert (await client.patch(url, json={"status": "ACTIVE"}, headers=root)).status_code == 200
    # with two masters, one of them may be demoted (and promoted again)
    demote = await client.patch(
        f"{USERS}/{root_id}", json={"user_type": "TENANT"}, headers=second_headers
    )
    assert demote.status_code == 200, demote.text  # two masters: one may go
    restore = await client.patch(
        f"{USERS}/{root_id}", json={"user_type": "MASTER"}, headers=second_headers
    )
    assert restore.status_code == 200, restore.text
    assert (await client.delete(f"{USERS}/{second['id']}", headers=root)).status_code == 200
    # now the root is the only active MASTER: nobody may demote, suspend or delete it
    assert_conflict(
        await client.patch(f"{USERS}/{root_id}", json={"user_type": "TENANT"}, headers=en),
        "last active MASTER",
    )


async def test_an_operator_with_every_user_permission_cannot_remove_the_last_master(own):
    """Not only the MASTER itself: a SYSTEM user granted status, update and delete on users
    cannot suspend, demote or delete the last active MASTER either."""
    from tests.api.test_permissions import ROLES, permission_id

    client, root, root_id = own
    operator, operator_headers = await make(client, root, user_type="SYSTEM")
    grants = [
        {"permission_id": await permission_id(client, root, code)}
        for code in (
            "idam.users:read",
            "idam.users:update",
            "idam.users:status",
            "idam.users:delete",
        )
    ]
    role = await client.post(
        ROLES,
        json={"code": "USER_ADMIN", "name": "User admin", "permissions": grants},
        headers=root,
    )
    assert role.status_code == 201, role.text
    link = await client.post(
        f"{USERS}/{operator['id']}/roles", json={"role_id": role.json()["data"]["id"]}, headers=root
    )
    assert link.status_code == 201, link.text
    en = {**operator_headers, "Accept-Language": "en"}
    # the grant works on ordinary users ...
    someone, _ = await make(client, root, user_type="TENANT")
    suspended = await client.patch(
        f"{USERS}/{someone['id']}/status", json={"status": "SUSPENDED"}, headers=en
    )
    assert suspended.status_code == 200, suspended.text
    # ... and stops at the last MASTER
    assert_conflict(
        await client.patch(f"{USERS}/{root_id}/status", json={"status": "SUSPENDED"}, headers=en),
        "last active MASTER",
    )
    assert_conflict(
        await client.patch(f"{USERS}/{root_id}", json={"user_type": "SYSTEM"}, headers=en),
        "last active MASTER",
    )
    assert_conflict(await client.delete(f"{USERS}/{root_id}", headers=en), "last active MASTER")
    assert (await client.get("/api/v1/manager/auth/me", headers=root)).status_code == 200
