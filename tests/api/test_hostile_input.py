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


def _nested(levels: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(levels - 1):
        value = {"deeper": value}
    return value


@pytest.mark.parametrize("levels", [33, 300])
async def test_json_nested_too_deep_is_a_422(client, auth, levels):
    """300 levels used to be stored and then fail the response (500)."""
    body = {"code": "D" + uuid.uuid4().hex[:6], "name": "deep", "settings": _nested(levels)}
    response = await client.post("/api/v1/manager/tenants", json=body, headers=auth)
    assert_422(response, "settings")
    assert "32 levels" in response.text


async def test_json_nested_as_deep_as_allowed_is_kept(client, auth):
    body = {"code": "D" + uuid.uuid4().hex[:6], "name": "deep", "settings": _nested(32)}
    created = await client.post("/api/v1/manager/tenants", json=body, headers=auth)
    assert created.status_code == 201, created.text
    assert created.json()["data"]["settings"] == _nested(32)


async def test_json_too_deep_for_the_parser_is_a_client_error(client, tenant_a):
    """Nested past what a JSON parser recurses into: refused as a 4xx, never a 5xx."""
    raw = b'{"code":"X","name":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = await client.post(
        "/api/v1/tenants/crm/customers",
        content=raw,
        headers={**tenant_a["headers"], "content-type": "application/json"},
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["success"] is False


def assert_413(response) -> None:
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert response.headers["x-request-id"]


async def test_a_body_over_the_limit_is_413_before_it_is_read(client, tenant_a):
    big = {"code": "BIG", "name": "x" * (2 * 1024 * 1024)}  # 2 MiB, with a Content-Length
    assert_413(
        await client.post("/api/v1/tenants/crm/customers", json=big, headers=tenant_a["headers"])
    )
    assert_413(await client.post(LOGIN, json={"username": "a" * 2_000_000, "password": "x"}))


async def test_a_chunked_body_is_counted_as_it_arrives(client, tenant_a):
    async def chunks():
        yield b'{"code":"CHUNK","name":"'
        for _ in range(40):
            yield b"x" * 32_768  # 1.25 MiB in all, no Content-Length
        yield b'"}'

    response = await client.post(
        "/api/v1/tenants/crm/customers",
        content=chunks(),
        headers={**tenant_a["headers"], "content-type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert_413(response)
    listed = await client.get(
        "/api/v1/tenants/crm/customers", params={"search": "CHUNK"}, headers=tenant_a["headers"]
    )
    assert listed.json()["data"]["total"] == 0  # nothing was written


async def test_a_body_just_under_the_limit_is_read(client, tenant_a):
    """The limit refuses size, not content: a large valid body is validated as usual."""
    body = {"code": "NEAR" + uuid.uuid4().hex[:4], "name": "x" * 900_000}
    response = await client.post(
        "/api/v1/tenants/crm/customers", json=body, headers=tenant_a["headers"]
    )
    assert_422(response, "name")  # over the column's length, not the request limit
