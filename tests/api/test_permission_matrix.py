"""The permission matrix over every generated endpoint of both systems, driven by the app's
routes and the spec model: without its code a user gets 403 PERMISSION_DENIED naming the
code; with the entity's codes the same user succeeds. Grants change between the steps, so
this also shows the permission caches following role changes."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from generator.model import Entity
from runtime.security.permissions import MANAGER_RUNTIME_PERMISSIONS
from tests.api.spec_driven import by_entity
from tests.api.test_auth import bearer, make_user
from tests.api.test_every_entity import (
    PROJECT,
    SERVED,
    create_row,
    status_target,
    url,
    valid_body,
)
from tests.conftest import login, tenant_login

MANAGER_ROLES = "/api/v1/manager/idam/roles"
TENANT_ROLES = "/api/v1/tenants/adm/roles"


@dataclass(frozen=True)
class Grants:
    """One user per system whose permissions the test sets, entity by entity."""

    admin: dict  # headers of whoever creates the rows
    headers: dict  # the user's headers
    set: Callable[[list[str]], Awaitable[None]]  # give the user exactly these codes


@pytest.fixture(scope="module")
async def manager_grants(client, auth) -> Grants:
    user = await make_user(client, auth, user_type="TENANT")
    headers = bearer((await login(client, user["username"], user["password"]))["access_token"])
    ids, page = {}, 1
    while True:
        listed = (
            await client.get(
                "/api/v1/manager/idam/permissions",
                params={"page": page, "page_size": 100},
                headers=auth,
            )
        ).json()["data"]
        ids |= {p["code"]: p["id"] for p in listed["items"]}
        if page >= listed["total_pages"]:
            break
        page += 1
    state: dict = {"link": None}

    async def change(codes: list[str]) -> None:
        if state["link"]:
            gone = await client.delete(
                f"/api/v1/manager/idam/user-roles/{state['link']}", headers=auth
            )
            assert gone.status_code == 200, gone.text
        code = "M" + uuid.uuid4().hex[:10].upper()
        role = await client.post(
            MANAGER_ROLES,
            json={
                "code": code,
                "name": code,
                "permissions": [{"permission_id": ids[c]} for c in codes],
            },
            headers=auth,
        )
        assert role.status_code == 201, role.text
        link = await client.post(
            f"/api/v1/manager/idam/users/{user['id']}/roles",
            json={"role_id": role.json()["data"]["id"]},
            headers=auth,
        )
        assert link.status_code == 201, link.text
        state["link"] = link.json()["data"]["id"]

    return Grants(auth, headers, change)


@pytest.fixture(scope="module")
async def tenant_grants(client, tenant_a) -> Grants:
    admin = tenant_a["headers"]
    username = "clerk." + uuid.uuid4().hex[:8]
    password = "Clerk-Passw0rd"
    user = await client.post(
        "/api/v1/tenants/adm/users",
        json={
            "username": username,
            "email": f"{username}@cxg.example",
            "full_name": "Clerk",
            "password": password,
        },
        headers=admin,
    )
    assert user.status_code == 201, user.text
    code = "CLERK_" + uuid.uuid4().hex[:6].upper()
    role = await client.post(
        TENANT_ROLES, json={"code": code, "name": "Clerk", "permissions": []}, headers=admin
    )
    role_id = role.json()["data"]["id"]
    linked = await client.post(
        "/api/v1/tenants/adm/user-roles",
        json={"user_id": user.json()["data"]["id"], "role_id": role_id},
        headers=admin,
    )
    assert linked.status_code == 201, linked.text
    tokens = await tenant_login(client, tenant_a["code"], username, password)

    async def change(codes: list[str]) -> None:
        changed = await client.patch(
            f"{TENANT_ROLES}/{role_id}", json={"permissions": codes}, headers=admin
        )
        assert changed.status_code == 200, changed.text

    return Grants(admin, bearer(tokens["access_token"]), change)


def concrete(path: str) -> str:
    parts = path.split("/")
    return "/".join(str(uuid.uuid4()) if p.startswith("{") else p for p in parts)


async def test_every_generated_endpoint_requires_exactly_its_code(
    client, manager_grants, tenant_grants
):
    """Each operation documents its code (x-permission); a user without it gets 403 naming
    exactly that code. Every entity's resources are covered, from the spec model."""
    await manager_grants.set([])
    await tenant_grants.set([])
    spec = (await client.get("/openapi.json")).json()
    catalog = {code for e in PROJECT.entities for code, _ in e.permissions}
    catalog |= {d.code for d in MANAGER_RUNTIME_PERMISSIONS}  # provisioning, acting for
    documented = set()
    for entity in SERVED:
        grants = manager_grants if entity.scope.name == "manager" else tenant_grants
        paths = [p for p in spec["paths"] if p == url(entity) or p.startswith(url(entity) + "/")]
        assert paths, entity.key
        for path in paths:
            for method, operation in spec["paths"][path].items():
                code = operation.get("x-permission")
                assert code in catalog, f"{method} {path}: {code}"
                documented.add(code)
                response = await client.request(
                    method.upper(), concrete(path), json={}, headers=grants.headers
                )
                assert response.status_code == 403, f"{method} {path}: {response.text}"
                error = response.json()["error"]
                assert error["code"] == "PERMISSION_DENIED"
                assert error["detail"] == {"permission": code}
    assert documented == catalog  # and every code guards some endpoint


@pytest.mark.parametrize("entity", by_entity(SERVED))
async def test_the_entitys_codes_let_the_user_through(
    client, manager_grants, tenant_grants, entity: Entity
):
    grants = manager_grants if entity.scope.name == "manager" else tenant_grants
    user, admin = grants.headers, grants.admin
    base = url(entity)
    codes = [code for code, _ in entity.permissions]
    read = f"{entity.key}:read"

    await grants.set([read])
    listed = await client.get(base, headers=user)
    assert listed.status_code == 200, listed.text
    if not entity.has("create"):
        return
    _, row = await create_row(client, admin, entity)
    row_url = f"{base}/{row['id']}"
    assert (await client.get(row_url, headers=user)).status_code == 200
    body = await valid_body(client, admin, entity)
    status = entity.status_field
    attempts = [("POST", base, body, "create")]
    if entity.has("update"):
        attempts.append(("PATCH", row_url, {}, "update"))
    if status:
        attempts.append(
            (
                "PATCH",
                f"{row_url}/{status.name}",
                {status.name: status_target(status, row[status.name])},
                status.name,
            )
        )
    if entity.has("delete"):
        attempts.append(("DELETE", row_url, None, "delete"))
    for method, target, payload, action in attempts:
        denied = await client.request(method, target, json=payload, headers=user)
        assert denied.status_code == 403, f"{method} {target}: {denied.text}"
        assert denied.json()["error"]["detail"] == {"permission": f"{entity.key}:{action}"}

    await grants.set(codes)
    for method, target, payload, _ in attempts:
        allowed = await client.request(method, target, json=payload, headers=user)
        assert allowed.status_code in (200, 201), f"{method} {target}: {allowed.text}"
