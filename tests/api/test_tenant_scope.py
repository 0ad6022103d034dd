"""The tenant scope's generated path: tenant_id comes from the token only, a tenant sees
nothing of another's rows, codes are unique per tenant, references stay inside the tenant.
(The spec-driven isolation matrix is in test_isolation.py.)
"""

from __future__ import annotations

import uuid

CUSTOMERS = "/api/v1/tenants/crm/customers"
ORDERS = "/api/v1/tenants/srm/sales-orders"


async def test_rows_belong_to_the_callers_tenant(client, tenant_a, tenant_b):
    a, b = tenant_a["headers"], tenant_b["headers"]
    code = "C" + uuid.uuid4().hex[:8]
    chosen = await client.post(
        CUSTOMERS,
        headers=a,
        json={"code": code, "name": "Acme", "tenant_id": tenant_b["id"]},
    )  # a body never chooses the tenant
    assert chosen.status_code == 422
    assert chosen.json()["error"]["detail"][0]["field"] == "tenant_id"
    created = await client.post(CUSTOMERS, headers=a, json={"code": code, "name": "Acme"})
    assert created.status_code == 201, created.text
    row = created.json()["data"]
    assert row["tenant_id"] == tenant_a["id"]

    mine = await client.get(CUSTOMERS, params={"search": code}, headers=a)
    assert [c["id"] for c in mine.json()["data"]["items"]] == [row["id"]]
    theirs = await client.get(CUSTOMERS, params={"search": code}, headers=b)
    assert theirs.json()["data"]["total"] == 0
    assert (await client.get(f"{CUSTOMERS}/{row['id']}", headers=b)).status_code == 404
    assert (
        await client.patch(f"{CUSTOMERS}/{row['id']}", json={"name": "Stolen"}, headers=b)
    ).status_code == 404
    assert (await client.delete(f"{CUSTOMERS}/{row['id']}", headers=b)).status_code == 404
    # the same code is free in another tenant: codes are unique per tenant
    other = await client.post(CUSTOMERS, headers=b, json={"code": code, "name": "Other Acme"})
    assert other.status_code == 201
    again = await client.post(CUSTOMERS, headers=a, json={"code": code, "name": "Dup"})
    assert again.status_code == 409


async def test_references_to_another_tenants_rows_are_refused(client, tenant_a, tenant_b):
    a, b = tenant_a["headers"], tenant_b["headers"]
    customer = (
        await client.post(
            CUSTOMERS,
            headers=a,
            json={"code": "C" + uuid.uuid4().hex[:8], "name": "Mine"},
        )
    ).json()["data"]
    order = {
        "order_no": "SO-" + uuid.uuid4().hex[:6],
        "customer_id": customer["id"],
        "order_date": "2026-11-24",
    }
    refused = await client.post(ORDERS, json=order, headers=b)
    assert refused.status_code == 422
    assert refused.json()["error"]["detail"][0]["field"] == "customer_id"
    accepted = await client.post(ORDERS, json=order, headers=a)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["data"]["customer_name"] == "Mine"


async def test_manager_tokens_are_refused_on_tenant_endpoints(client, auth):
    response = await client.get(CUSTOMERS, headers=auth)
    assert response.status_code == 401
