"""Documents settle when they leave their editable states (`editable:` on the status field):
a CONFIRMED sales order's fields and lines no longer change, while its status still moves
along the state machine."""

from __future__ import annotations

from tests.api.test_extensions import _confirm, _order

T = "/api/v1/tenants"


def assert_locked(response, state: str) -> None:
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "DOCUMENT_LOCKED"
    assert error["detail"]["state"] == state and error["detail"]["editable"] == ["DRAFT"]


async def test_a_confirmed_order_and_its_lines_are_locked(client, tenant_a):
    headers = tenant_a["headers"]
    order, _ = await _order(client, headers, lines=2)
    url = f"{T}/srm/sales-orders/{order['id']}"
    line = order["items"][0]
    line_url = f"{T}/srm/sales-order-items/{line['id']}"
    # while DRAFT, everything changes
    assert (
        await client.patch(url, json={"delivery_date": "2026-12-01"}, headers=headers)
    ).status_code == 200
    edited = await client.patch(line_url, json={"quantity": "2"}, headers=headers)
    assert edited.status_code == 200, edited.text
    assert (await _confirm(client, headers, order)).status_code == 200

    assert_locked(
        await client.patch(url, json={"delivery_date": "2026-12-24"}, headers=headers), "CONFIRMED"
    )
    assert_locked(
        await client.patch(line_url, json={"quantity": "5"}, headers=headers), "CONFIRMED"
    )
    assert_locked(await client.delete(line_url, headers=headers), "CONFIRMED")
    added = await client.post(
        f"{url}/items",
        json={"line_no": 9, "product_id": line["product_id"], "quantity": "1", "unit_price": "1"},
        headers=headers,
    )
    assert_locked(added, "CONFIRMED")
    got = (await client.get(url, headers=headers)).json()["data"]
    assert got["delivery_date"] == "2026-12-01" and got["items_total"] == 2
    assert [i["quantity"] for i in got["items"]] == ["2.000", "1.000"]
    # the state machine still moves it on
    shipped = await client.patch(f"{url}/status", json={"status": "SHIPPED"}, headers=headers)
    assert shipped.status_code == 200, shipped.text
