"""State machines from the specs (`transitions:`): only the declared moves are taken.

A revoked API key or session is terminal: no status change brings it back, and the
credential it stood for stays refused.
"""

from __future__ import annotations

import uuid

from tests.api.test_api_keys import KEYS, issue
from tests.api.test_auth import AUTH, USERS, assert_401, bearer, make_user, tokens_session
from tests.conftest import login

SESSIONS = "/api/v1/manager/idam/sessions"
TENANTS = "/api/v1/manager/tenants"
CUSTOMERS = "/api/v1/tenants/crm/customers"
SALES_ORDERS = "/api/v1/tenants/srm/sales-orders"


def assert_refused_move(response, current: str, target: str, allowed: list[str]) -> None:
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "INVALID_TRANSITION"
    assert error["detail"] == {"field": "status", "from": current, "to": target, "allowed": allowed}


async def test_a_revoked_api_key_stays_revoked(client, auth):
    issued = await issue(client, auth)
    machine = {"X-API-Key": issued["key"]}
    url = f"{KEYS}/{issued['id']}/status"
    assert (await client.patch(url, json={"status": "REVOKED"}, headers=auth)).status_code == 200
    for target in ("ACTIVE", "EXPIRED"):
        assert_refused_move(
            await client.patch(url, json={"status": target}, headers=auth), "REVOKED", target, []
        )
    assert (await client.get(f"{KEYS}/{issued['id']}", headers=auth)).json()["data"][
        "status"
    ] == "REVOKED"
    assert_401(await client.get(USERS, headers=machine))


async def test_a_logged_out_session_cannot_be_revived(client, auth):
    user = await make_user(client, auth, user_type="MASTER")
    tokens = await login(client, user["username"], user["password"])
    headers = bearer(tokens["access_token"])
    assert (await client.post(f"{AUTH}/logout", headers=headers)).status_code == 200
    session = tokens_session(tokens)
    revive = await client.patch(
        f"{SESSIONS}/{session}/status", json={"status": "ACTIVE"}, headers=auth
    )
    assert_refused_move(revive, "REVOKED", "ACTIVE", [])
    assert_401(await client.get(USERS, headers=headers))
    assert_401(
        await client.post(f"{AUTH}/refresh", json={"refresh_token": tokens["refresh_token"]})
    )


async def test_an_active_session_may_be_revoked_once(client, auth):
    user = await make_user(client, auth, user_type="MASTER")
    tokens = await login(client, user["username"], user["password"])
    url = f"{SESSIONS}/{tokens_session(tokens)}/status"
    assert (await client.patch(url, json={"status": "REVOKED"}, headers=auth)).status_code == 200
    assert_401(await client.get(USERS, headers=bearer(tokens["access_token"])))
    again = await client.patch(url, json={"status": "REVOKED"}, headers=auth)
    assert_refused_move(again, "REVOKED", "REVOKED", [])


async def test_a_terminated_tenant_is_final(client, auth):
    code = "T" + uuid.uuid4().hex[:10]
    created = await client.post(TENANTS, json={"code": code, "name": code}, headers=auth)
    tenant = created.json()["data"]
    assert tenant["status"] == "PENDING"
    url = f"{TENANTS}/{tenant['id']}/status"
    assert (await client.patch(url, json={"status": "TERMINATED"}, headers=auth)).status_code == 200
    assert_refused_move(
        await client.patch(url, json={"status": "ACTIVE"}, headers=auth),
        "TERMINATED",
        "ACTIVE",
        [],
    )


async def test_create_cannot_choose_the_state(client, auth):
    code = "T" + uuid.uuid4().hex[:10]
    chosen = await client.post(
        TENANTS, json={"code": code, "name": code, "status": "ACTIVE"}, headers=auth
    )
    assert chosen.status_code == 422, chosen.text
    assert chosen.json()["error"]["detail"][0]["field"] == "status"
    created = await client.post(TENANTS, json={"code": code, "name": code}, headers=auth)
    assert created.status_code == 201, created.text
    assert created.json()["data"]["status"] == "PENDING"


async def test_sales_order_moves_along_its_lifecycle(client, tenant_a):
    headers = tenant_a["headers"]
    customer = await client.post(
        CUSTOMERS, json={"code": uuid.uuid4().hex[:12], "name": "Buyer"}, headers=headers
    )
    product = await client.post(
        "/api/v1/tenants/ivm/products",
        json={"code": uuid.uuid4().hex[:12], "name": "Goods"},
        headers=headers,
    )
    order = await client.post(
        SALES_ORDERS,
        json={
            "customer_id": customer.json()["data"]["id"],
            "order_date": "2026-11-25",
            "currency": "KRW",
            # an order ships only with a line (runtime/extensions/.../sales_orders.py)
            "items": [
                {
                    "line_no": 1,
                    "product_id": product.json()["data"]["id"],
                    "quantity": "1",
                    "unit_price": "10",
                }
            ],
        },
        headers=headers,
    )
    assert order.status_code == 201, order.text
    url = f"{SALES_ORDERS}/{order.json()['data']['id']}/status"
    jump = await client.patch(url, json={"status": "DELIVERED"}, headers=headers)
    assert_refused_move(jump, "DRAFT", "DELIVERED", ["CONFIRMED", "CANCELED"])
    for step in ("CONFIRMED", "SHIPPED", "DELIVERED"):
        moved = await client.patch(url, json={"status": step}, headers=headers)
        assert moved.status_code == 200, moved.text
        assert moved.json()["data"]["status"] == step
    back = await client.patch(url, json={"status": "DRAFT"}, headers=headers)
    assert_refused_move(back, "DELIVERED", "DRAFT", [])
