"""A soft delete honours each reference's on_delete, as a hard delete does through the
foreign keys (runtime.data.referrers): restrict refuses, cascade deletes along, set_null clears."""

from __future__ import annotations

import uuid

import asyncpg

T = "/api/v1/tenants"


async def _post(client, headers, path: str, body: dict) -> dict:
    created = await client.post(f"{T}{path}", json=body, headers=headers)
    assert created.status_code == 201, created.text
    return created.json()["data"]


async def _scene(client, headers) -> dict:
    tag = uuid.uuid4().hex[:8]
    customer = await _post(client, headers, "/crm/customers", {"code": f"R{tag}", "name": "Ref"})
    product = await _post(client, headers, "/ivm/products", {"code": f"P{tag}", "name": "Prod"})
    quote = await _post(
        client,
        headers,
        "/srm/quotes",
        {"customer_id": customer["id"], "quote_date": "2026-11-25", "currency": "KRW"},
    )
    line = {
        "line_no": 1,
        "product_id": product["id"],
        "quantity": "2",
        "unit_price": "5",
    }
    order = await _post(
        client,
        headers,
        "/srm/sales-orders",
        {
            "customer_id": customer["id"],
            "quote_id": quote["id"],
            "order_date": "2026-11-25",
            "items": [line, {**line, "line_no": 2}],
        },
    )
    return {"customer": customer, "product": product, "quote": quote, "order": order}


async def test_restrict_refuses_while_live_rows_refer(client, tenant_a):
    headers = {**tenant_a["headers"], "Accept-Language": "en"}
    scene = await _scene(client, headers)
    customer = f"{T}/crm/customers/{scene['customer']['id']}"
    refused = await client.delete(customer, headers=headers)
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "CONFLICT"
    assert error["detail"]["referenced_by"] in ("srm.quotes", "srm.sales_orders")
    assert "refer to it" in error["message"]
    assert (await client.get(customer, headers=headers)).status_code == 200  # still there
    # once the referring rows are gone (soft-deleted), the customer may go
    for path in (
        f"/srm/sales-orders/{scene['order']['id']}",
        f"/srm/quotes/{scene['quote']['id']}",
    ):
        assert (await client.delete(f"{T}{path}", headers=headers)).status_code == 200
    assert (await client.delete(customer, headers=headers)).status_code == 200
    assert (await client.get(customer, headers=headers)).status_code == 404


async def _rows(database_urls, sql: str, key: str) -> list[tuple]:
    conn = await asyncpg.connect(database_urls["tenant"])
    try:
        return [tuple(r) for r in await conn.fetch(sql, uuid.UUID(key))]
    finally:
        await conn.close()


async def test_cascade_deletes_the_lines_with_their_document(client, tenant_a, database_urls):
    """Order lines delete hard: soft-deleting the order removes them."""
    headers = tenant_a["headers"]
    scene = await _scene(client, headers)
    order_id = scene["order"]["id"]
    lines = f"{T}/srm/sales-order-items"
    listed = await client.get(lines, params={"sales_order_id": order_id}, headers=headers)
    assert listed.json()["data"]["total"] == 2
    deleted = await client.delete(f"{T}/srm/sales-orders/{order_id}", headers=headers)
    assert deleted.status_code == 200
    listed = await client.get(lines, params={"sales_order_id": order_id}, headers=headers)
    assert listed.json()["data"]["total"] == 0
    sql = "SELECT id FROM srm.sales_order_items WHERE sales_order_id = $1"
    assert await _rows(database_urls, sql, order_id) == []


async def test_cascade_flags_soft_deleting_children(client, tenant_a, database_urls):
    """Contacts delete softly: deleting their customer flags them, and they are kept."""
    headers = tenant_a["headers"]
    customer = await _post(
        client, headers, "/crm/customers", {"code": "K" + uuid.uuid4().hex[:8], "name": "Kept"}
    )
    for name in ("Kim", "Lee"):
        await _post(client, headers, "/crm/contacts", {"customer_id": customer["id"], "name": name})
    deleted = await client.delete(f"{T}/crm/customers/{customer['id']}", headers=headers)
    assert deleted.status_code == 200, deleted.text
    listed = await client.get(
        f"{T}/crm/contacts", params={"customer_id": customer["id"]}, headers=headers
    )
    assert listed.json()["data"]["total"] == 0
    sql = (
        "SELECT is_deleted, deleted_by IS NOT NULL, version FROM crm.contacts"
        " WHERE customer_id = $1"
    )
    assert await _rows(database_urls, sql, customer["id"]) == [(True, True, 2), (True, True, 2)]


async def test_set_null_clears_the_reference(client, tenant_a):
    headers = tenant_a["headers"]
    scene = await _scene(client, headers)
    order_url = f"{T}/srm/sales-orders/{scene['order']['id']}"
    before = (await client.get(order_url, headers=headers)).json()["data"]
    assert before["quote_id"] == scene["quote"]["id"]
    deleted = await client.delete(f"{T}/srm/quotes/{scene['quote']['id']}", headers=headers)
    assert deleted.status_code == 200, deleted.text
    after = await client.get(order_url, headers=headers)
    assert after.json()["data"]["quote_id"] is None
    assert after.json()["data"]["version"] == before["version"] + 1
    assert after.headers["etag"] == f'"{before["version"] + 1}"'


async def test_a_refused_delete_changes_nothing(client, tenant_a):
    """restrict is checked before anything is flagged, cleared or cascaded."""
    headers = tenant_a["headers"]
    scene = await _scene(client, headers)
    product = f"{T}/ivm/products/{scene['product']['id']}"
    assert (await client.delete(product, headers=headers)).status_code == 409  # order lines
    order = (
        await client.get(f"{T}/srm/sales-orders/{scene['order']['id']}", headers=headers)
    ).json()
    assert len(order["data"]["items"]) == 2
    assert (await client.get(product, headers=headers)).json()["data"]["version"] == 1
