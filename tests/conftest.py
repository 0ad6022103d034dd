"""Shared fixtures: real PostgreSQL, the real app over HTTP, a MASTER administrator; and how the
suite runs (tests/running.py: parallel workers, the order of the files, the smoke selection)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.database import databases_at_head, run_sync, use_databases

pytest_plugins = ["tests.running"]  # how the suite runs: workers, order, smoke, summary

ADMIN_PASSWORD = "Admin-Passw0rd"


def pytest_addoption(parser):
    parser.addoption(
        "--domain",
        action="append",
        default=[],
        metavar="SCOPE.DOMAIN[.TABLE]",
        help="run only the spec-driven tests of this domain (tenants.crm) or entity"
        " (tenants.crm.customers); repeatable",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "spec_entity(name): a spec-driven test of entity <scope>.<domain>.<table>"
    )


def pytest_collection_modifyitems(config, items):
    """--domain keeps the spec-driven tests (tests/api/spec_driven.py) of the domains and
    entities named, and deselects everything else."""
    wanted = config.getoption("--domain")
    if not wanted:
        return
    keep, drop = [], []
    for item in items:
        mark = item.get_closest_marker("spec_entity")
        name = mark.args[0] if mark else None
        chosen = name is not None and any(name == w or name.startswith(w + ".") for w in wanted)
        (keep if chosen else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory) -> dict[str, str]:
    with databases_at_head(tmp_path_factory.mktemp("pg")) as urls:
        use_databases(urls)
        yield urls


@pytest.fixture(scope="session")
async def app(database_urls):
    from runtime.app import create_app

    application = create_app()
    async with application.router.lifespan_context(application):
        yield application


WRITE_ONLY_KEYS = {
    "password",
    "mfa_secret",
    "key_hash",
    "current_password",
    "new_password",
    "client_secret",
    "code_hash",
    "token_hash",
    "state_hash",
    "code_verifier",
}


def _write_only_leaks(value, path="$") -> list[str]:
    """Paths in a JSON document where a write-only value would be exposed."""
    leaks = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in WRITE_ONLY_KEYS:
                leaks.append(f"{path}.{key}")
            leaks += _write_only_leaks(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            leaks += _write_only_leaks(item, f"{path}[{i}]")
    elif isinstance(value, str) and value.startswith("$2b$"):
        leaks.append(path)
    return leaks


async def _no_secrets_in_responses(response: httpx.Response) -> None:
    """Every response of the API tests is checked: no password or hash ever leaves."""
    await response.aread()
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        data = body.get("data") if isinstance(body, dict) else body
        leaks = _write_only_leaks(data)
        assert not leaks, f"{response.request.url} exposes {leaks}"


@pytest.fixture(scope="session")
async def client(app):
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://cxg.test",
        event_hooks={"response": [_no_secrets_in_responses]},
    ) as c:
        yield c


@pytest.fixture(scope="session")
def admin(database_urls) -> dict[str, str]:
    from runtime.cli import _insert_admin
    from runtime.data.db import async_url

    username = "admin_" + uuid.uuid4().hex[:8]
    email = f"{username}@cxg.example"
    assert (
        run_sync(
            _insert_admin(
                async_url(database_urls["manager"]),
                username,
                email,
                "Administrator",
                ADMIN_PASSWORD,
            )
        )
        == 0
    )
    return {"username": username, "password": ADMIN_PASSWORD, "email": email}


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict:
    response = await client.post(
        "/api/v1/manager/auth/login", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


@pytest.fixture(scope="session")
async def admin_tokens(client, admin) -> dict:
    return await login(client, admin["username"], admin["password"])


@pytest.fixture(scope="session")
async def auth(admin_tokens) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_tokens['access_token']}"}


TENANT_ADMIN_PASSWORD = "Tenant-Adm1n-Pass"


async def tenant_login(client: httpx.AsyncClient, code: str, username: str, password: str) -> dict:
    response = await client.post(
        "/api/v1/tenants/auth/login",
        json={"tenant_code": code, "username": username, "password": password},
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def new_tenant(client: httpx.AsyncClient, auth: dict[str, str]) -> dict:
    """A tenant made the way a MASTER makes one: created, provisioned, its admin signed in."""
    code = "T" + uuid.uuid4().hex[:10]
    created = await client.post(
        "/api/v1/manager/tenants", json={"code": code, "name": f"Company {code}"}, headers=auth
    )
    assert created.status_code == 201, created.text
    tenant = created.json()["data"]
    username = f"admin.{code.lower()}"
    provisioned = await client.post(
        f"/api/v1/manager/tenants/{tenant['id']}/provision",
        json={
            "username": username,
            "email": f"{username}@cxg.example",
            "full_name": "Tenant Admin",
            "password": TENANT_ADMIN_PASSWORD,
        },
        headers=auth,
    )
    assert provisioned.status_code == 201, provisioned.text
    tokens = await tenant_login(client, code, username, TENANT_ADMIN_PASSWORD)
    return {
        "id": tenant["id"],
        "code": code,
        "username": username,
        "password": TENANT_ADMIN_PASSWORD,
        "admin_id": provisioned.json()["data"]["admin"]["id"],
        "tokens": tokens,
        "headers": {"Authorization": f"Bearer {tokens['access_token']}"},
    }


@pytest.fixture(scope="session")
async def tenant_a(client, auth) -> dict:
    return await new_tenant(client, auth)


@pytest.fixture(scope="session")
async def tenant_b(client, auth) -> dict:
    return await new_tenant(client, auth)
