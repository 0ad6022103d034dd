"""The MFA columns belong to the server: the generic CRUD endpoints neither take nor show the
secret, and nobody switches `mfa_enabled` by PATCH (a flag that says "protected" must only
ever be set by an enrolment that really protects the account)."""

from __future__ import annotations

import pytest

from tests.api.test_users_flow import USERS, new_user


@pytest.mark.parametrize(
    "field, value", [("mfa_enabled", True), ("mfa_secret", "JBSWY3DPEHPK3PXP")]
)
async def test_create_naming_an_mfa_field_is_refused_by_name(client, auth, field, value):
    refused = await client.post(USERS, json=new_user(**{field: value}), headers=auth)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "VALIDATION_ERROR"
    assert field in refused.text


@pytest.mark.parametrize(
    "field, value", [("mfa_enabled", True), ("mfa_secret", "JBSWY3DPEHPK3PXP")]
)
async def test_patch_of_an_mfa_field_is_refused_and_changes_nothing(client, auth, field, value):
    created = await client.post(USERS, json=new_user(user_type="MASTER"), headers=auth)
    assert created.status_code == 201, created.text
    user = created.json()["data"]
    assert user["mfa_enabled"] is False and "mfa_secret" not in user

    refused = await client.patch(f"{USERS}/{user['id']}", json={field: value}, headers=auth)
    assert refused.status_code == 422, refused.text
    assert field in refused.text

    after = (await client.get(f"{USERS}/{user['id']}", headers=auth)).json()["data"]
    assert after["mfa_enabled"] is False
    assert after["version"] == user["version"]


async def test_the_document_offers_no_mfa_field_to_write(client):
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    for kind in ("ManagerUserCreate", "ManagerUserUpdate"):
        assert not {"mfa_enabled", "mfa_secret"} & set(schemas[kind]["properties"]), kind
    assert "mfa_secret" not in schemas["ManagerUserResponse"]["properties"]
    assert "mfa_enabled" in schemas["ManagerUserResponse"]["properties"]
