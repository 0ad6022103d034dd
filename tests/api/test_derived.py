"""Derived values: a line's amount is quantity × unit price, its order's total_amount the sum
of its live lines, both computed by the server, refused as input and kept right under
concurrent line writes (runtime.logic.derived)."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

T = "/api/v1/tenants"


async def _order(client, headers, *lines: tuple[str, str]) -> tuple[dict, str]:
    tag = uuid.uuid4().hex[:8]
    customer = await client.post(
        f"{T}/crm/customers", json={"code": f"D{tag}", "name": "D"}, headers=headers
    )
    product = await client.post(
        f"{T}/ivm/products", json={"code": f"D{tag}", "name": "D"}, headers=headers
    )
    product_id = product.json()["data"]["id"]
    order = await client.post(
        f"{T}/srm/sales-orders",
        json={
            "customer_id": customer.json()["data"]["id"],
            "order_date": "2026-11-25",
            "items": [
                {"line_no": i + 1, "product_id": product_id, "quantity": q, "unit_price": p}
                for i, (q, p) in enumerate(lines)
            ],
        },
        headers=headers,
    )
    assert order.status_code == 201, order.text
    return order.json()["data"], product_id


def total(order: dict) -> Decimal:
    return Decimal(order["total_amount"])


async def _fetch(client, headers, order_id: str) -> dict:
    return (await client.get(f"{T}/srm/sales-orders/{order_id}", headers=headers)).json()["data"]


async def test_amounts_and_the_total_follow_every_line_change(client, tenant_a):
    headers = tenant_a["headers"]
    order, product = await _order(client, headers, ("2", "1500"), ("3", "100.50"))
    assert [Decimal(i["amount"]) for i in order["items"]] == [Decimal("3000"), Decimal("301.50")]
    assert total(order) == Decimal("3301.50")  # the create's answer already carries it

    items = f"{T}/srm/sales-orders/{order['id']}/items"
    added = await client.post(
        items,
        json={"line_no": 3, "product_id": product, "quantity": "1", "unit_price": "0.25"},
        headers=headers,
    )
    assert added.status_code == 201 and Decimal(added.json()["data"]["amount"]) == Decimal("0.25")
    assert total(await _fetch(client, headers, order["id"])) == Decimal("3301.75")

    line = f"{T}/srm/sales-order-items/{added.json()['data']['id']}"
    changed = await client.patch(line, json={"quantity": "4"}, headers=headers)
    assert Decimal(changed.json()["data"]["amount"]) == Decimal("1.00")
    assert total(await _fetch(client, headers, order["id"])) == Decimal("3302.50")

    assert (await client.delete(line, headers=headers)).status_code == 200
    after = await _fetch(client, headers, order["id"])
    assert total(after) == Decimal("3301.50")
    # the list agrees (the hot path reads the stored value)
    listed = await client.get(
        f"{T}/srm/sales-orders", params={"search": order["order_no"]}, headers=headers
    )
    assert [Decimal(o["total_amount"]) for o in listed.json()["data"]["items"]] == [total(after)]


async def test_derived_values_are_refused_as_input(client, tenant_a):
    headers = tenant_a["headers"]
    order, product = await _order(client, headers, ("1", "10"))
    sent_total = await client.patch(
        f"{T}/srm/sales-orders/{order['id']}", json={"total_amount": "1"}, headers=headers
    )
    assert sent_total.status_code == 422
    assert sent_total.json()["error"]["detail"][0]["field"] == "total_amount"
    sent_amount = await client.post(
        f"{T}/srm/sales-orders/{order['id']}/items",
        json={
            "line_no": 2,
            "product_id": product,
            "quantity": "1",
            "unit_price": "1",
            "amount": "999",
        },
        headers=headers,
    )
    assert sent_amount.status_code == 422
    assert sent_amount.json()["error"]["detail"][0]["field"] == "amount"
    assert total(await _fetch(client, headers, order["id"])) == Decimal("10")


async def test_twenty_concurrent_line_writes_keep_the_total(client, tenant_a):
    headers = tenant_a["headers"]
    order, product = await _order(client, headers)
    items = f"{T}/srm/sales-orders/{order['id']}/items"
    answers = await asyncio.gather(
        *(
            client.post(
                items,
                json={
                    "line_no": n,
                    "product_id": product,
                    "quantity": str(n),
                    "unit_price": "10",
                },
                headers=headers,
            )
            for n in range(1, 21)
        )
    )
    assert sorted(a.status_code for a in answers) == [201] * 20
    final = await _fetch(client, headers, order["id"])
    assert total(final) == Decimal(10 * sum(range(1, 21)))  # 2,100
    assert total(final) == sum(Decimal(i["amount"]) for i in final["items"])
