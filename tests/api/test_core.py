"""Runtime core over HTTP: envelope on every error, health, docs, CORS, request ids."""

from __future__ import annotations

import httpx

from tests.api.test_users_flow import assert_envelope


async def test_health_checks_both_databases(client):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json()["data"] == {
        "status": "ok",
        "databases": {"manager": "ok", "tenant": "ok"},
    }


async def test_docs_and_openapi(client):
    spec = (await client.get("/openapi.json")).json()
    assert "/api/v1/manager/idam/users/{user_id}/status" in spec["paths"]
    tags = spec["paths"]["/api/v1/manager/idam/users"]["get"]["tags"]
    assert tags == ["관리자 > 사용자권한 > 사용자"]
    assert (await client.get("/docs")).status_code == 200
    assert (await client.get("/redoc")).status_code == 200


async def test_unknown_route_and_method_are_envelopes(client, auth):
    missing = await client.get("/api/v1/manager/nothing-here", headers=auth)
    assert missing.status_code == 404
    assert_envelope(missing.json(), success=False)
    assert missing.json()["error"]["code"] == "RESOURCE_NOT_FOUND"
    wrong = await client.put("/api/v1/manager/idam/users", headers=auth)
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


async def test_malformed_json_body_is_422(client, auth):
    response = await client.post(
        "/api/v1/manager/idam/users",
        content=b"{not json",
        headers={**auth, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_request_id_is_echoed_or_made(client):
    given = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    assert given.json()["request_id"] == "abc-123"
    made = await client.get("/health", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces"
    assert made.json()["request_id"] == made.headers["x-request-id"]


async def test_unexpected_errors_are_500_envelopes_without_traceback(database_urls):
    from runtime.app import create_app

    app = create_app()

    @app.get("/boom")
    async def boom():
        raise RuntimeError("secret internals")

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            response = await c.get("/boom", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    body = response.json()
    assert body["error"]["code"] == "INTERNAL_ERROR"
    assert body["request_id"] == "req-500"
    assert "secret internals" not in response.text and "Traceback" not in response.text


async def test_cors_from_settings(database_urls):
    from runtime.app import create_app
    from runtime.settings import Settings

    app = create_app(Settings(cors_origins="https://app.cxg.example"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            allowed = await c.options(
                "/api/v1/manager/idam/users",
                headers={
                    "Origin": "https://app.cxg.example",
                    "Access-Control-Request-Method": "GET",
                },
            )
            denied = await c.options(
                "/api/v1/manager/idam/users",
                headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
            )
    assert allowed.headers["access-control-allow-origin"] == "https://app.cxg.example"
    assert "access-control-allow-origin" not in denied.headers


def test_leak_detector_detects_leaks():
    """The response hook that guards every API test really catches a leaked password."""
    from tests.conftest import _write_only_leaks

    assert _write_only_leaks({"items": [{"id": 1, "password": "x"}]}) == ["$.items[0].password"]
    assert _write_only_leaks({"note": "$2b$12$abcdefghijk"}) == ["$.note"]
    assert _write_only_leaks({"username": "kim", "items": []}) == []


async def test_openapi_is_the_prebuilt_document_of_this_code(app, client):
    """Served as the bytes `cxg-gen build` wrote for the code running now (a stale file would
    be refused and the document made live); tests/generator/test_apidoc.py shows they say
    what FastAPI would say of every route."""
    from runtime.web.openapi import ROOT

    assert app.openapi_url is None  # FastAPI's own route is off: the prebuilt one serves
    served = await client.get("/openapi.json")
    assert served.status_code == 200
    assert served.content == (ROOT / "generated/openapi.json").read_bytes()
    assert served.json()["paths"]["/api/v1/tenants/crm/customers"]["get"]["operationId"] == (
        "tenants_crm_customers_list"
    )
    for page in ("/docs", "/redoc"):
        shown = await client.get(page)
        assert shown.status_code == 200 and "/openapi.json" in shown.text


async def test_every_operation_declares_the_error_envelope(client):
    """Generated clients learn every error answer and its shape from the document."""
    spec = (await client.get("/openapi.json")).json()
    assert "ErrorEnvelope" in spec["components"]["schemas"]
    operations = [
        (path, method, op)
        for path, methods in spec["paths"].items()
        if path.startswith("/api/v1/")
        for method, op in methods.items()
    ]
    assert len(operations) > 500
    examples = spec["components"]["examples"]
    for path, method, op in operations:
        errors = {s: a for s, a in op["responses"].items() if s[0] in "45"}
        # each lists what it can answer (tests/contract/test_operations.py says which)
        assert {"413", "429", "500"} <= set(errors), (path, method)
        for answer in errors.values():
            content = answer["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/ErrorEnvelope"}
            for code, example in content["examples"].items():
                assert examples[example["$ref"].rsplit("/", 1)[1]]["value"]["error"]["code"] == code
