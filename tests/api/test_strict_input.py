"""Nothing a client sends is silently ignored: unknown body fields, fields the server owns,
unknown query parameters and a status inside a generic PATCH are each a 422 naming them."""

from __future__ import annotations

import uuid

CUSTOMERS = "/api/v1/tenants/crm/customers"
ORDERS = "/api/v1/tenants/srm/sales-orders"


def detail_of(response) -> dict[str, dict]:
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    return {d["field"]: d for d in response.json()["error"]["detail"]}


async def test_unknown_and_server_owned_body_fields(client, tenant_a):
    headers = {**tenant_a["headers"], "Accept-Language": "en"}
    body = {"code": "S" + uuid.uuid4().hex[:6], "name": "Strict", "colour": "red", "version": 7}
    detail = detail_of(await client.post(CUSTOMERS, json=body, headers=headers))
    assert set(detail) == {"colour", "version"}
    assert detail["colour"]["message"] == "'colour' is not a field of this resource"
    assert detail["version"]["message"] == "'version' is set by the server; leave it out"
    listed = await client.get(CUSTOMERS, params={"search": body["code"]}, headers=headers)
    assert listed.json()["data"]["total"] == 0  # nothing was created


async def test_unknown_query_parameter_on_a_list(reader, tenant_a):
    """Through the hot path and the routers alike (the hot path hands it to the routers)."""
    answer = await reader.get(CUSTOMERS, params={"version": "2"}, headers=tenant_a["headers"])
    detail = detail_of(answer)
    assert detail["version"]["source"] == "query"
    assert detail["version"]["message"] == "'version' is not a parameter of this request"


async def test_status_in_a_generic_patch_points_at_its_endpoint(client, tenant_a):
    headers = tenant_a["headers"]
    customer = await client.post(
        CUSTOMERS, json={"code": "S" + uuid.uuid4().hex[:6], "name": "Buyer"}, headers=headers
    )
    order = await client.post(
        ORDERS,
        json={"customer_id": customer.json()["data"]["id"], "order_date": "2026-11-25"},
        headers=headers,
    )
    assert order.status_code == 201, order.text
    url = f"{ORDERS}/{order.json()['data']['id']}"
    detail = detail_of(await client.patch(url, json={"status": "DELIVERED"}, headers=headers))
    assert "PATCH .../status" in detail["status"]["message"]
    still = await client.get(url, headers=headers)
    assert still.json()["data"]["status"] == "DRAFT" and still.json()["data"]["version"] == 1


async def test_sign_in_bodies_are_strict_too(client):
    answer = await client.post(
        "/api/v1/manager/auth/login", json={"username": "a", "password": "b", "remember": True}
    )
    assert "remember" in detail_of(answer)
