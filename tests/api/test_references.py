"""References are checked on write; unique-together holds; hard deletes respect references."""

from __future__ import annotations

import uuid

from tests.api.test_auth import make_user

ROLES = "/api/v1/manager/idam/roles"
USER_ROLES = "/api/v1/manager/idam/user-roles"


async def make_role(client, auth) -> dict:
    code = "ROLE_" + uuid.uuid4().hex[:8].upper()
    response = await client.post(ROLES, json={"code": code, "name": f"Role {code}"}, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def test_missing_reference_is_422_naming_the_field(client, auth):
    role = await make_role(client, auth)
    response = await client.post(
        USER_ROLES, headers=auth, json={"user_id": str(uuid.uuid4()), "role_id": role["id"]}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert [d["field"] for d in response.json()["error"]["detail"]] == ["user_id"]


async def test_soft_deleted_reference_is_refused(client, auth):
    user = await make_user(client, auth)
    role = await make_role(client, auth)
    assert (await client.delete(f"{ROLES}/{role['id']}", headers=auth)).status_code == 200
    response = await client.post(
        USER_ROLES, headers=auth, json={"user_id": user["id"], "role_id": role["id"]}
    )
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["detail"]] == ["role_id"]


async def test_unique_together_and_filters_on_references(client, auth):
    user = await make_user(client, auth)
    role = await make_role(client, auth)
    body = {"user_id": user["id"], "role_id": role["id"]}
    first = await client.post(USER_ROLES, json=body, headers=auth)
    assert first.status_code == 201, first.text
    again = await client.post(USER_ROLES, json=body, headers=auth)
    assert again.status_code == 409
    assert sorted(d["field"] for d in again.json()["error"]["detail"]) == ["role_id", "user_id"]
    listed = await client.get(USER_ROLES, params={"user_id": user["id"]}, headers=auth)
    assert [r["role_id"] for r in listed.json()["data"]["items"]] == [role["id"]]


async def test_update_to_a_missing_reference_is_refused(client, auth):
    user = await make_user(client, auth)
    role = await make_role(client, auth)
    link = (
        await client.post(
            USER_ROLES, json={"user_id": user["id"], "role_id": role["id"]}, headers=auth
        )
    ).json()["data"]
    response = await client.patch(
        f"{USER_ROLES}/{link['id']}", headers=auth, json={"role_id": str(uuid.uuid4())}
    )
    assert response.status_code == 422
    assert response.json()["error"]["detail"][0]["field"] == "role_id"
    kept = await client.get(f"{USER_ROLES}/{link['id']}", headers=auth)
    assert kept.json()["data"]["role_id"] == role["id"]  # nothing half-applied
