"""Rules across fields (`checks:`): a 422 naming both fields from the API, and a CHECK
constraint the database holds against any writer."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

T = "/api/v1/tenants"


async def _employee(client, headers) -> str:
    created = await client.post(
        f"{T}/hrm/employees",
        json={"employee_no": "E" + uuid.uuid4().hex[:8], "name": "Kim", "hire_date": "2026-01-05"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    return created.json()["data"]["id"]


def leave(employee: str, start: str, end: str) -> dict:
    return {"employee_id": employee, "start_date": start, "end_date": end, "days": "1"}


def assert_rule(response, fields: set[str]) -> None:
    assert response.status_code == 422, response.text
    detail = response.json()["error"]["detail"]
    assert {d["field"] for d in detail} == fields
    assert {d["type"] for d in detail} == {"check"}


async def test_a_rule_across_two_fields(client, tenant_a):
    headers = {**tenant_a["headers"], "Accept-Language": "en"}
    employee = await _employee(client, headers)
    refused = await client.post(
        f"{T}/hrm/leave-requests", json=leave(employee, "2026-12-10", "2026-12-09"), headers=headers
    )
    assert_rule(refused, {"end_date", "start_date"})
    assert refused.json()["error"]["detail"][0]["message"] == "end_date must be at least start_date"
    korean = await client.post(
        f"{T}/hrm/leave-requests",
        json=leave(employee, "2026-12-10", "2026-12-09"),
        headers=tenant_a["headers"],
    )
    assert (
        korean.json()["error"]["detail"][0]["message"] == "종료일은(는) 시작일 이상이어야 합니다."
    )

    created = await client.post(
        f"{T}/hrm/leave-requests", json=leave(employee, "2026-12-10", "2026-12-10"), headers=headers
    )
    assert created.status_code == 201, created.text
    url = f"{T}/hrm/leave-requests/{created.json()['data']['id']}"
    # an update is judged on the row as it would be: only start_date is sent here
    moved = await client.patch(url, json={"start_date": "2026-12-11"}, headers=headers)
    assert_rule(moved, {"end_date", "start_date"})
    row = (await client.get(url, headers=headers)).json()["data"]
    assert (row["start_date"], row["version"]) == ("2026-12-10", 1)


@pytest.mark.parametrize(("quantity", "status"), [("0", 422), ("-1", 422), ("0.001", 201)])
async def test_an_exclusive_bound(client, tenant_a, quantity, status):
    headers = tenant_a["headers"]
    tag = uuid.uuid4().hex[:8]
    customer = await client.post(
        f"{T}/crm/customers", json={"code": f"Q{tag}", "name": "Q"}, headers=headers
    )
    product = await client.post(
        f"{T}/ivm/products", json={"code": f"Q{tag}", "name": "Q"}, headers=headers
    )
    order = await client.post(
        f"{T}/srm/sales-orders",
        json={"customer_id": customer.json()["data"]["id"], "order_date": "2026-11-25"},
        headers=headers,
    )
    line = await client.post(
        f"{T}/srm/sales-orders/{order.json()['data']['id']}/items",
        json={
            "line_no": 1,
            "product_id": product.json()["data"]["id"],
            "quantity": quantity,
            "unit_price": "5",
        },
        headers=headers,
    )
    assert line.status_code == status, line.text
    if quantity == "0":  # allowed by min: 0, refused by the rule quantity > 0
        assert_rule(line, {"quantity"})
    elif status == 422:  # below min: 0 already
        assert [d["field"] for d in line.json()["error"]["detail"]] == ["quantity"]


async def test_the_database_holds_the_rule_itself(database_urls, tenant_a):
    conn = await asyncpg.connect(database_urls["tenant"])
    try:
        employee = await conn.fetchval(
            "INSERT INTO hrm.employees (tenant_id, employee_no, name, hire_date)"
            " VALUES ($1, $2, 'Direct', '2026-01-01') RETURNING id",
            uuid.UUID(tenant_a["id"]),
            "D" + uuid.uuid4().hex[:8],
        )
        with pytest.raises(asyncpg.CheckViolationError, match="end_date_ge_start_date"):
            await conn.execute(
                "INSERT INTO hrm.leave_requests (tenant_id, employee_id, start_date, end_date, days)"
                " VALUES ($1, $2, '2026-12-10', '2026-12-01', 1)",
                uuid.UUID(tenant_a["id"]),
                employee,
            )
    finally:
        await conn.close()
