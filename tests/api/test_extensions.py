"""The hand-owned extension of srm.sales_orders (runtime/extensions/tenants/srm/sales_orders.py)
is called by the generated code: a rule that queries (422), an after-write effect in the same
transaction, and a refusal after it that takes the effect back with the write."""

from __future__ import annotations

import uuid

T = "/api/v1/tenants"


async def _order(client, headers, *, lines: int) -> tuple[dict, str]:
    tag = uuid.uuid4().hex[:8]
    customer = await client.post(
        f"{T}/crm/customers", json={"code": f"X{tag}", "name": "Ext"}, headers=headers
    )
    product = await client.post(
        f"{T}/ivm/products", json={"code": f"X{tag}", "name": "Ext"}, headers=headers
    )
    items = [
        {
            "line_no": n,
            "product_id": product.json()["data"]["id"],
            "quantity": "1",
            "unit_price": "9",
        }
        for n in range(1, lines + 1)
    ]
    order = await client.post(
        f"{T}/srm/sales-orders",
        json={
            "customer_id": customer.json()["data"]["id"],
            "order_date": "2026-11-25",
            "items": items,
        },
        headers=headers,
    )
    assert order.status_code == 201, order.text
    return order.json()["data"], customer.json()["data"]["id"]


async def _activities(client, headers, customer_id: str) -> list[str]:
    listed = await client.get(
        f"{T}/crm/activities", params={"customer_id": customer_id}, headers=headers
    )
    return [a["subject"] for a in listed.json()["data"]["items"]]


async def _confirm(client, headers, order: dict):
    return await client.patch(
        f"{T}/srm/sales-orders/{order['id']}/status", json={"status": "CONFIRMED"}, headers=headers
    )


async def test_a_rule_with_a_query_refuses_with_422(client, tenant_a):
    headers = tenant_a["headers"]
    order, _ = await _order(client, headers, lines=0)
    assert (await _confirm(client, headers, order)).status_code == 200
    refused = await client.patch(
        f"{T}/srm/sales-orders/{order['id']}/status", json={"status": "SHIPPED"}, headers=headers
    )
    assert refused.status_code == 422, refused.text
    (detail,) = refused.json()["error"]["detail"]
    assert detail["field"] == "status" and "at least one line" in detail["message"]
    got = await client.get(f"{T}/srm/sales-orders/{order['id']}", headers=headers)
    assert got.json()["data"]["status"] == "CONFIRMED"


async def test_an_after_write_effect_is_kept_with_the_write(client, tenant_a):
    headers = tenant_a["headers"]
    order, customer = await _order(client, headers, lines=2)
    confirmed = await _confirm(client, headers, order)
    assert confirmed.status_code == 200, confirmed.text
    assert await _activities(client, headers, customer) == [f"Order {order['order_no']} confirmed"]


async def test_a_refusal_after_the_effect_takes_it_back(client, tenant_a):
    headers = tenant_a["headers"]
    order, customer = await _order(client, headers, lines=1)
    blocked = await client.patch(
        f"{T}/crm/customers/{customer}/status", json={"status": "BLOCKED"}, headers=headers
    )
    assert blocked.status_code == 200, blocked.text
    refused = await _confirm(client, headers, order)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["detail"] == {"customer_id": customer}
    # the activity was written before the refusal, in the same transaction: gone with it
    assert await _activities(client, headers, customer) == []
    got = await client.get(f"{T}/srm/sales-orders/{order['id']}", headers=headers)
    assert got.json()["data"]["status"] == "DRAFT"
