"""Optimistic concurrency: the version is the ETag; If-Match guards PATCH, status changes and
DELETE (runtime.web.versions)."""

from __future__ import annotations

import asyncio
import uuid

CUSTOMERS = "/api/v1/tenants/crm/customers"
ORDERS = "/api/v1/tenants/srm/sales-orders"


async def _customer(client, headers) -> dict:
    created = await client.post(
        CUSTOMERS, json={"code": "V" + uuid.uuid4().hex[:8], "name": "Versioned"}, headers=headers
    )
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == '"1"'
    return created.json()["data"]


def assert_412(response) -> None:
    assert response.status_code == 412, response.text
    assert response.json()["error"]["code"] == "STALE_VERSION"


async def test_get_sends_the_version_as_etag_through_both_paths(reader, client, tenant_a):
    headers = tenant_a["headers"]
    row = await _customer(client, headers)
    assert row["version"] == 1
    got = await reader.get(f"{CUSTOMERS}/{row['id']}", headers=headers)
    assert got.status_code == 200
    assert got.headers["etag"] == '"1"' and got.json()["data"]["version"] == 1


async def test_a_stale_if_match_is_412_and_changes_nothing(client, tenant_a):
    headers = tenant_a["headers"]
    row = await _customer(client, headers)
    url = f"{CUSTOMERS}/{row['id']}"
    first = await client.patch(url, json={"name": "First"}, headers={**headers, "If-Match": '"1"'})
    assert first.status_code == 200 and first.headers["etag"] == '"2"'
    assert first.json()["data"]["version"] == 2

    stale = await client.patch(url, json={"name": "Lost"}, headers={**headers, "If-Match": '"1"'})
    assert_412(stale)
    assert stale.json()["error"]["detail"]["current"] == '"2"'
    assert_412(await client.delete(url, headers={**headers, "If-Match": '"1"'}))
    now = await client.get(url, headers=headers)
    assert now.json()["data"]["name"] == "First" and now.headers["etag"] == '"2"'

    # a weak or malformed tag never matches; * and no header at all are no condition
    assert_412(
        await client.patch(url, json={"name": "W"}, headers={**headers, "If-Match": 'W/"2"'})
    )
    assert_412(await client.patch(url, json={"name": "M"}, headers={**headers, "If-Match": "2"}))
    anyone = await client.patch(url, json={"name": "Any"}, headers={**headers, "If-Match": "*"})
    assert anyone.status_code == 200 and anyone.headers["etag"] == '"3"'
    plain = await client.patch(url, json={"name": "Plain"}, headers=headers)
    assert plain.status_code == 200 and plain.headers["etag"] == '"4"'
    # one of several tags is enough
    listed = await client.delete(url, headers={**headers, "If-Match": '"9", "4"'})
    assert listed.status_code == 200
    assert (await client.get(url, headers=headers)).status_code == 404


async def test_status_changes_honour_if_match(client, tenant_a):
    headers = tenant_a["headers"]
    customer = await _customer(client, headers)
    product = await client.post(
        "/api/v1/tenants/ivm/products",
        json={"code": "P" + uuid.uuid4().hex[:8], "name": "Goods"},
        headers=headers,
    )
    line = {"line_no": 1, "product_id": product.json()["data"]["id"], "quantity": "1"}
    order = await client.post(
        ORDERS,
        json={
            "customer_id": customer["id"],
            "order_date": "2026-11-25",
            "items": [{**line, "unit_price": "3"}],
        },
        headers=headers,
    )
    assert order.status_code == 201, order.text
    url = f"{ORDERS}/{order.json()['data']['id']}/status"
    version = order.json()["data"]["version"]
    stale = await client.patch(
        url, json={"status": "CONFIRMED"}, headers={**headers, "If-Match": f'"{version + 5}"'}
    )
    assert_412(stale)
    moved = await client.patch(
        url, json={"status": "CONFIRMED"}, headers={**headers, "If-Match": f'"{version}"'}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["data"]["status"] == "CONFIRMED"
    assert moved.headers["etag"] == f'"{version + 1}"'


async def test_twenty_concurrent_patches_with_one_etag_one_wins(client, tenant_a):
    headers = tenant_a["headers"]
    row = await _customer(client, headers)
    url = f"{CUSTOMERS}/{row['id']}"
    answers = await asyncio.gather(
        *(
            client.patch(url, json={"name": f"Writer {i}"}, headers={**headers, "If-Match": '"1"'})
            for i in range(20)
        )
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [412] * 19
    (winner,) = [a for a in answers if a.status_code == 200]
    final = (await client.get(url, headers=headers)).json()["data"]
    assert final["name"] == winner.json()["data"]["name"] and final["version"] == 2


async def test_the_contract_documents_if_match_and_412(client):
    spec = (await client.get("/openapi.json")).json()
    patch = spec["paths"]["/api/v1/tenants/crm/customers/{customer_id}"]["patch"]
    assert any(p["name"] == "if-match" and p["in"] == "header" for p in patch["parameters"])
    assert "412" in patch["responses"]
