"""Client mistakes that used to reach PostgreSQL and come back as a 503: each is a 422 now,
naming the field where there is one, through the hot path and the routers alike."""

from __future__ import annotations

import uuid

import pytest

LOGIN = "/api/v1/manager/auth/login"


def assert_422(response, field: str | None = None) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    if field is not None:
        assert field in [d["field"] for d in error["detail"]], error


async def test_nul_in_a_login_is_refused_without_signing_in(client):
    response = await client.post(LOGIN, json={"username": "adm\u0000in", "password": "x"})
    assert_422(response, "username")


async def test_nul_in_body_text_and_json_columns(client, tenant_a, auth):
    headers = tenant_a["headers"]
    body = {"code": "NUL1", "name": "a\u0000b"}
    assert_422(
        await client.post("/api/v1/tenants/crm/customers", json=body, headers=headers), "name"
    )
    settings = {"code": "N1", "name": "n", "settings": {"deep": ["ok", "x\u0000"]}}
    assert_422(
        await client.post("/api/v1/manager/tenants", json=settings, headers=auth), "settings"
    )


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/tenants/crm/customers", {"search": "a\u0000"}, "search"),
        ("/api/v1/tenants/fim/budgets", {"fiscal_year_from": "8314769714"}, "fiscal_year_from"),
        ("/api/v1/tenants/srm/sales-orders", {"total_amount_from": "1e30"}, "total_amount_from"),
        ("/api/v1/tenants/crm/customers", {"page": "1000000000000000000"}, "page"),
    ],
)
async def test_query_values_the_columns_cannot_hold(reader, tenant_a, path, params, field):
    assert_422(await reader.get(path, params=params, headers=tenant_a["headers"]), field)


async def test_integer_filter_beyond_bigint(reader, auth):
    response = await reader.get(
        "/api/v1/manager/audt/audit-logs",
        params={"status_code": "9223372036854775808"},
        headers=auth,
    )
    assert_422(response, "status_code")


async def test_a_forged_peer_address_can_never_fail_a_write(app, tenant_a):
    """Whatever a proxy header made of the peer's address, writes succeed and the audit
    trail stores a real address or none."""
    import httpx

    transport = httpx.ASGITransport(app=app, client=("203.0.113.77, " + "9" * 60, 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://forged") as forged:
        created = await forged.post(
            "/api/v1/tenants/crm/customers",
            json={"code": "FWD" + uuid.uuid4().hex[:6], "name": "Forwarded"},
            headers=tenant_a["headers"],
        )
        assert created.status_code == 201, created.text
        trail = await forged.get(
            "/api/v1/tenants/audt/audit-logs",
            params={"entity_id": created.json()["data"]["id"]},
            headers=tenant_a["headers"],
        )
    (entry,) = trail.json()["data"]["items"]
    assert entry["client_ip"] is None
